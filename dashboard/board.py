"""The dashboard's state, built once when it starts: the lab (its database, home and
configuration), the templates, the market data, the memos, and what every page does alike
(render a template, read a form that carries the session's token, act and go back)."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from configs import LabConfig
from configs.output import shown
from dashboard.lab_data import LabData
from dashboard.memo import Memo
from dashboard.security import csrf_token, same_token
from promotion.lifecycle import PromotionError
from promotion.review import ValidationEquity
from promotion.watch import Watched
from store import Database
from store.models import QuarantineEntry

__all__ = ["Board", "Refused", "RowId", "flashed", "text"]

TEMPLATES = Path(__file__).with_name("templates")

# How a refused form is answered: the request and the reason.
Refused = Callable[[Request, str], Response]


class RowId(IntegerConvertor):
    """A row number in a page's address (`{candidate_id:row}`): at most 18 digits, so that a
    number no database row can have is "not found" instead of an overflow."""

    regex = "[0-9]{1,18}"


register_url_convertor("row", RowId())


def text(body: str, status_code: int) -> Response:
    """A plain-text answer (a refusal, or why a chart is missing)."""
    return Response(body, status_code=status_code, media_type="text/plain")


@dataclass
class Board:
    """What the pages share. `menu`: (page, path, label) of the navigation."""

    database: Database
    home: Path
    config: LabConfig
    menu: tuple[tuple[str, str, str], ...]
    reviewer: str = field(default_factory=getpass.getuser)
    data: LabData = field(init=False)
    templates: Jinja2Templates = field(init=False)
    curves: Memo[ValidationEquity] = field(default_factory=lambda: Memo(64))
    charts: Memo[bytes] = field(default_factory=lambda: Memo(64))
    lineage: Memo[bytes | None] = field(default_factory=lambda: Memo(1))
    watch: Memo[list[Watched]] = field(default_factory=lambda: Memo(1))

    def __post_init__(self) -> None:
        self.data = LabData(self.config)
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.globals.update(home=str(self.home), menu=self.menu)
        # Stored texts are cut (with their length) and their control characters escaped.
        self.templates.env.filters["shown"] = shown
        self.templates.env.filters["number"] = _number
        self.templates.env.filters["percent"] = _percent

    @property
    def halt_file(self) -> Path:
        """The file whose presence halts live trading."""
        return Path(self.config.live.halt_file)

    def render(
        self, request: Request, name: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        """The template `name` with `context` and what every page shows (flash, sign-out, how
        many stored rows are left out because they cannot be read)."""
        context = context | {
            "csrf": csrf_token(request),
            "flash": request.session.pop("flash", None),
            "signed_in": bool(request.session.get("signed_in")),
            "reviewer": self.reviewer_of(request),
            "rows_left_out": self._left_out(),
        }
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)

    def reviewer_of(self, request: Request) -> str:
        """The reviewer's name for this sitting: the last one typed into a form of this session,
        else the user the dashboard runs as."""
        return str(request.session.get("reviewer") or self.reviewer)

    @staticmethod
    def remember_reviewer(request: Request, form: dict[str, str]) -> None:
        """Keep the name typed into `form` (a usable one) for the rest of the sitting."""
        typed = form.get("by", "").strip()
        if 0 < len(typed) <= 64:
            request.session["reviewer"] = typed

    def _left_out(self) -> int:
        try:
            with self.database.transaction() as session:
                return session.scalar(select(func.count()).select_from(QuarantineEntry)) or 0
        except Exception:  # every page is shown, whatever the database holds
            return 0

    async def form(self, request: Request) -> dict[str, str] | Response:
        """The posted fields, or the refusal of a form without this session's token."""
        form = await request.form()
        if not same_token(request, form.get("csrf")):
            return text(
                "this form is stale or came from another site: reload the page and try again", 403
            )
        return {k: v for k, v in form.items() if isinstance(v, str)}

    async def act(
        self, request: Request, work: Callable[[], str], back: str, refused: Refused
    ) -> Response:
        """Do `work` (which says what it recorded) and go `back`; a refusal of the promotion
        rules is answered by `refused`."""
        try:
            request.session["flash"] = await run_in_threadpool(work)
        except PromotionError as e:
            return refused(request, str(e))
        return RedirectResponse(back, status_code=303)


def flashed(back: str) -> Refused:
    """A refusal shown as the flash of the page at `back`."""

    def refused(request: Request, why: str) -> Response:
        request.session["flash"] = f"not recorded: {why}"
        return RedirectResponse(back, status_code=303)

    return refused


def _number(value: Any, digits: int = 2) -> str:
    """A stored figure with `digits` decimals; "-" when there is none."""
    return "-" if value is None else f"{value:.{digits}f}"


def _percent(value: Any) -> str:
    """A stored fraction as a percentage; "-" when there is none."""
    return "-" if value is None else f"{100 * value:.1f}%"
