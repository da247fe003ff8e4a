"""The lottery benchmark: are the night's candidates better in the holdout than luck?

After Chen & Navet (2007), "Failure of genetic-programming induced trading strategies:
distinguishing between efficient markets and inefficient algorithms": a search is only worth
its cost if what it finds beats what a lottery of random rules of the same kind would find.

On each real universe (`universes`: the bundled symbols with the default windows, and the
symbols of the 200-symbol data set that are not bundled, a universe the lab never trains on by
default, with the same windows), `nights` discovery nights run in fresh labs, each with its own
seed and the gate after it. Then, for every candidate:

- its Sharpe ratio after costs and its **alpha** (the annualised Sharpe ratio of its daily
  returns beyond what the account holds anyway: equal-weight buy-and-hold of the universe and
  buy-and-hold in the account's slots, `fitness.buy_and_hold.beyond`) on train, validation and
  the holdout;
- its **rank** on holdout alpha in a crowd of `crowd` random genomes from the lab's own
  generator (the percentage of the crowd it beats);
- beside each night, an **equal-intensity random search**: as many random genomes as the night
  evaluated, scored by the same train fitness, the best of them kept (as many as the night's
  candidates, distinct as the night keeps them), and their holdout alpha;
- the **haircut** from validation to holdout for passed, near-miss (failed only the deflated
  Sharpe ratio) and failed candidates;
- whether it is scale-free (`genome.units`): the share that is not must be 0.

The holdout is opened here by the benchmark alone (the windows' holdout scored directly); no
night and no lab command ever does.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.night_lab import NightSize, night_in_fresh_lab
from bench.power import verdicts
from configs import LabConfig
from evolve.evaluations import Record
from evolve.hall_of_fame import Fame, distinct
from evolve.variation import Breeder
from fitness.assess import assess_texts, stored_precision
from fitness.buy_and_hold import beyond, held_anyway
from fitness.score import WindowScorer
from fitness.windows import Window, build_windows
from genome.sense import scale_problem
from genome.text import parse
from market.bars import read_bars_file
from market.exchange import TRADING_DAYS
from market.panel import Panel
from market.problems import DataReport
from market.sources import BUNDLED_BARS, load_panel

__all__ = [
    "Universe",
    "UniverseFigures",
    "measure",
    "measure_universe",
    "summarise",
    "table",
    "universes",
]

WINDOWS = ("train", "validation", "holdout")
# Rules that are on (almost) always: they hold what the account holds anyway, so their alpha
# must be 0 on every window (exactly for `true`, up to its few off days for the other).
ALWAYS_ON = ("true", "gt(ret, -0.5)")


@dataclass(frozen=True)
class Universe:
    """A real universe: its bars (long format) and the benchmark symbol genomes read."""

    name: str
    bars: pd.DataFrame
    benchmark: str


def universes(full_data: Path | None) -> list[Universe]:
    """The bundled universe, and the full data set's other symbols when the file is there."""
    bundled = read_bars_file(BUNDLED_BARS, DataReport(source="bundled"))
    found = [Universe("bundled", bundled, "SPY")]
    if full_data is not None and full_data.exists():
        everything = read_bars_file(full_data, DataReport(source=str(full_data)))
        unseen = everything[~everything["symbol"].isin(set(bundled["symbol"]))]
        # No SPY among them: `benchmark` reads NaN there, as the README says of a missing one.
        found.append(Universe("unseen", unseen.reset_index(drop=True), "SPY"))
    return found


@dataclass
class CandidateFigures:
    """One bred candidate, followed into the holdout."""

    night: int
    genome: str
    status: str  # passed | near_miss | failed
    sharpe: dict[str, float]
    alpha: dict[str, float]
    holdout_rank: float  # % of the random crowd with a lower holdout alpha
    scale_free: bool
    # The annualised information ratio of its daily rank IC (fitness.rank_ic) per window: 0 for
    # a rule that never tells symbols apart (market timing).
    rank_ic: dict[str, float] = field(default_factory=dict)


@dataclass
class UniverseFigures:
    """What the lottery found on one universe."""

    name: str
    symbols: int
    nights: int = 0
    evaluations: list[int] = field(default_factory=list)
    candidates: list[CandidateFigures] = field(default_factory=list)
    crowd_alpha: list[float] = field(default_factory=list)
    random_search_alpha: list[float] = field(default_factory=list)
    kept_per_night: list[int] = field(default_factory=list)  # by the random search
    always_on: dict[str, dict[str, float]] = field(default_factory=dict)  # rule -> window alpha
    seconds: float = 0.0


class _Judge:
    """Sharpe and alpha of genome texts on one lab's windows (the holdout included)."""

    def __init__(self, config: LabConfig) -> None:
        self.config = config
        panel, _ = load_panel(config.data, config.alpaca)
        self.panel: Panel = panel
        self.windows: dict[str, Window] = build_windows(panel, config.windows, config.backtest)
        rules = config.backtest
        self.scorers = {n: WindowScorer(panel, self.windows[n], rules) for n in WINDOWS}
        self.held = {n: held_anyway(panel, self.windows[n], rules) for n in WINDOWS}

    def figures(self, text: str, names: tuple[str, ...] = WINDOWS) -> tuple[dict, dict, dict]:
        """Sharpe ratio, alpha beyond both buy-and-holds and rank-IC IR on each window."""
        sharpe, alpha, rank_ic = {}, {}, {}
        tree = parse(text)
        for name in names:
            scored = self.scorers[name].score(tree)
            sharpe[name] = float(scored.metrics.sharpe)
            alpha[name] = _alpha(scored.result.returns, self.held[name])
            rank_ic[name] = scored.rank_ic.ir
        return sharpe, alpha, rank_ic

    def train_scores(self, texts: list[str]) -> list[tuple[str, float, np.ndarray | None]]:
        """(text, the night's train score, daily train returns) of each text."""
        window = self.windows["train"]
        assessed = assess_texts(window.panel(self.panel), window, self.config.backtest, texts)
        out = []
        for a in assessed:
            record = Record(
                "",
                window.id,
                None if a.metrics is None else a.metrics.sharpe,
                0 if a.metrics is None else a.metrics.n_trades,
                a.stored_metrics(),
                a.returns,
                a.descriptor,
                a.reason,
                stored_precision(self.held["train"]),
            )
            out.append((a.text, record.score(len(parse(a.text)), self.config.evolve), a.returns))
        return out


def _alpha(returns: np.ndarray, held: np.ndarray) -> float:
    # Annualised Sharpe ratio of the returns beyond what is held anyway (0 when flat).
    _, excess = beyond(returns, held)
    spread = float(np.std(excess, ddof=1)) if len(excess) > 1 else 0.0
    return float(np.mean(excess) / spread * np.sqrt(TRADING_DAYS)) if spread > 0 else 0.0


def random_texts(config: LabConfig, seed: int, n: int) -> list[str]:
    """`n` random genomes as the night draws them (`Breeder.fresh`), seeded."""
    breeder = Breeder.of(config.evolve)
    rng = random.Random(seed)
    return [breeder.fresh(rng).text for _ in range(n)]


def _status(report: Any) -> str:
    if report.passed:
        return "passed"
    failed = [c["name"] for c in report.criteria if c.get("required") and not c.get("passed")]
    return "near_miss" if failed == ["dsr"] else "failed"


def measure_universe(
    universe: Universe,
    nights: int,
    size: NightSize,
    crowd: int,
    progress: Callable[[str], None] = print,
    windows: str = "",
) -> UniverseFigures:
    """The lottery on one universe (see the module docstring); `windows`: a `[windows]`
    section for its labs (default: the lab's default windows)."""
    started = time.perf_counter()
    figures = UniverseFigures(universe.name, int(universe.bars["symbol"].nunique()))
    with tempfile.TemporaryDirectory() as scratch:
        judge: _Judge | None = None
        for night in range(1, nights + 1):
            folder = Path(scratch) / f"night-{night}"
            config, db, summary = night_in_fresh_lab(
                folder, universe.bars, universe.benchmark, size, seed=night, extra=windows
            )
            judge = judge or _Judge(config)
            figures.nights += 1
            figures.evaluations.append(summary.evaluations)
            bred = []
            for _, report, text in verdicts(db):
                sharpe, alpha, rank_ic = judge.figures(text)
                bred.append(
                    CandidateFigures(
                        night,
                        text,
                        _status(report),
                        sharpe,
                        alpha,
                        0.0,
                        scale_problem(parse(text)) is None,
                        rank_ic,
                    )
                )
            figures.candidates += bred
            found = _random_search(judge, config, night, summary.evaluations, max(len(bred), 1))
            figures.random_search_alpha += found
            figures.kept_per_night.append(len(found))
            progress(
                f"lottery {universe.name} night {night}: {len(bred)} candidates, "
                f"{summary.evaluations} evaluations; random search kept {len(found)}"
            )
        assert judge is not None
        crowd_texts = random_texts(judge.config, 10**6, crowd)
        figures.crowd_alpha = [judge.figures(t, ("holdout",))[1]["holdout"] for t in crowd_texts]
        figures.always_on = {rule: judge.figures(rule)[1] for rule in ALWAYS_ON}
    ordered = np.sort(figures.crowd_alpha)
    for c in figures.candidates:
        below = np.searchsorted(ordered, c.alpha["holdout"], side="left")
        c.holdout_rank = 100.0 * float(below) / len(ordered)
    figures.seconds = time.perf_counter() - started
    return figures


def _random_search(
    judge: _Judge, config: LabConfig, night: int, evaluations: int, keep: int
) -> list[float]:
    # As many random genomes as the night evaluated, the best `keep` by the same train score,
    # distinct as the night keeps its candidates; their holdout alpha.
    texts = random_texts(config, 50_000 + night, evaluations)
    scored = judge.train_scores(list(dict.fromkeys(texts)))
    pool = (Fame(text, score, returns, 0) for text, score, returns in scored if returns is not None)
    kept = distinct(pool, keep, config.evolve.distinct_correlation)
    return [judge.figures(f.genome_id, ("holdout",))[1]["holdout"] for f in kept]


def summarise(figures: UniverseFigures) -> dict[str, Any]:
    """The universe's headline figures."""
    cands = figures.candidates
    holdout = [c.alpha["holdout"] for c in cands]
    groups: dict[str, dict[str, Any]] = {}
    for status in ("passed", "near_miss", "failed"):
        group = [c for c in cands if c.status == status]
        if group:
            validation = statistics.fmean(c.sharpe["validation"] for c in group)
            held = statistics.fmean(c.sharpe["holdout"] for c in group)
            groups[status] = {
                "n": len(group),
                "validation_sharpe": validation,
                "holdout_sharpe": held,
                "haircut": validation - held,
            }
    return {
        "universe": figures.name,
        "symbols": figures.symbols,
        "nights": figures.nights,
        "candidates": len(cands),
        "crowd": len(figures.crowd_alpha),
        "median_rank": statistics.median(c.holdout_rank for c in cands) if cands else None,
        "bred_mean_holdout_alpha": statistics.fmean(holdout) if holdout else None,
        "random_search_mean_holdout_alpha": (
            statistics.fmean(figures.random_search_alpha) if figures.random_search_alpha else None
        ),
        "crowd_median_holdout_alpha": statistics.median(figures.crowd_alpha),
        "bred_rank_ic_ir": {
            name: statistics.median(c.rank_ic[name] for c in cands) if cands else None
            for name in WINDOWS
        },
        "not_scale_free_share": sum(not c.scale_free for c in cands) / len(cands) if cands else 0.0,
        "always_on_alpha": figures.always_on,
        "always_on_largest_alpha": max(
            (abs(a) for alphas in figures.always_on.values() for a in alphas.values()), default=None
        ),
        "groups": groups,
        "seconds": figures.seconds,
    }


def measure(
    full_data: Path | None,
    nights: int,
    size: NightSize,
    crowd: int,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The lottery on every universe: the summaries and every candidate's figures."""
    found = []
    for universe in universes(full_data):
        figures = measure_universe(universe, nights, size, crowd, progress)
        found.append(
            {"summary": summarise(figures), "candidates": [asdict(c) for c in figures.candidates]}
        )
    return {"size": asdict(size), "crowd": crowd, "universes": found}


def table(report: dict[str, Any]) -> list[str]:
    """The summaries as a Markdown table, then the haircut per group."""

    def number(value: float | None, digits: int = 2) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    lines = [
        "| universe | symbols | nights | candidates | median holdout-alpha rank | bred mean "
        "holdout alpha | random search mean holdout alpha | crowd median | not scale-free |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for u in (x["summary"] for x in report["universes"]):
        lines.append(
            f"| {u['universe']} | {u['symbols']} | {u['nights']} | {u['candidates']} | "
            f"{number(u['median_rank'], 0)} | {number(u['bred_mean_holdout_alpha'])} | "
            f"{number(u['random_search_mean_holdout_alpha'])} | "
            f"{number(u['crowd_median_holdout_alpha'])} | {u['not_scale_free_share']:.0%} |"
        )
    lines += [
        "",
        "| universe | group | n | validation Sharpe | holdout Sharpe | haircut |",
        "|---|---|---|---|---|---|",
    ]
    for u in (x["summary"] for x in report["universes"]):
        for status, g in u["groups"].items():
            lines.append(
                f"| {u['universe']} | {status} | {g['n']} | {g['validation_sharpe']:.2f} | "
                f"{g['holdout_sharpe']:.2f} | {g['haircut']:.2f} |"
            )
    return lines
