"""The dashboard's pages and its menu. A page is a module with `routes(board)` (and, if it has
slow work to do before its first request, `warm_up(board)`), and a template; a new page is
added here, in its module and in its template, nowhere else."""

from __future__ import annotations

from dashboard import candidates, health, live, login, nights, review

__all__ = ["MENU", "PAGES"]

PAGES = (nights, candidates, review, live, health, login)

# The navigation: (page, path, label).
MENU = (
    ("nights", "/nights", "Nights"),
    ("candidates", "/candidates", "Candidates"),
    ("live", "/live", "Live"),
    ("health", "/health", "Health"),
)
