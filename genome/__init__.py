"""What a strategy is: the typed grammar, genome trees, their canonical text form, the parser and
the evaluation of a tree into hold signals. Pure: arrays and values in, arrays and values out.

A tree is a DEAP `PrimitiveTree` over `PSET`; its text form is the only form that leaves the
process (database, logs, workers)."""

from genome.errors import GenomeError
from genome.evaluate import Bars, Evaluator, SubtreeCache, evaluate
from genome.generate import bounded, generate, half_and_half
from genome.grammar import FUNCTIONS, PSET, WINDOWS
from genome.simplify import simplify
from genome.text import FORMAT_VERSION, genome_id, parse, stored_form, to_text

__all__ = [
    "FORMAT_VERSION",
    "FUNCTIONS",
    "PSET",
    "WINDOWS",
    "Bars",
    "Evaluator",
    "GenomeError",
    "SubtreeCache",
    "bounded",
    "evaluate",
    "generate",
    "genome_id",
    "half_and_half",
    "parse",
    "simplify",
    "stored_form",
    "to_text",
]
