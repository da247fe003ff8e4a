"""The night's choice of candidates, decided without a database: best first, nothing already a
candidate, nothing that behaves like a known candidate or like a better choice of the same
night, at most `evolve.candidates`, and none that could not be backtested."""

from __future__ import annotations

import dataclasses

import numpy as np

from configs import load_config
from evolve.candidates import choose_candidates
from evolve.engine import Individual
from evolve.evaluations import Record
from evolve.variation import child_of
from genome.text import parse

CONFIG = dataclasses.replace(load_config().evolve, candidates=3, candidate_correlation=0.9)
RNG = np.random.default_rng(5)
BASES = [RNG.normal(0.0, 0.01, 250) for _ in range(6)]  # six unrelated return series


def member(window: int, fitness: float, returns: np.ndarray | None) -> Individual:
    child = child_of(parse(f"gt(close, sma(close, {window}))"), "random")
    sharpe = None if returns is None else 1.0
    record = Record(child.id, "train", sharpe, 40, {}, returns, None, None)
    return Individual(child, record, fitness, fitness, 0.0)


def test_the_best_distinct_new_genomes_become_candidates_best_first() -> None:
    pool = [
        member(5, 0.4, BASES[0]),
        member(10, 0.9, BASES[1]),
        member(20, 0.8, BASES[1] + RNG.normal(0, 0.001, 250)),  # a twin of the 0.9 one
        member(50, 0.7, BASES[2]),
        member(100, 0.6, BASES[3]),
        member(200, 0.95, None),  # not backtested
    ]
    chosen = choose_candidates(pool, set(), [], CONFIG)
    assert [i.fitness for i in chosen] == [0.9, 0.7, 0.6]  # the twin and the failure left out


def test_known_candidates_and_their_look_alikes_are_not_chosen_again() -> None:
    known = member(10, 0.9, BASES[1])
    look_alike = member(20, 0.85, BASES[2] * 2.0)  # correlation 1 with a known candidate
    pool = [known, look_alike, member(50, 0.5, BASES[4]), member(100, 0.3, BASES[5])]
    chosen = choose_candidates(pool, {known.child.id}, [BASES[2]], CONFIG)
    assert [i.fitness for i in chosen] == [0.5, 0.3]


def test_the_choice_does_not_depend_on_the_order_of_the_pool() -> None:
    pool = [member(w, f, BASES[k]) for k, (w, f) in enumerate([(5, 0.2), (10, 0.5), (20, 0.5)])]
    first = [i.child.id for i in choose_candidates(pool, set(), [], CONFIG)]
    again = [i.child.id for i in choose_candidates(pool[::-1], set(), [], CONFIG)]
    assert first == again and len(first) == 3


def test_at_most_one_candidate_an_idea_the_fittest_of_it() -> None:
    def other(text: str, fitness: float, returns: np.ndarray) -> Individual:
        child = child_of(parse(text), "random")
        record = Record(child.id, "train", 1.0, 40, {}, returns, None, None)
        return Individual(child, record, fitness, fitness, 0.0)

    # Four variants of one idea (other lookbacks), unrelated in their returns, and a second idea.
    pool = [member(w, f, BASES[k]) for k, (w, f) in enumerate([(5, 0.9), (10, 0.8), (20, 0.7)])]
    pool.append(member(50, 0.95, BASES[3]))
    pool.append(other("lt(rsi(close, 14), 30.0)", 0.5, BASES[4]))
    pool.append(other("lt(rsi(close, 2), 10.0)", 0.6, BASES[5]))
    copies = choose_candidates(pool, set(), [], CONFIG)
    assert [i.fitness for i in copies] == [0.95, 0.9, 0.8]  # today: one idea, three copies
    ideas = choose_candidates(pool, set(), [], dataclasses.replace(CONFIG, candidates_per_idea=1))
    assert [i.child.text for i in ideas] == ["gt(close, sma(close, 50))", "lt(rsi(close, 2), 10)"]
    two = choose_candidates(pool, set(), [], dataclasses.replace(CONFIG, candidates_per_idea=2))
    assert [i.fitness for i in two] == [0.95, 0.9, 0.6]
