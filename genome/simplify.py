"""Exact simplification, so that obviously equal genomes share one canonical text and one id.

Every rule gives the same hold signal on every panel, NaNs included (a comparison with NaN is
false):

- `not(not(x))` -> x; `and(x, x)`, `or(x, x)` -> x
- `and(x, not(x))` -> false; `or(x, not(x))` -> true
- `gt(x, x)`, `lt(x, x)` -> false
- `and`/`or`/`not` with `true` or `false` folded (`and(false, x)` -> false, `or(false, x)` -> x,
  `not(true)` -> false, ...)
- `neg(neg(x))` -> x; `abs(abs(x))`, `abs(neg(x))` -> abs(x)
- `lt(x, y)` of two series -> `gt(y, x)`
- the arguments of `and`, `or`, `add` and `mul` (commutative, exactly so in IEEE arithmetic)
  in the order of their canonical text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deap import gp

from genome.grammar import PSET
from genome.text import node_text

__all__ = ["simplify"]

_COMMUTATIVE = {"and", "or", "add", "mul"}
_TRUE, _FALSE = (
    next(t for t in PSET.terminals[PSET.ret] if t.name == n) for n in ("true", "false")
)
_PRIMITIVE = {p.name: p for ps in PSET.primitives.values() for p in ps}


@dataclass(frozen=True)
class _Expr:
    node: gp.Primitive | gp.Terminal
    args: tuple[_Expr, ...]
    text: str

    @property
    def key(self) -> str:
        return str(self.node.name)


def simplify(tree: gp.PrimitiveTree) -> gp.PrimitiveTree:
    """The simplified tree (a new tree; `tree` is not changed)."""
    expr = _build(list(tree))
    nodes: list[gp.Primitive | gp.Terminal] = []
    _flatten(expr, nodes)
    return gp.PrimitiveTree(nodes)


def _make(node: gp.Primitive | gp.Terminal, args: tuple[_Expr, ...]) -> _Expr:
    return _Expr(node, args, node_text(node, [a.text for a in args]))


def _flatten(expr: _Expr, out: list[gp.Primitive | gp.Terminal]) -> None:
    out.append(expr.node)
    for arg in expr.args:
        _flatten(arg, out)


def _build(nodes: list[gp.Primitive | gp.Terminal]) -> _Expr:
    # Post-order over the prefix list: simplify children before their parent.
    stack: list[tuple[gp.Primitive | gp.Terminal, list[_Expr]]] = []
    for node in nodes:
        stack.append((node, []))
        while len(stack[-1][1]) == stack[-1][0].arity:
            done, args = stack.pop()
            expr = _rule(done, tuple(args))
            if not stack:
                return expr
            stack[-1][1].append(expr)
    raise ValueError("incomplete tree")


def _leaf(terminal: gp.Terminal) -> _Expr:
    return _make(terminal, ())


def _rule(node: gp.Primitive | gp.Terminal, args: tuple[_Expr, ...]) -> _Expr:
    name = str(node.name)
    rewrite = _REWRITES.get(name)
    found = rewrite(name, args) if rewrite else None
    if found is not None:
        return found
    if name in _COMMUTATIVE:
        args = tuple(sorted(args, key=lambda a: a.text))
    return _make(node, args)


def _not(name: str, args: tuple[_Expr, ...]) -> _Expr | None:
    (x,) = args
    if x.key == "not":
        return x.args[0]
    if x.key in ("true", "false"):
        return _leaf(_FALSE if x.key == "true" else _TRUE)
    return None


def _and_or(name: str, args: tuple[_Expr, ...]) -> _Expr | None:
    x, y = args
    true, false = _leaf(_TRUE), _leaf(_FALSE)
    absorbing, neutral = (false, true) if name == "and" else (true, false)
    if absorbing.text in (x.text, y.text):
        return absorbing
    if x.text == neutral.text:
        return y
    if y.text == neutral.text or x.text == y.text:
        return x
    if (x.key == "not" and x.args[0].text == y.text) or (
        y.key == "not" and y.args[0].text == x.text
    ):
        return absorbing
    return None


def _compare(name: str, args: tuple[_Expr, ...]) -> _Expr | None:
    x, y = args
    if x.text == y.text:
        return _leaf(_FALSE)
    return _rule(_PRIMITIVE["gt"], (y, x)) if name == "lt" else None


def _neg(name: str, args: tuple[_Expr, ...]) -> _Expr | None:
    (x,) = args
    return x.args[0] if x.key == "neg" else None


def _abs(name: str, args: tuple[_Expr, ...]) -> _Expr | None:
    (x,) = args
    if x.key == "abs":
        return x
    return _rule(_PRIMITIVE["abs"], x.args) if x.key == "neg" else None


# Each operator's rewrites: the simpler equal expression, or None to keep the node.
_REWRITES: dict[str, Callable[[str, tuple[_Expr, ...]], _Expr | None]] = {
    "not": _not,
    "and": _and_or,
    "or": _and_or,
    "gt": _compare,
    "lt": _compare,
    "neg": _neg,
    "abs": _abs,
}
