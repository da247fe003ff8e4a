"""The configuration's sections as frozen, typed dataclasses.

The values and their documentation live in `default.toml`; these classes only say what each key
is and which combinations are allowed (`check` methods, run at load time).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from configs.errors import ConfigurationError

__all__ = [
    "AlpacaConfig",
    "BacktestConfig",
    "DataConfig",
    "EvolveConfig",
    "ForwardConfig",
    "GateConfig",
    "IncubationConfig",
    "LabConfig",
    "LiveConfig",
    "LogConfig",
    "ReviewConfig",
    "StoreConfig",
    "WindowsConfig",
    "costs_text",
]

DataPolicy = Literal["reject", "drop_symbol"]
WindowScheme = Literal["fixed", "rolling"]
AlpacaFeed = Literal["iex", "sip", "delayed_sip"]

# Field metadata: a path written in a user config file is relative to that file's folder.
PATH = {"path": True}


@dataclass(frozen=True)
class DataConfig:
    """Where the bars come from and how they are checked (`[data]`)."""

    source: str = field(metadata=PATH)
    cache_dir: str = field(metadata=PATH)
    policy: DataPolicy
    symbols: tuple[str, ...]
    min_bars: int
    fill_gaps_up_to: int
    spike_log_return: float
    spike_reversal: float
    suspect_range: float
    clip_suspect_range: bool
    benchmark: str

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        _require(self.source.strip() != "", "data.source", "must not be empty")
        _require(
            self.benchmark == self.benchmark.strip(),
            "data.benchmark",
            f"must be a symbol without spaces, got {self.benchmark!r}",
        )
        _require(self.min_bars >= 2, "data.min_bars", f"must be at least 2, got {self.min_bars}")
        _require(
            0 <= self.fill_gaps_up_to <= 10,
            "data.fill_gaps_up_to",
            f"must be between 0 and 10 sessions, got {self.fill_gaps_up_to}",
        )
        _require(
            self.spike_log_return > 0,
            "data.spike_log_return",
            f"must be positive, got {self.spike_log_return}",
        )
        _require(
            0 < self.spike_reversal <= 1,
            "data.spike_reversal",
            f"must be in (0, 1], got {self.spike_reversal}",
        )
        _require(
            self.suspect_range > 0,
            "data.suspect_range",
            f"must be positive, got {self.suspect_range}",
        )
        dupes = sorted({s for s in self.symbols if self.symbols.count(s) > 1})
        _require(not dupes, "data.symbols", f"lists {', '.join(dupes)} more than once")


@dataclass(frozen=True)
class AlpacaConfig:
    """The Alpaca market-data download (`[alpaca]`): symbols, first day, feed and cache."""

    symbols: tuple[str, ...]
    start: dt.date
    feed: AlpacaFeed
    timeout_seconds: float
    cache_dir: str = field(metadata=PATH)
    data_url: str

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        _require(len(self.symbols) > 0, "alpaca.symbols", "must list at least one symbol")
        _require(
            0 < self.timeout_seconds <= 300,
            "alpaca.timeout_seconds",
            f"must be in (0, 300], got {self.timeout_seconds}",
        )
        _require(
            self.data_url == "" or self.data_url.startswith(("http://", "https://")),
            "alpaca.data_url",
            f"must be empty (Alpaca's own) or an http(s) URL, got {self.data_url!r}",
        )


@dataclass(frozen=True)
class WindowsConfig:
    """The train, validation and holdout date ranges and the warm-up before each (`[windows]`)."""

    train: tuple[dt.date, dt.date]
    validation: tuple[dt.date, dt.date]
    holdout: tuple[dt.date, dt.date]
    scheme: WindowScheme
    train_sessions: int
    validation_sessions: int
    holdout_sessions: int
    reanchor_sessions: int
    warmup_days: int
    min_days: int

    def ranges(self) -> dict[str, tuple[dt.date, dt.date]]:
        """The three fixed windows by name, in chronological order."""
        return {"train": self.train, "validation": self.validation, "holdout": self.holdout}

    def lengths(self) -> dict[str, int]:
        """The sessions of the three rolling windows by name, in chronological order."""
        return {
            "train": self.train_sessions,
            "validation": self.validation_sessions,
            "holdout": self.holdout_sessions,
        }

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed, or windows that
        overlap or run backwards."""
        _require(self.warmup_days >= 0, "windows.warmup_days", "must not be negative")
        _require(self.min_days >= 2, "windows.min_days", "must be at least 2")
        for name, sessions in self.lengths().items():
            _require(
                sessions >= self.min_days,
                f"windows.{name}_sessions",
                f"must be at least windows.min_days ({self.min_days})",
            )
        _require(self.reanchor_sessions >= 1, "windows.reanchor_sessions", "must be at least 1")
        previous: tuple[str, dt.date] | None = None
        for name, (start, end) in self.ranges().items():
            _require(start <= end, f"windows.{name}", f"starts {start} after it ends {end}")
            if previous is not None:
                _require(
                    start > previous[1],
                    f"windows.{name}",
                    f"starts {start}, which is not after the end of windows.{previous[0]} "
                    f"({previous[1]}); windows must not overlap and must run "
                    "train < validation < holdout",
                )
            previous = (name, end)


@dataclass(frozen=True)
class BacktestConfig:
    """The cash account's rules and costs (`[backtest]`)."""

    initial_cash: float
    settlement_days: int
    max_positions: int
    fractional: bool
    slippage_bps: float
    fee_per_order: float
    fee_per_share: float
    min_position_value: float

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        _require(self.initial_cash > 0, "backtest.initial_cash", "must be positive")
        _require(
            self.settlement_days in (0, 1, 2),
            "backtest.settlement_days",
            f"must be 0, 1 or 2, got {self.settlement_days}",
        )
        _require(
            1 <= self.max_positions <= 10_000,
            "backtest.max_positions",
            f"must be from 1 to 10000, got {self.max_positions}",
        )
        for key in ("slippage_bps", "fee_per_order", "fee_per_share"):
            value = getattr(self, key)
            _require(value >= 0, f"backtest.{key}", f"must not be negative, got {value}")
        _require(self.slippage_bps < 1000, "backtest.slippage_bps", "must be below 1000 bps")
        _require(
            0 <= self.min_position_value < self.initial_cash / self.max_positions,
            "backtest.min_position_value",
            "must be at least 0 and below initial_cash / max_positions, got "
            f"{self.min_position_value}",
        )

    def costs_text(self) -> str:
        """The costs, as every number shown to a user names them."""
        return costs_text(dataclasses.asdict(self))


def costs_text(costs: Mapping[str, Any]) -> str:
    """The costs of a `[backtest]` section, or of one stored with a result (a dict), in the one
    wording every printout and page uses."""
    return (
        f"slippage {costs.get('slippage_bps', 0):g} bps, fees {costs.get('fee_per_order', 0):g}"
        f"/order + {costs.get('fee_per_share', 0):g}/share, settlement T+"
        f"{costs.get('settlement_days', '?')}"
    )


@dataclass(frozen=True)
class EvolveConfig:
    """The search: population, variation, novelty, stagnation restarts, workers and budget
    (`[evolve]`)."""

    seed: int
    population: int
    elite: int
    tournament: int
    crossover: float
    mutation: float
    conjunction: float
    init_min_height: int
    init_max_height: int
    initial_draws: int
    max_height: int
    max_size: int
    parsimony: float
    min_trades: int
    fitness_blocks: int
    fitness_spread: float
    fitness_beyond_buy_and_hold: bool
    fitness_slot_tilt: Literal["removed", "unpaid", "paid"]
    fitness_score: Literal["sharpe", "rank_ic"]
    correlation_penalty: float
    novelty_k: int
    novelty_weight: float
    archive_size: int
    archive_threshold: float
    stagnation_generations: int
    stagnation_epsilon: float
    inject_share: float
    hall_of_fame: int
    distinct_correlation: float
    candidates: int
    candidate_correlation: float
    candidates_per_idea: int
    selection_share: float
    refine_candidates: int
    refine_trials: int
    budget_minutes: float
    min_free_memory_mb: int
    executor: str
    workers: int
    subtree_cache_mb: int
    lock_file: str = field(metadata=PATH)

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        _require(self.min_free_memory_mb >= 0, "evolve.min_free_memory_mb", "must not be negative")
        _require(self.seed >= 0, "evolve.seed", f"must not be negative, got {self.seed}")
        _require(self.population >= 4, "evolve.population", "must be at least 4")
        _require(
            0 <= self.elite < self.population,
            "evolve.elite",
            f"must be in [0, population), got {self.elite}",
        )
        _require(
            1 <= self.tournament <= self.population,
            "evolve.tournament",
            f"must be in [1, population], got {self.tournament}",
        )
        for key in ("crossover", "mutation", "conjunction", "novelty_weight", "inject_share"):
            value = getattr(self, key)
            _require(0 <= value <= 1, f"evolve.{key}", f"must be in [0, 1], got {value}")
        _require(
            1 <= self.init_min_height <= self.init_max_height <= self.max_height,
            "evolve.init_max_height",
            "needs 1 <= init_min_height <= init_max_height <= max_height, got "
            f"{self.init_min_height}, {self.init_max_height}, {self.max_height}",
        )
        _require(self.max_size >= 3, "evolve.max_size", "must be at least 3")
        _require(
            1 <= self.initial_draws <= 20,
            "evolve.initial_draws",
            f"must be from 1 to 20, got {self.initial_draws}",
        )
        for key in ("parsimony", "correlation_penalty", "archive_threshold", "stagnation_epsilon"):
            value = getattr(self, key)
            _require(value >= 0, f"evolve.{key}", f"must not be negative, got {value}")
        _require(self.min_trades >= 0, "evolve.min_trades", "must not be negative")
        self._check_search()
        for key in ("candidates", "refine_candidates", "refine_trials", "workers"):
            value = getattr(self, key)
            _require(value >= 0, f"evolve.{key}", f"must not be negative, got {value}")
        _require(self.budget_minutes > 0, "evolve.budget_minutes", "must be positive")
        _require(
            self.executor == "joblib" or _is_dask_address(self.executor),
            "evolve.executor",
            f'must be "joblib" or "dask://HOST:PORT", got {self.executor!r}',
        )
        _require(self.subtree_cache_mb >= 0, "evolve.subtree_cache_mb", "must not be negative")
        self._check_sizes()

    def _check_search(self) -> None:
        # The fitness, novelty, stagnation and candidate settings.
        _require(
            1 <= self.fitness_blocks <= 50,
            "evolve.fitness_blocks",
            f"must be from 1 to 50, got {self.fitness_blocks}",
        )
        _require(
            self.candidates_per_idea >= 0,
            "evolve.candidates_per_idea",
            f"must not be negative, got {self.candidates_per_idea}",
        )
        _require(
            0 <= self.selection_share <= 0.8,
            "evolve.selection_share",
            f"must be from 0 to 0.8, got {self.selection_share}",
        )
        _require(
            0 <= self.fitness_spread <= 10,
            "evolve.fitness_spread",
            f"must be from 0 to 10, got {self.fitness_spread}",
        )
        _require(self.novelty_k >= 1, "evolve.novelty_k", "must be at least 1")
        _require(self.archive_size >= 1, "evolve.archive_size", "must be at least 1")
        _require(self.stagnation_generations >= 1, "evolve.stagnation_generations", "must be >= 1")
        _require(self.hall_of_fame >= 1, "evolve.hall_of_fame", "must be at least 1")
        _require(
            0 < self.distinct_correlation <= 1,
            "evolve.distinct_correlation",
            f"must be in (0, 1], got {self.distinct_correlation}",
        )
        _require(
            0 < self.candidate_correlation <= 1,
            "evolve.candidate_correlation",
            f"must be in (0, 1], got {self.candidate_correlation}",
        )

    def _check_sizes(self) -> None:
        # What sizes the work is bounded by what a machine can hold.
        for key, what in (
            ("population", "genomes: each is scored every generation and kept in memory"),
            (
                "workers",
                "processes: each holds the panel and the compiled kernels (about 300 "
                "MB), and more than the cores only wait",
            ),
            (
                "subtree_cache_mb",
                "MB of memory (a Raspberry Pi has 4-8 GB; 128 to 512 MB serve a night)",
            ),
        ):
            _at_most(getattr(self, key), MOST[key], f"evolve.{key}", what)


@dataclass(frozen=True)
class GateConfig:
    """The statistical gate's thresholds and which criteria are required (`[gate]`)."""

    min_dsr: float
    trials: Literal["all", "effective"]
    correlation_sample: int
    period_budget: int
    min_sharpe: float
    beat_buy_and_hold: bool
    buy_and_hold_confidence: float
    min_trades: int
    max_drawdown: float
    cost_multiplier: float
    min_stressed_sharpe: float
    max_live_correlation: float
    max_pbo: float
    pbo_required: bool
    pbo_splits: int
    pbo_cohort: int
    constant_step: float
    robustness_share: float
    min_positive_years: float
    min_year_days: int
    lookahead_cuts: int
    exposures: bool

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        for key in (
            "min_dsr",
            "buy_and_hold_confidence",
            "max_pbo",
            "robustness_share",
            "min_positive_years",
        ):
            value = getattr(self, key)
            _require(0 <= value <= 1, f"gate.{key}", f"must be in [0, 1], got {value}")
        _require(
            -1 <= self.max_live_correlation <= 1,
            "gate.max_live_correlation",
            f"must be in [-1, 1], got {self.max_live_correlation}",
        )
        _require(
            self.correlation_sample >= 2,
            "gate.correlation_sample",
            f"must be at least 2, got {self.correlation_sample}",
        )
        _require(self.period_budget >= 0, "gate.period_budget", "must not be negative")
        _require(self.min_trades >= 0, "gate.min_trades", "must not be negative")
        _require(
            0 < self.max_drawdown <= 1,
            "gate.max_drawdown",
            f"must be in (0, 1], got {self.max_drawdown}",
        )
        _require(
            self.cost_multiplier >= 1,
            "gate.cost_multiplier",
            f"must be at least 1, got {self.cost_multiplier}",
        )
        _require(
            self.pbo_splits >= 2 and self.pbo_splits % 2 == 0 and self.pbo_splits <= 20,
            "gate.pbo_splits",
            f"must be even, from 2 to 20, got {self.pbo_splits}",
        )
        _require(self.pbo_cohort >= 2, "gate.pbo_cohort", "must be at least 2")
        _require(
            0 < self.constant_step < 1,
            "gate.constant_step",
            f"must be in (0, 1), got {self.constant_step}",
        )
        _require(self.min_year_days >= 2, "gate.min_year_days", "must be at least 2")
        _require(self.lookahead_cuts >= 1, "gate.lookahead_cuts", "must be at least 1")


@dataclass(frozen=True)
class ReviewConfig:
    """The review: where charts go and the decay watch's average run length (`[review]`)."""

    chart_dir: str = field(metadata=PATH)
    decay_arl_sessions: int

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        _require(self.chart_dir.strip() != "", "review.chart_dir", "must not be empty")
        _require(
            20 <= self.decay_arl_sessions <= 100_000,
            "review.decay_arl_sessions",
            "must be 20 to 100000 sessions",
        )


@dataclass(frozen=True)
class ForwardConfig:
    """Which candidates are followed on the sessions after their gate report (`[forward]`)."""

    near_miss_dsr: float
    near_miss_sessions: int

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        _require(0 <= self.near_miss_dsr <= 1, "forward.near_miss_dsr", "must be 0 to 1")
        _require(self.near_miss_sessions >= 0, "forward.near_miss_sessions", "must not be negative")


@dataclass(frozen=True)
class IncubationConfig:
    """How long an approved strategy trades on paper, and the test it passes before real
    orders (`[incubation]`)."""

    sessions: int
    confidence: float

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        _require(0 <= self.sessions <= 10_000, "incubation.sessions", "must be 0 to 10000")
        _require(
            0.5 <= self.confidence < 1, "incubation.confidence", "must be at least 0.5, below 1"
        )


@dataclass(frozen=True)
class LiveConfig:
    """Live trading: broker, allocation, order limits, risk caps and the halt file (`[live]`)."""

    broker: Literal["sim", "alpaca"]
    allocation: Literal["equal", "inverse_volatility"]
    max_strategy_weight: float
    cash_buffer: float
    min_order_value: float
    buy_limit_margin: float
    max_symbol_weight: float
    max_daily_turnover: float
    max_orders_per_day: int
    max_price_deviation: float
    reconciliation: Literal["strict", "warn", "adopt"]
    cash_tolerance: float
    halt_file: str = field(metadata=PATH)
    cancel_on_halt: bool
    lock_file: str = field(metadata=PATH)
    trade_window: tuple[str, str]
    poll_seconds: float
    timeout_seconds: float
    requests_per_minute: int
    trading_url: str
    sim_days: int
    sim_initial_cash: float

    def window_times(self) -> tuple[dt.time, dt.time]:
        """`trade_window` as New York times of day."""
        first, last = (dt.time.fromisoformat(t) for t in self.trade_window)
        return first, last

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        for key in ("max_strategy_weight", "max_symbol_weight"):
            value = getattr(self, key)
            _require(0 < value <= 1, f"live.{key}", f"must be in (0, 1], got {value}")
        _require(
            0 <= self.cash_buffer < 1,
            "live.cash_buffer",
            f"must be in [0, 1), got {self.cash_buffer}",
        )
        for key in ("min_order_value", "cash_tolerance"):
            value = getattr(self, key)
            _require(value >= 0, f"live.{key}", f"must not be negative, got {value}")
        _require(
            0 <= self.buy_limit_margin < self.max_price_deviation < 1,
            "live.buy_limit_margin",
            "needs 0 <= buy_limit_margin < max_price_deviation < 1 (a buy's limit price must "
            f"pass the price check), got {self.buy_limit_margin} and {self.max_price_deviation}",
        )
        _require(self.max_daily_turnover > 0, "live.max_daily_turnover", "must be positive")
        _require(self.max_orders_per_day >= 1, "live.max_orders_per_day", "must be at least 1")
        try:
            first, last = self.window_times()
        except ValueError:
            raise ConfigurationError(
                f'live.trade_window: expected two New York times "HH:MM", got {self.trade_window}'
            ) from None
        _require(first < last, "live.trade_window", f"starts {first} after it ends {last}")
        _require(self.poll_seconds > 0, "live.poll_seconds", "must be positive")
        _require(
            0 < self.timeout_seconds <= 120,
            "live.timeout_seconds",
            f"must be in (0, 120], got {self.timeout_seconds}",
        )
        _require(
            1 <= self.requests_per_minute <= 200,
            "live.requests_per_minute",
            f"must be from 1 to 200 (Alpaca allows 200 a minute), got {self.requests_per_minute}",
        )
        _require(
            self.trading_url == "" or self.trading_url.startswith(("http://", "https://")),
            "live.trading_url",
            f"must be empty (Alpaca's own) or an http(s) URL, got {self.trading_url!r}",
        )
        _require(self.sim_days >= 1, "live.sim_days", "must be at least 1")
        _require(self.sim_initial_cash > 0, "live.sim_initial_cash", "must be positive")


@dataclass(frozen=True)
class StoreConfig:
    """Backups, SQLite's busy timeout, the free-disk floor and pruning (`[store]`)."""

    backup_dir: str = field(metadata=PATH)
    keep_backups: int
    busy_timeout_ms: int
    min_free_mb: int
    prune_every: int

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        _require(self.keep_backups >= 1, "store.keep_backups", "must be at least 1")
        _require(self.prune_every >= 0, "store.prune_every", "must not be negative")
        _at_most(
            self.prune_every,
            MOST["prune_every"],
            "store.prune_every",
            "generations (0 turns pruning off)",
        )
        _require(self.min_free_mb >= 0, "store.min_free_mb", "must not be negative")
        _require(self.busy_timeout_ms >= 0, "store.busy_timeout_ms", "must not be negative")


@dataclass(frozen=True)
class LogConfig:
    """Where the logs go and how much they say (`[log]`)."""

    dir: str = field(metadata=PATH)
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]

    def check(self) -> None:
        """Raise ConfigurationError naming the first key whose value is not allowed."""
        _require(self.dir.strip() != "", "log.dir", "must not be empty")


@dataclass(frozen=True)
class LabConfig:
    """The whole effective configuration. `id` is a hash of its canonical form."""

    data: DataConfig
    alpaca: AlpacaConfig
    windows: WindowsConfig
    backtest: BacktestConfig
    evolve: EvolveConfig
    gate: GateConfig
    review: ReviewConfig
    forward: ForwardConfig
    incubation: IncubationConfig
    live: LiveConfig
    store: StoreConfig
    log: LogConfig

    def check(self) -> None:
        """Check every section: raise ConfigurationError naming the first key not allowed."""
        for section in dataclasses.fields(self):
            getattr(self, section.name).check()

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready values (dates as ISO strings, tuples as lists)."""
        return _plain(dataclasses.asdict(self))

    @cached_property
    def id(self) -> str:
        """SHA-256 of the canonical JSON form: equal ids mean equal effective configurations."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _is_dask_address(text: str) -> bool:
    host, _, port = text.removeprefix("dask://").rpartition(":")
    return text.startswith("dask://") and host != "" and port.isdigit()


# The largest values a machine can hold (memory, processes), for the keys that size the work.
MOST = {"population": 100_000, "workers": 256, "subtree_cache_mb": 65_536, "prune_every": 100_000}


def _at_most(value: int, most: int, key: str, what: str) -> None:
    _require(value <= most, key, f"must be at most {most:,} {what}; got {value:,}")


def _require(ok: bool, key: str, problem: str) -> None:
    if not ok:
        raise ConfigurationError(f"{key}: {problem}")
