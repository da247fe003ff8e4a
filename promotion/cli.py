"""The `promote` command line: the gate on demand, the candidates, the morning review and the
decisions (approve, reject, retire) with their audit trail."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from configs.commands import CommandContext, LabGroup, lab_command_options
from configs.output import shown

if TYPE_CHECKING:
    from fitness.windows import Window
    from market.panel import Panel

__all__ = ["main"]


@click.group(cls=LabGroup)
def main() -> None:
    """Gate, review and decide which candidates may trade."""


def _data(lab: CommandContext) -> tuple[Panel, str, dict[str, Window]]:
    from promotion.review import review_data

    return review_data(lab.config, dt.datetime.now(dt.UTC))


def _reviewer(name: str | None) -> str:
    import getpass

    return name or getpass.getuser()


@main.command("gate")
@click.argument("candidates", nargs=-1)
@lab_command_options
def gate(lab: CommandContext, candidates: tuple[str, ...]) -> None:
    """Run the gate on CANDIDATES (numbers or genome id prefixes; default: every candidate not
    gated yet), on the validation window. Each run adds a new report; the status follows it."""
    from pathlib import Path

    from promotion.gating import gate_candidates, gate_lines
    from promotion.lifecycle import find_candidate, in_status
    from store import RunLock, lab_database
    from store.lifecycle import CandidateStatus

    with RunLock(Path(lab.config.evolve.lock_file), "promote gate"):
        panel, source, windows = _data(lab)
        database = lab_database(lab)
        with database.transaction() as session:
            chosen = (
                [find_candidate(session, key) for key in candidates]
                if candidates
                else in_status(session, CandidateStatus.CANDIDATE).rows
            )
            outcomes = gate_candidates(session, panel, source, windows, lab.config, chosen)
            lines = gate_lines(
                outcomes, windows["validation"], lab.config.backtest, lab.config.gate.min_dsr
            )
    click.echo("\n".join(lines))


@main.command("list")
@click.option("--status", help="only candidates with this status (candidate, gate_passed, ...).")
@lab_command_options
def list_candidates(lab: CommandContext, status: str | None) -> None:
    """The candidates, newest first."""
    from promotion.lifecycle import in_status
    from promotion.views import candidate_table
    from store import lab_database
    from store.lifecycle import CandidateStatus

    statuses = [s.value for s in CandidateStatus]
    if status is not None and status not in statuses:
        raise click.BadParameter(
            f"{status!r} is not one of {', '.join(statuses)}", param_hint="--status"
        )

    with lab_database(lab).transaction() as session:
        found = in_status(session, status or None)
        click.echo("\n".join(candidate_table(session, found.rows[::-1])))
    if found.left_out:
        numbers = ", ".join(str(n) for n in sorted(int(k) for k in found.left_out))
        click.echo(f"left out (cannot be read, see `promote show N`): candidate(s) {numbers}")


@main.command("show")
@click.argument("candidate")
@lab_command_options
def show(lab: CommandContext, candidate: str) -> None:
    """Everything about CANDIDATE (a number or a genome id prefix): the genome as a tree with
    meanings, metrics per window, the newest gate report, the holdout once opened, lineage,
    correlation with the live strategies and the decisions."""
    from promotion.lifecycle import find_candidate
    from promotion.views import candidate_lines
    from store import lab_database

    with lab_database(lab).transaction() as session:
        found = find_candidate(session, candidate)
        click.echo("\n".join(candidate_lines(session, found, lab.config)))


@main.command("review")
@click.option("--reviewer", help="who decides (default: the login name).")
@lab_command_options
def review(lab: CommandContext, reviewer: str | None) -> None:
    """Go through the candidates that passed the gate, one by one: the report, the equity (a
    sparkline here, a PNG chart against buy-and-hold), then the holdout, opened once; then
    approve, reject or skip, with a note. Then the incubating strategies whose incubation test
    passed: confirm for real orders, retire or skip."""
    from promotion.lifecycle import in_status
    from promotion.review import NotReviewable, review_lines
    from store import lab_database
    from store.lifecycle import CandidateStatus
    from store.models import Candidate

    who = _reviewer(reviewer)
    database = lab_database(lab)
    with database.transaction() as session:
        found = in_status(session, CandidateStatus.GATE_PASSED)
    waiting = [c.id for c in found.rows]
    for row, why in found.left_out.items():
        click.echo(f"candidate {row} is left out of the review: {shown(why)}")
    left_out = [int(k) for k in found.left_out]
    if not waiting:
        click.echo("nothing to review: no candidate has passed the gate since the last review")
        _name_left_out(left_out)
        _review_incubating(lab, who)
        return
    panel, _, windows = _data(lab)
    click.echo(f"{len(waiting)} candidate(s) passed the gate; reviewer: {shown(who)}")
    for number, candidate_id in enumerate(waiting, 1):
        click.echo(f"\n=== {number} of {len(waiting)} " + "=" * 60)
        try:
            with database.transaction() as session:
                candidate = session.get_one(Candidate, candidate_id)
                lines = review_lines(session, candidate, panel, windows, lab.config, who)
        except NotReviewable as e:
            click.echo(str(e))
            left_out.append(candidate_id)
            continue
        click.echo("\n".join(lines))
        _ask_and_decide(lab, candidate_id, who, ("approve", "reject"), "gate_passed")
    _name_left_out(left_out)
    _review_incubating(lab, who)


def _review_incubating(lab: CommandContext, who: str) -> None:
    """The incubating strategies whose incubation test passed, one by one: everything
    `promote show` shows, then confirm (real orders), retire or skip, with a note."""
    from promotion.incubation import incubating
    from promotion.views import candidate_lines
    from store import lab_database
    from store.models import Candidate

    database = lab_database(lab)
    with database.transaction() as session:
        ready = [
            i.candidate.id for i in incubating(session, lab.config.incubation) if i.test.passed
        ]
    if not ready:
        return
    click.echo(
        f"\n{len(ready)} incubating strateg(ies) passed the incubation test (README "
        '"Incubation"): confirm for real orders, retire, or skip'
    )
    for number, candidate_id in enumerate(ready, 1):
        click.echo(f"\n=== incubation {number} of {len(ready)} " + "=" * 50)
        with database.transaction() as session:
            candidate = session.get_one(Candidate, candidate_id)
            click.echo("\n".join(candidate_lines(session, candidate, lab.config)))
        _ask_and_decide(lab, candidate_id, who, ("confirm", "retire"), "incubating")


def _ask_and_decide(
    lab: CommandContext, candidate_id: int, who: str, actions: tuple[str, str], status: str
) -> None:
    """Ask which of `actions` (or skip) and a note, and record the decision."""
    from promotion.lifecycle import decide
    from store import lab_database
    from store.models import Candidate

    keys = {"approve": "a", "reject": "r", "confirm": "c", "retire": "t", "skip": "s"}
    both = (*actions, "skip")
    choice = click.prompt(
        f"\n{', '.join(both[:2])} or skip? [{'/'.join(keys[a] for a in both)}]",
        type=click.Choice([*both, *(keys[a] for a in both)]),
        show_choices=False,
    )
    action = {keys[a]: a for a in both}.get(choice, choice)
    if action == "skip":
        click.echo(f"skipped: it stays {status}")
        return
    note = ""
    while not note.strip():
        note = click.prompt("note (required: why)", default="", show_default=False)
    with lab_database(lab).transaction() as session:
        candidate = session.get_one(Candidate, candidate_id)
        made = decide(session, candidate, action, who, note, incubation=lab.config.incubation)
        click.echo(f"recorded: candidate {candidate_id} {made.to_status} by {who}")


def _name_left_out(left_out: list[int]) -> None:
    if left_out:
        numbers = ", ".join(str(n) for n in sorted(left_out))
        click.echo(f"\nleft out (quarantined, see `promote show`): candidate(s) {numbers}")


def _decide(
    lab: CommandContext, key: str, action: str, note: str, reviewer: str | None, override: bool
) -> None:
    from promotion.lifecycle import decide, find_candidate
    from store import lab_database

    who = _reviewer(reviewer)
    with lab_database(lab).transaction() as session:
        decision = decide(
            session,
            find_candidate(session, key),
            action,
            who,
            note,
            override,
            incubation=lab.config.incubation,
        )
    flag = " (OVERRIDE of a failed gate, recorded)" if decision.override else ""
    click.echo(
        f"candidate {decision.candidate_id}: {decision.from_status} -> {decision.to_status} "
        f"by {who}{flag}"
    )


NOTE = click.option("--note", required=True, help="why (required; kept in the audit trail).")
REVIEWER = click.option("--reviewer", help="who decides (default: the login name).")


@main.command("approve")
@click.argument("candidate")
@NOTE
@REVIEWER
@click.option("--override", is_flag=True, help="approve a candidate that failed the gate.")
@lab_command_options
def approve(
    lab: CommandContext, candidate: str, note: str, reviewer: str | None, override: bool
) -> None:
    """Approve CANDIDATE. It must have passed the gate; approving one that failed needs
    --override and is flagged in the audit trail. With incubation.sessions above 0 it first
    trades on paper (incubating) until `promote confirm`; with 0, real orders at once."""
    _decide(lab, candidate, "approve", note, reviewer, override)


@main.command("confirm")
@click.argument("candidate")
@NOTE
@REVIEWER
@lab_command_options
def confirm(lab: CommandContext, candidate: str, note: str, reviewer: str | None) -> None:
    """Confirm an incubating CANDIDATE for real orders, once its incubation test passed
    (`promote show` and the Live page say whether it has)."""
    _decide(lab, candidate, "confirm", note, reviewer, False)


@main.command("reject")
@click.argument("candidate")
@NOTE
@REVIEWER
@lab_command_options
def reject(lab: CommandContext, candidate: str, note: str, reviewer: str | None) -> None:
    """Reject CANDIDATE (one that is not approved yet)."""
    _decide(lab, candidate, "reject", note, reviewer, False)


@main.command("retire")
@click.argument("candidate")
@NOTE
@REVIEWER
@lab_command_options
def retire(lab: CommandContext, candidate: str, note: str, reviewer: str | None) -> None:
    """Retire an incubating, approved or live CANDIDATE: it stops trading."""
    _decide(lab, candidate, "retire", note, reviewer, False)
