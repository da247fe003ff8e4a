"""The review from the page, as `promote review` does it: the holdout opened once
(`promotion.holdout.open_holdout`), then approve, reject or skip with a note
(`promotion.lifecycle.decide`); the promotion rules refuse what they refuse for the command line
too. A retirement from the Live page's decay watch, and the confirmation of an incubating
strategy whose test passed, go through the same decision."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from configs.output import shown
from dashboard.board import Board, Refused, flashed
from dashboard.candidates import candidate_page
from promotion.holdout import open_holdout
from promotion.lifecycle import (
    PromotionError,
    decide,
    in_status,
    reviewer_name,
)
from store.lifecycle import CandidateStatus
from store.models import Candidate

__all__ = ["routes"]


def routes(board: Board) -> list[Route]:
    """The review forms of a candidate page (open the holdout, approve, reject, retire) and of
    the Live page (confirm an incubating strategy, retire)."""

    def on_page(candidate_id: int) -> Refused:
        def refused(request: Request, why: str) -> Response:
            return candidate_page(board, request, candidate_id, error=why, status_code=400)

        return refused

    async def holdout(request: Request) -> Response:
        form = await board.form(request)
        if isinstance(form, Response):
            return form
        candidate_id = int(request.path_params["candidate_id"])
        board.remember_reviewer(request, form)

        def work() -> str:
            panel, windows = board.data.get()
            with board.database.transaction() as session:
                candidate = session.get(Candidate, candidate_id)
                if candidate is None:
                    raise PromotionError(f"no candidate {candidate_id}")
                by = reviewer_name(form.get("by", ""))
                _, now = open_holdout(
                    session, candidate, panel, windows["holdout"], board.config.backtest, by
                )
            return "holdout opened now, for the first and only time" if now else "holdout: stored"

        return await board.act(request, work, f"/candidates/{candidate_id}", on_page(candidate_id))

    async def decision(request: Request) -> Response:
        form = await board.form(request)
        if isinstance(form, Response):
            return form
        candidate_id = int(request.path_params["candidate_id"])
        board.remember_reviewer(request, form)
        action = form.get("action", "")
        if action == "skip":
            request.session["flash"] = f"skipped: candidate {candidate_id} stays gate_passed"
            return RedirectResponse(f"/review?after={candidate_id}", status_code=303)

        work = _deciding(board, candidate_id, form)
        if action in ("retire", "confirm"):  # from the Live page: back there either way
            return await board.act(request, work, "/live", flashed("/live"))
        back = f"/candidates/{candidate_id}"
        return await board.act(request, work, back, on_page(candidate_id))

    def next_waiting(request: Request) -> Response:
        # The first candidate waiting for the review (after ?after=N: past the skipped ones).
        asked = request.query_params.get("after", "")
        after = int(asked) if asked.isdigit() else 0
        with board.database.transaction() as session:
            found = in_status(session, CandidateStatus.GATE_PASSED)
        waiting = [c.id for c in found.rows]
        left_out = {int(k): why for k, why in found.left_out.items()}
        later = [n for n in waiting if n > after]
        if not later:
            context = {"page": "candidates", "waiting": waiting, "left_out": left_out}
            return board.render(request, "review_done.html", context)
        return RedirectResponse(f"/candidates/{later[0]}", status_code=303)

    return [
        Route("/candidates/{candidate_id:row}/holdout", holdout, methods=["POST"]),
        Route("/candidates/{candidate_id:row}/decision", decision, methods=["POST"]),
        Route("/review", next_waiting),
    ]


def _deciding(board: Board, candidate_id: int, form: dict[str, str]) -> Callable[[], str]:
    # The work of a decision form: record it, and say what was recorded.
    def work() -> str:
        with board.database.transaction() as session:
            candidate = session.get(Candidate, candidate_id)
            if candidate is None:
                raise PromotionError(f"no candidate {candidate_id}")
            made = decide(
                session,
                candidate,
                form.get("action", ""),
                form.get("by", ""),
                form.get("note", ""),
                incubation=board.config.incubation,
            )
            return f"recorded: candidate {candidate_id} {made.to_status} by {shown(made.reviewer)}"

    return work
