"""Genome text: the canonical prefix form, its parser, the stored form and the genome id.

Syntax: `name(arg, arg, ...)` calls, bare names for series (`close`) and signals (`true`,
`false`), plain decimals for windows and constants (`50`, `-0.05`); spaces are free. The parser
is this module's own tokenizer and recursive descent with a depth limit, checked against the
primitive set's names and types: nothing is ever evaluated, compiled or unpickled.

Canonical text: `fn(arg, arg)` with ", " between arguments, numbers in the shortest positional
form that reads back to the same float (`30`, `0.2`, `-0.05`). The stored form prefixes the
format version (`v1:`); `genome_id` is the SHA-256 of the stored form of the simplified tree.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from deap import gp

from genome.errors import GenomeError
from genome.grammar import (
    CONST_LIMIT,
    FUNCTIONS,
    PSET,
    SERIES,
    SIGNALS,
    WINDOWS,
    Const,
    Constant,
    Function,
    Lookback,
    Series,
    Signal,
    function_of,
    window_of,
)

__all__ = [
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "genome_id",
    "node_text",
    "number_text",
    "parse",
    "stored_form",
    "to_text",
]

FORMAT_VERSION = 1
MAX_LENGTH = 10_000  # characters
MAX_DEPTH = 64  # nesting of calls

_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>-?[0-9]+(?:\.[0-9]+)?)"
    r"|(?P<punct>[(),])|(?P<other>\S))"
)
_VERSION = re.compile(r"\s*v(?P<version>[0-9]+):")
_OVERLOADS: dict[str, list[Function]] = {}
for _f in FUNCTIONS:
    _OVERLOADS.setdefault(_f.name, []).append(_f)
_PRIMITIVES = {p.name: p for ps in PSET.primitives.values() for p in ps}
_TERMINALS = {
    t.name: t for ts in PSET.terminals.values() for t in ts if not isinstance(t, Constant)
}
_TYPE_WORDS: dict[type, str] = {
    Series: "a series",
    Signal: "a signal",
    Lookback: f"a window (one of {', '.join(map(str, WINDOWS))})",
    Const: "a number",
}


def number_text(value: float) -> str:
    """The canonical text of a number: shortest positional form that reads back exactly."""
    return str(np.format_float_positional(value, trim="-"))


def to_text(tree: gp.PrimitiveTree) -> str:
    """The canonical text of `tree`, exactly as it is (see `genome.simplify` for equal forms)."""
    stack: list[tuple[gp.Primitive | gp.Terminal, list[str]]] = []
    for node in tree:
        stack.append((node, []))
        while len(stack[-1][1]) == stack[-1][0].arity:
            done, args = stack.pop()
            text = node_text(done, args)
            if not stack:
                return text
            stack[-1][1].append(text)
    raise GenomeError("incomplete tree: a function is missing arguments")


def node_text(node: gp.Primitive | gp.Terminal, args: list[str]) -> str:
    """The text of one node given the texts of its arguments."""
    if isinstance(node, gp.Primitive):
        return f"{function_of(node.name).name}({', '.join(args)})"
    if isinstance(node, Constant):
        return number_text(node.value)
    if node.ret is Lookback:
        return str(window_of(node))
    return str(node.name)


def stored_form(tree: gp.PrimitiveTree) -> str:
    """The text kept in research.db: format version and canonical text."""
    return f"v{FORMAT_VERSION}:{to_text(tree)}"


def genome_id(tree: gp.PrimitiveTree) -> str:
    """SHA-256 (hex) of the stored form of the simplified tree: the genome's key everywhere."""
    from genome.simplify import simplify

    return hashlib.sha256(stored_form(simplify(tree)).encode()).hexdigest()


# --- parsing ---------------------------------------------------------------------------------


@dataclass
class _Raw:
    """A syntax node before typing: a call (args not None), a name or a number."""

    kind: str  # "call", "name", "number"
    text: str
    position: int
    args: list[_Raw] | None = None


def parse(text: str) -> gp.PrimitiveTree:
    """Rebuild a tree from genome text (bare or stored form).

    Raises:
        GenomeError: naming the position and the reason, for any text that is not a genome.
    """
    if not isinstance(text, str):
        raise GenomeError(f"a genome is text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise GenomeError(f"longer than {MAX_LENGTH} characters ({len(text)})", 0)
    start = 0
    version = _VERSION.match(text)
    if version:
        if version.group("version") != str(FORMAT_VERSION):
            raise GenomeError(
                f"format version {version.group('version')} is not supported (this lab reads "
                f"v{FORMAT_VERSION})",
                0,
                text,
            )
        start = version.end()
    parser = _Parser(text, start)
    raw = parser.expression(depth=0)
    parser.expect_end()
    nodes: list[gp.Primitive | gp.Terminal] = []
    _typed(raw, Signal, nodes, text)
    return gp.PrimitiveTree(nodes)


class _Parser:
    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        position = start
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:  # only white space is left
                break
            kind = match.lastgroup or "other"
            self.tokens.append((kind, match.group(kind), match.start(kind)))
            position = match.end()
        self.index = 0

    def error(self, reason: str, position: int) -> GenomeError:
        return GenomeError(reason, position, self.text)

    def peek(self) -> tuple[str, str, int]:
        if self.index < len(self.tokens):
            return self.tokens[self.index]
        return ("end", "", len(self.text))

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        self.index += 1
        return token

    def expression(self, depth: int) -> _Raw:
        kind, value, position = self.take()
        if kind == "number":
            return _Raw("number", value, position)
        if kind == "name":
            if self.peek()[1] != "(":
                return _Raw("name", value, position)
            if depth >= MAX_DEPTH:
                raise self.error(f"nested deeper than {MAX_DEPTH} calls", position)
            self.take()
            args = [self.expression(depth + 1)]
            while self.peek()[1] == ",":
                self.take()
                args.append(self.expression(depth + 1))
            closing = self.take()
            if closing[1] != ")":
                raise self.error(
                    f"expected ',' or ')' in {value}(...), got {_shown(closing)}", closing[2]
                )
            return _Raw("call", value, position, args)
        if kind == "end":
            raise self.error("the text ends where an argument was expected", position)
        raise self.error(
            f"expected a name or a number, got {_shown((kind, value, position))}", position
        )

    def expect_end(self) -> None:
        kind, value, position = self.peek()
        if kind != "end":
            raise self.error(
                f"unexpected {_shown((kind, value, position))} after the genome", position
            )


def _shown(token: tuple[str, str, int]) -> str:
    return "the end of the text" if token[0] == "end" else repr(token[1])


def _typed(raw: _Raw, expected: type, nodes: list[gp.Primitive | gp.Terminal], text: str) -> None:
    def fail(reason: str) -> GenomeError:
        return GenomeError(reason, raw.position, text)

    if raw.kind == "number":
        nodes.append(_number(raw, expected, fail))
    elif raw.kind == "name":
        nodes.append(_name(raw, expected, fail))
    else:
        assert raw.args is not None
        chosen = _overload(raw, expected, fail)
        nodes.append(_PRIMITIVES[chosen.key])
        for arg, arg_type in zip(raw.args, chosen.args, strict=True):
            _typed(arg, arg_type, nodes, text)


def _number(
    raw: _Raw, expected: type, fail: Callable[[str], GenomeError]
) -> gp.Primitive | gp.Terminal:
    if expected is Lookback:
        if raw.text not in {str(w) for w in WINDOWS}:
            raise fail(f"expected {_TYPE_WORDS[expected]}, got {raw.text}")
        return _TERMINALS[f"w{raw.text}"]
    if expected is Const:
        value = float(raw.text)
        if abs(value) > CONST_LIMIT:
            raise fail(f"constant {raw.text} is beyond +-{CONST_LIMIT:g}")
        return Constant(value)
    raise fail(f"expected {_TYPE_WORDS[expected]} here, got the number {raw.text}")


def _name(raw: _Raw, expected: type, fail: Callable[[str], GenomeError]) -> gp.Terminal:
    terminal = _TERMINALS.get(raw.text)
    if terminal is None or terminal.ret is Lookback:
        if raw.text in _OVERLOADS:
            raise fail(f"{raw.text} is a function: write {raw.text}(...)")
        raise fail(f"unknown name {raw.text!r}{_hint(raw.text, [*SERIES, *SIGNALS])}")
    if terminal.ret is not expected:
        want = _TYPE_WORDS[expected]
        raise fail(f"expected {want} here, got {_TYPE_WORDS[terminal.ret]} {raw.text!r}")
    return terminal


def _overload(raw: _Raw, expected: type, fail: Callable[[str], GenomeError]) -> Function:
    # The function a call names: the overload of its arity returning `expected` whose
    # argument types fit (the first one if none is sure).
    assert raw.args is not None
    overloads = _OVERLOADS.get(raw.text)
    if overloads is None:
        if raw.text in SERIES or raw.text in SIGNALS:
            raise fail(f"{raw.text} is a value, not a function: write {raw.text} without (...)")
        raise fail(f"unknown function {raw.text!r}{_hint(raw.text, list(_OVERLOADS))}")
    fitting = [f for f in overloads if len(f.args) == len(raw.args)]
    if not fitting:
        sizes = " or ".join(sorted({str(len(f.args)) for f in overloads}))
        raise fail(f"{raw.text} takes {sizes} argument(s), got {len(raw.args)}")
    returning = [f for f in fitting if f.ret is expected]
    if not returning:
        want = _TYPE_WORDS[expected]
        raise fail(f"expected {want} here, but {raw.text} gives {_TYPE_WORDS[fitting[0].ret]}")
    args = raw.args
    return next(
        (
            f
            for f in returning
            if all(t in _possible_types(a) for a, t in zip(args, f.args, strict=True))
        ),
        returning[0],
    )


def _possible_types(raw: _Raw) -> set[type]:
    # What an argument can be, before it is typed: an overload is chosen by its arguments.
    if raw.kind == "number":
        return {Lookback, Const}
    if raw.kind == "name":
        terminal = _TERMINALS.get(raw.text)
        return {terminal.ret} if terminal is not None else set()
    return {f.ret for f in _OVERLOADS.get(raw.text, [])}


def _hint(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
