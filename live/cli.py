"""The `live` command line: trade the approved strategies (`run`), see the account (`status`),
and the kill switch (`halt`, `resume`)."""

from __future__ import annotations

import datetime as dt

import click

from configs.commands import CommandContext, LabGroup, lab_command_options
from configs.output import shown

__all__ = ["main"]


@click.group(cls=LabGroup, plugins="gplab.live")
def main() -> None:
    """Trade the approved strategies: sim (a replay of the data) or Alpaca (paper by default)."""


@main.command("run")
@click.option(
    "--broker",
    type=click.Choice(["sim", "alpaca"]),
    help="where to trade (default: live.broker of the configuration).",
)
@click.option("--once", is_flag=True, help="one cycle, then exit (alpaca).")
@click.option("--live", "real_money", is_flag=True, help="trade real money (alpaca; else paper).")
@click.option("--days", type=click.IntRange(min=1), help="sim: replay the last DAYS sessions.")
@click.option("--resume", is_flag=True, help="sim: continue the newest unfinished replay.")
@lab_command_options
def run(
    lab: CommandContext,
    broker: str | None,
    once: bool,
    real_money: bool,
    days: int | None,
    resume: bool,
) -> None:
    """Trade the approved strategies until stopped (SIGTERM or SIGINT finish the current step,
    save and exit 0). With the sim broker: replay the last --days sessions and report."""
    from configs.alerts import alert
    from live.errors import ReconciliationFailed
    from live.running import run_alpaca, run_replay
    from store import lab_database

    sim = (broker or lab.config.live.broker) == "sim"
    if sim and (real_money or once):
        raise click.BadParameter("--live and --once are for --broker alpaca")
    if sim and days is not None and resume:
        raise click.BadParameter("--days starts a new replay; --resume continues one")
    if not sim and (days is not None or resume):
        raise click.BadParameter("--days and --resume are for --broker sim")
    try:
        if sim:
            lines = run_replay(lab, lab_database(lab), days, resume)
        else:
            lines = run_alpaca(lab, lab_database(lab), real_money, once)
    except ReconciliationFailed as e:
        alert("reconciliation_failed", "reconciliation stopped trading", str(e))
        raise
    click.echo("\n".join(lines))


@main.command("status")
@click.option("--account", help="account name (default: the newest one).")
@lab_command_options
def status(lab: CommandContext, account: str | None) -> None:
    """Positions, settled and unsettled cash, today's orders and fills, P&L, halted or not, the
    last reconciliation, and the strategies incubating on paper with their forward record."""
    from pathlib import Path

    from live.halt import HaltSwitch
    from live.status import status_lines
    from market.lab_panel import lab_panel
    from market.problems import DataError
    from promotion.incubation import incubation_status
    from store import lab_database

    halted = HaltSwitch(Path(lab.config.live.halt_file)).reason()
    click.echo(f"lab home: {shown(str(lab.home))} (HALT file: {shown(lab.config.live.halt_file)})")
    try:  # to mark the positions at the last close (research.db alone cannot)
        panel, problem = lab_panel(lab.config, dt.datetime.now(dt.UTC), "offline").panel, ""
    except DataError as e:
        panel, problem = None, f"the market data cannot be read ({e})"
    with lab_database(lab).transaction() as session:
        # First, so that it is shown also before any account exists.
        click.echo("\n".join(incubation_status(session, lab.config.incubation)))
        click.echo("\n".join(status_lines(session, account, halted, panel, problem)))


@main.command("halt")
@click.option("--reason", required=True, help="why trading stops (recorded).")
@lab_command_options(database=False)
def halt(lab: CommandContext, reason: str) -> None:
    """Stop every order at once: writes the HALT file (live.halt_file), which `live run` checks
    before every order. Exits 0 only when the file exists."""
    import getpass
    from pathlib import Path

    from configs.alerts import alert
    from live.halt import halt_trading
    from store import lab_database

    path = Path(lab.config.live.halt_file)
    halted, warning = halt_trading(path, lambda: lab_database(lab), reason, getpass.getuser())
    click.echo(f"halted: {halted.reason}")
    click.echo(f"  lab: {shown(str(lab.home))} (HALT file: {shown(str(path))})")
    click.echo(f"  accounts of this lab that stop: {_accounts(lab)}")
    if halted.unwritten:
        click.echo(
            f"warning: HALT holds no reason ({halted.unwritten}); it halts all the same", err=True
        )
    if warning:
        click.echo(f"warning: {warning}", err=True)
    alert("halted", "live trading halted", f"{halted.reason} (lab {shown(str(lab.home))})")


@main.command("resume")
@lab_command_options
def resume(lab: CommandContext) -> None:
    """Allow orders again (removes the HALT file)."""
    from pathlib import Path

    from configs.alerts import alert
    from live.halt import HaltSwitch
    from live.records import add_event
    from store import lab_database

    path = Path(lab.config.live.halt_file)
    switch = HaltSwitch(path)
    previous = switch.reason()
    if previous is None:
        click.echo(f"not halted: nothing to resume (lab: {shown(str(lab.home))}, no {path})")
        return
    # Recorded first: a database that cannot record it (damaged, full) leaves trading halted.
    with lab_database(lab).transaction() as session:
        add_event(session, None, "resume", True, f"resumed (was: {previous})")
    switch.resume()
    accounts = _accounts(lab)
    click.echo(f"resumed (was: {previous})")
    click.echo(f"  lab: {shown(str(lab.home))} (HALT file removed: {shown(str(path))})")
    click.echo(f"  accounts of this lab that may trade again: {accounts}")
    alert(
        "resumed",
        "live trading resumed: orders are allowed again",
        f"accounts that may trade again: {accounts}; it was halted: {previous} "
        f"(lab {shown(str(lab.home))})",
    )


def _accounts(lab: CommandContext) -> str:
    # The live accounts of this lab's research.db, for the record of what a halt acted on.
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from configs import LabError
    from store import lab_database
    from store.models import LiveAccount

    if lab.database_problem is not None:
        return "unknown (research.db cannot be used: see the warning)"
    try:
        with lab_database(lab).transaction() as session:
            names = list(session.scalars(select(LiveAccount.name).order_by(LiveAccount.id)))
    except (SQLAlchemyError, LabError) as e:
        return f"unknown (research.db cannot be read: {getattr(e, 'orig', None) or e})"
    return ", ".join(names) if names else "none yet (every account this lab starts)"
