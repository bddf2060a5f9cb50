"""The expression language's syntax tree: small frozen dataclasses, one per construct."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lit:
    """A literal: number, string, boolean or null."""

    value: object
    pos: int = 0


@dataclass(frozen=True)
class Dur:
    """A duration literal such as ``14d``; stored in microseconds."""

    micros: int
    text: str
    pos: int = 0


@dataclass(frozen=True)
class ListLit:
    items: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True)
class Field:
    """A named value: a lead attribute, ``account.x``, or a score (``fit``)."""

    name: str
    pos: int = 0


@dataclass(frozen=True)
class Star:
    """``*`` as an event selector: every event type."""

    pos: int = 0


@dataclass(frozen=True)
class Unary:
    op: str  # "not" | "-"
    operand: Node
    pos: int = 0


@dataclass(frozen=True)
class Binary:
    op: str  # = != < <= > >= + - * /
    left: Node
    right: Node
    pos: int = 0


@dataclass(frozen=True)
class BoolOp:
    """``a and b and c`` / ``a or b``: n-ary so long chains stay shallow."""

    op: str  # "and" | "or"
    items: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True)
class In:
    left: Node
    items: ListLit
    negated: bool = False
    pos: int = 0


@dataclass(frozen=True)
class IsNull:
    operand: Node
    negated: bool = False
    pos: int = 0


@dataclass(frozen=True)
class TextOp:
    """``x matches 'regex'`` or ``x contains 'text'``: the pattern is always a literal."""

    op: str  # "matches" | "contains"
    left: Node
    pattern: str
    pos: int = 0


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int = 0


Node = Lit | Dur | ListLit | Field | Star | Unary | Binary | BoolOp | In | IsNull | TextOp | Call


def walk(node: Node):  # type: ignore[no-untyped-def]
    """Every node of the tree, depth first, parents before children."""
    yield node
    if isinstance(node, ListLit):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Unary):
        yield from walk(node.operand)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, BoolOp):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, In):
        yield from walk(node.left)
        yield from walk(node.items)
    elif isinstance(node, IsNull):
        yield from walk(node.operand)
    elif isinstance(node, TextOp):
        yield from walk(node.left)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)


def depth(node: Node) -> int:
    """How deep the tree nests, computed without recursion (hostile input may be deep)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(current, (ListLit, BoolOp)):
            stack.extend((item, level + 1) for item in current.items)
        elif isinstance(current, Unary):
            stack.append((current.operand, level + 1))
        elif isinstance(current, Binary):
            stack.extend([(current.left, level + 1), (current.right, level + 1)])
        elif isinstance(current, In):
            stack.extend([(current.left, level + 1), (current.items, level + 1)])
        elif isinstance(current, (IsNull,)):
            stack.append((current.operand, level + 1))
        elif isinstance(current, TextOp):
            stack.append((current.left, level + 1))
        elif isinstance(current, Call):
            stack.extend((arg, level + 1) for arg in current.args)
    return deepest
