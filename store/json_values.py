"""Numbers as JSON keeps them: JSON has no NaN or infinity, so those are written as null (an
unbounded ratio, a metric of no trades). The one rule for every JSON column and printout."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["json_number", "json_numbers"]


def json_number(value: Any) -> Any:
    """`value`, or None where it is a float that is NaN or infinite."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_numbers(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` with each NaN or infinite float written as None."""
    return {k: json_number(v) for k, v in values.items()}
