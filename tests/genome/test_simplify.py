"""Exact simplification: each rule, idempotence, and no change to any signal on real data."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configs import load_config
from genome.evaluate import Evaluator
from genome.generate import half_and_half
from genome.simplify import simplify
from genome.text import genome_id, parse, to_text
from market.panel import Panel
from market.sources import load_panel

RULES = [
    ("not(not(gt(close, open)))", "gt(close, open)"),
    ("and(gt(close, open), gt(close, open))", "gt(close, open)"),
    ("or(gt(close, open), gt(close, open))", "gt(close, open)"),
    ("and(gt(close, open), not(gt(close, open)))", "false"),
    ("or(not(gt(close, open)), gt(close, open))", "true"),
    ("gt(close, close)", "false"),
    ("lt(sma(ret, 5), sma(ret, 5))", "false"),
    ("and(false, gt(close, open))", "false"),
    ("and(true, gt(close, open))", "gt(close, open)"),
    ("or(true, gt(close, open))", "true"),
    ("or(gt(close, open), false)", "gt(close, open)"),
    ("not(true)", "false"),
    ("not(and(gt(close, close), true))", "true"),
    ("gt(neg(neg(close)), open)", "gt(close, open)"),
    ("gt(abs(abs(close)), open)", "gt(abs(close), open)"),
    ("gt(abs(neg(close)), open)", "gt(abs(close), open)"),
    ("lt(close, sma(close, 50))", "gt(sma(close, 50), close)"),
    ("lt(close, 0.5)", "lt(close, 0.5)"),
    ("and(gt(volume, 2), gt(close, open))", "and(gt(close, open), gt(volume, 2))"),
    ("gt(add(open, close), mul(low, high))", "gt(add(close, open), mul(high, low))"),
    ("gt(add(open, close), add(close, open))", "false"),
]


@pytest.mark.parametrize(("text", "simpler"), RULES)
def test_rule(text: str, simpler: str) -> None:
    assert to_text(simplify(parse(text))) == simpler


def test_equal_genomes_share_one_id() -> None:
    a = parse("and(gt(volume, 2), lt(close, sma(close, 20)))")
    b = parse("and(not(not(gt(sma(close, 20), close))), gt(volume, 2))")
    assert genome_id(a) == genome_id(b)


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    config = load_config()
    panel: Panel = load_panel(config.data, config.alpaca)[0]
    return Evaluator(panel.days(3000, 3600))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_simplification_never_changes_the_signal(evaluator: Evaluator, seed: int) -> None:
    tree = half_and_half(random.Random(seed), 2, 7)
    simpler = simplify(tree)
    assert len(simpler) <= len(tree)
    assert to_text(simplify(simpler)) == to_text(simpler)  # idempotent
    np.testing.assert_array_equal(evaluator.signal(tree), evaluator.signal(simpler))
