"""Evaluate genome trees into hold signals over a panel.

`evaluate(tree, panel)` returns a bool (days x symbols) array: True where the genome holds the
symbol at that close. An `Evaluator` does the same for many trees on one panel, computing the
derived series once, reusing intermediate arrays, and (with `cache_bytes`) sharing identical
subtrees across trees through a bounded LRU `SubtreeCache`. Each function's kernel comes from
its registry row (`genome.primitives`). Only results that cost far more to compute than to keep
are cached (rows marked `cached`: rolling functions, rank, log): on a bred population with a
128 MB budget that gives 1.7x against 1.3x for caching every node (BENCHMARKS.md).

NaN rules (the kernels' docstring has the details): a value that cannot be computed is NaN (a
lookback spanning a missing bar or reaching before the first bar, division by zero, log of a
non-positive number, any overflow); `rank` ranks only the symbols with a value; a comparison
with NaN is False. A symbol without a close that day is never held. No value at day t depends
on data after t.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from deap import gp

from genome import kernels_nb as k
from genome.grammar import Const, Lookback, Signal, function_of, window_of
from genome.text import node_text

__all__ = ["Bars", "CacheStats", "Evaluator", "SubtreeCache", "evaluate"]


class Bars(Protocol):
    """Daily bars as (days x symbols) float64 arrays, NaN where there is no bar (a
    `market.panel.Panel` is one). The `market` attribute ((days,) float64), which a genome
    reading `market` needs, is the equal-weight market index of the whole data set the bars
    were cut from (so its level does not depend on where a window starts).
    With `symbols` and `benchmark_symbol`, the series `benchmark` is that symbol's close (NaN
    without them)."""

    @property
    def open(self) -> np.ndarray:
        """Opening prices, (days, symbols)."""
        ...

    @property
    def high(self) -> np.ndarray:
        """Highs, (days, symbols)."""
        ...

    @property
    def low(self) -> np.ndarray:
        """Lows, (days, symbols)."""
        ...

    @property
    def close(self) -> np.ndarray:
        """Closing prices, (days, symbols)."""
        ...

    @property
    def volume(self) -> np.ndarray:
        """Volumes, (days, symbols)."""
        ...


def evaluate(tree: gp.PrimitiveTree, bars: Bars) -> np.ndarray:
    """The hold signal of `tree` on `bars`: bool (days x symbols)."""
    return Evaluator(bars).signal(tree)


@dataclass
class CacheStats:
    """How often the subtree cache answered."""

    hits: int = 0
    misses: int = 0

    @property
    def hit_rate(self) -> float:
        """The share of lookups the cache answered."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class SubtreeCache:
    """Results of subtrees by their canonical text, least recently used evicted first, holding
    at most `max_bytes` of arrays. Cached arrays are read-only."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.stats = CacheStats()
        self._entries: OrderedDict[str, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> np.ndarray | None:
        """The cached array of subtree `key` (now the most recently used), or None."""
        found = self._entries.get(key)
        if found is None:
            self.stats.misses += 1
            return None
        self._entries.move_to_end(key)
        self.stats.hits += 1
        return found

    def put(self, key: str, array: np.ndarray) -> bool:
        """Keep `array` (made read-only) under `key`; False when it is larger than the cache."""
        if array.nbytes > self.max_bytes:
            return False
        array.flags.writeable = False
        self._entries[key] = array
        self.bytes += array.nbytes
        while self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.nbytes
        return True


class Evaluator:
    """Evaluates trees on one set of bars. Not thread-safe: use one per worker."""

    def __init__(self, bars: Bars, cache_bytes: int = 0, pool_size: int = 8) -> None:
        self.bars = bars
        self.cache = SubtreeCache(cache_bytes) if cache_bytes > 0 else None
        self._shape: tuple[int, int] = bars.close.shape
        self._pool: dict[type, list[np.ndarray]] = {np.float64: [], np.bool_: []}
        self._pool_size = pool_size
        self._terminals: dict[str, np.ndarray] = {}
        self._has_price = np.isfinite(bars.close)

    def signal(self, tree: gp.PrimitiveTree) -> np.ndarray:
        """The hold signal of `tree`: bool (days x symbols), a new array owned by the caller."""
        nodes = list(tree)
        children, keys = _structure(nodes)
        value, owned = self._value(0, nodes, children, keys)
        if nodes[0].ret is not Signal:
            raise TypeError(f"a genome's root must be a signal, got {nodes[0].ret.__name__}")
        hold = np.logical_and(value, self._has_price)
        if owned:
            self._give(value)
        return hold

    # --- interpretation -------------------------------------------------------------------

    def _value(
        self, i: int, nodes: list[Any], children: list[list[int]], keys: list[str]
    ) -> tuple[Any, bool]:
        """(value of node i, whether it is a pooled temporary the caller must give back)."""
        node = nodes[i]
        if isinstance(node, gp.Terminal):
            return self._terminal(node), False
        function = function_of(str(node.name))
        cache = self.cache if function.cached else None
        if cache is not None:
            cached = cache.get(keys[i])
            if cached is not None:
                return cached, False
        args = [self._value(c, nodes, children, keys) for c in children[i]]
        out = self._take(np.bool_ if node.ret is Signal else np.float64)
        function.kernel(*(a for a, _ in args), out)
        for array, owned in args:
            if owned:
                self._give(array)
        if cache is not None and cache.put(keys[i], out):
            return out, False
        return out, True

    def _terminal(self, node: gp.Terminal) -> Any:
        if node.ret is Lookback:
            return window_of(node)
        if node.ret is Const:
            return node.value
        name = str(node.name)
        found = self._terminals.get(name)
        if found is None:
            found = self._derive(name)
            found.flags.writeable = False
            self._terminals[name] = found
        return found

    def _derive(self, name: str) -> np.ndarray:
        bars = self.bars
        if name in ("open", "high", "low", "close", "volume"):
            array: np.ndarray = getattr(bars, name)
            return array
        if name == "ret":
            out = np.empty(self._shape)
            k.change_nb(bars.close, 1, out)
            return out
        if name == "dollar_volume":
            out = np.empty(self._shape)
            k.mul_nb(bars.close, bars.volume, out)
            return out
        if name == "market":
            level: np.ndarray | None = getattr(bars, "market", None)
            if level is None:
                raise ValueError(
                    "these bars have no market index (`market`): a market.panel.Panel has one"
                )
            return np.repeat(level[:, None], self._shape[1], axis=1)
        if name == "benchmark":
            symbols = tuple(getattr(bars, "symbols", ()))
            chosen = str(getattr(bars, "benchmark_symbol", ""))
            if chosen not in symbols:
                return np.full(self._shape, np.nan)
            column = bars.close[:, symbols.index(chosen)]
            return np.repeat(column[:, None], self._shape[1], axis=1)
        if name in ("true", "false"):
            return np.full(self._shape, name == "true")
        raise KeyError(f"no value for genome terminal {name!r}")

    # --- buffers ----------------------------------------------------------------------------

    def _take(self, dtype: type) -> np.ndarray:
        free = self._pool[dtype]
        return free.pop() if free else np.empty(self._shape, dtype=dtype)

    def _give(self, array: np.ndarray) -> None:
        free = self._pool[array.dtype.type]
        if len(free) < self._pool_size:
            free.append(array)


def _structure(nodes: list[Any]) -> tuple[list[list[int]], list[str]]:
    """Children of each node and the canonical text of each subtree (the cache keys)."""
    children: list[list[int]] = [[] for _ in nodes]
    keys = [""] * len(nodes)
    stack: list[int] = []
    for i in range(len(nodes) - 1, -1, -1):
        node = nodes[i]
        args = [stack.pop() for _ in range(node.arity)]
        children[i] = args
        keys[i] = node_text(node, [keys[a] for a in args])
        stack.append(i)
    if len(stack) != 1:
        raise ValueError("not a complete tree")
    return children, keys
