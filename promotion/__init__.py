"""How a candidate becomes tradable: the statistical gate, human review and the lifecycle.

The gate's statistics are the package's public functions; the gate itself (`gating`), the
lifecycle and decisions (`lifecycle`), the holdout (`holdout`) and the review (`review`) are
imported where they are used, so that `promote --help` stays quick.
"""

from promotion.statistics import (
    PBOResult,
    StatisticsError,
    dsr,
    effective_trials,
    expected_max_sharpe,
    min_trl,
    pass_line,
    pbo,
    psr,
)

__all__ = [
    "PBOResult",
    "StatisticsError",
    "dsr",
    "effective_trials",
    "expected_max_sharpe",
    "min_trl",
    "pass_line",
    "pbo",
    "psr",
]
