"""What the data checks found: one `DataProblem` per finding, gathered in a `DataReport`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from configs import InputError

__all__ = ["DataError", "DataProblem", "DataReport"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class DataProblem:
    """One finding. `line` is the 1-based line of the file (the header is line 1) or None."""

    severity: Severity
    check: str
    symbol: str
    date: str
    line: int | None
    detail: str

    def describe(self, source: str) -> str:
        """The problem as one line naming the file and line, symbol, date and check."""
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: {self.symbol} {self.date}: {self.check}: {self.detail}"


@dataclass
class DataReport:
    """Everything loading a source found and did: problems, dropped symbols, repairs, notes."""

    source: str
    rows: int = 0
    problems: list[DataProblem] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[DataProblem]:
        """The problems that refuse the data."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[DataProblem]:
        """The problems that were repaired or only reported."""
        return [p for p in self.problems if p.severity == "warning"]

    def summary_lines(self, severity: Severity, examples: int | None = 3) -> list[str]:
        """One line per check with its count, followed by up to `examples` findings (None:
        all of them)."""
        found = [p for p in self.problems if p.severity == severity]
        lines: list[str] = []
        for check, count in sorted(Counter(p.check for p in found).items()):
            lines.append(f"{check}: {count}")
            shown = [p for p in found if p.check == check][:examples]  # [:None] keeps all
            lines.extend(f"  {p.describe(self.source)}" for p in shown)
            if 0 < len(shown) < count:
                lines.append(f"  ... and {count - len(shown)} more")
        return lines


class DataError(InputError):
    """Market data the configured policy refuses. `report` holds every finding."""

    def __init__(self, message: str, report: DataReport | None = None) -> None:
        super().__init__(message)
        self.report = report

    @classmethod
    def rejected(cls, report: DataReport, by_policy: bool) -> DataError:
        """The file is refused: by `data.policy` ("reject"), or whatever the policy. The message
        is one line naming the first error; `report` has them all."""
        errors = report.errors
        why = (
            "data.policy = 'reject'; 'drop_symbol' leaves the affected symbols out instead"
            if by_policy
            else "the file as a whole is unusable"
        )
        return cls(
            f"{report.source}: rejected, {len(errors)} error(s) ({why}); the first: "
            f"{errors[0].describe(report.source)}",
            report,
        )
