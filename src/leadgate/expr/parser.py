"""Tokenizer and recursive-descent parser for rule expressions.

The grammar, loosest binding first::

    expr    := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := sum [ op sum | ['not'] 'in' list | 'matches' STRING | 'contains' STRING
                   | 'is' ['not'] 'null' ]            op: = == != <> < <= > >=
    sum     := product (('+' | '-') product)*
    product := unary (('*' | '/') unary)*
    unary   := '-' unary | primary
    primary := NUMBER | STRING | DURATION | true | false | null | list | '(' expr ')'
             | NAME ('.' NAME)* [ '(' [arg (',' arg)*] ')' ]
    arg     := expr | '*'

Nothing here executes anything: the parser builds a tree, and the compilers turn the tree
into Python or SQL with every literal quoted by us. Limits keep hostile input cheap: an
expression is at most 4,000 characters, nests at most 40 deep and lists hold at most
5,000 items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ExpressionError
from .ast import (
    Binary,
    BoolOp,
    Call,
    Dur,
    Field,
    In,
    IsNull,
    ListLit,
    Lit,
    Node,
    Star,
    TextOp,
    Unary,
    depth,
)

MAX_LENGTH = 4_000
MAX_DEPTH = 40
MAX_LIST = 5_000

DURATION_UNITS = {"m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false", "matches", "contains"}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<duration>\d+(?:\.\d+)?(?:m|h|d|w)\b)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<>|<=|>=|[=<>+\-*/(),.\[\]])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # number duration string name keyword op end
    text: str
    pos: int


def parse_duration(text: str) -> int:
    """Microseconds in a duration such as ``14d``, ``36h``, ``2w``, ``90m``.

    >>> parse_duration("2h")
    7200000000
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(m|h|d|w)\s*", str(text))
    if not match:
        raise ExpressionError(
            f"{text!r} is not a duration", hint="write a number and a unit: 90m, 36h, 14d, 2w"
        )
    return round(float(match.group(1)) * DURATION_UNITS[match.group(2)] * 1_000_000)


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"The expression is {len(text)} characters; the limit is {MAX_LENGTH}."
        )
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ExpressionError(f"Unexpected character {text[pos]!r}", pos)
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "name" and value.lower() in _KEYWORDS:
            kind, value = "keyword", value.lower()
        if kind != "ws":
            tokens.append(Token(kind, value, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # -- helpers ---------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        tok = self.tok
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str, what: str) -> Token:
        tok = self.accept(kind, text)
        if tok is None:
            found = self.tok.text or "the end of the expression"
            raise ExpressionError(f"Expected {what} but found {found!r}", self.tok.pos)
        return tok

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"The expression nests deeper than {MAX_DEPTH} levels", self.tok.pos
            )

    # -- grammar ---------------------------------------------------------------------------
    def parse(self) -> Node:
        node = self.expr()
        if self.tok.kind != "end":
            raise ExpressionError(
                f"Unexpected {self.tok.text!r}",
                self.tok.pos,
                hint="join conditions with 'and' / 'or'",
            )
        return node

    def expr(self) -> Node:
        self.nest()
        items = [self.and_()]
        while self.accept("keyword", "or") is not None:
            items.append(self.and_())
        self.depth -= 1
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items), items[0].pos)

    def and_(self) -> Node:
        items = [self.not_()]
        while self.accept("keyword", "and") is not None:
            items.append(self.not_())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items), items[0].pos)

    def not_(self) -> Node:
        if (tok := self.accept("keyword", "not")) is not None:
            self.nest()
            node = Unary("not", self.not_(), tok.pos)
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        left = self.sum_()
        tok = self.tok
        if tok.kind == "op" and tok.text in {"=", "==", "!=", "<>", "<", "<=", ">", ">="}:
            self.take()
            op = {"==": "=", "<>": "!="}.get(tok.text, tok.text)
            return Binary(op, left, self.sum_(), tok.pos)
        if tok.kind == "keyword" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.i += 2
            return In(left, self.list_(), True, tok.pos)
        if self.accept("keyword", "in"):
            return In(left, self.list_(), False, tok.pos)
        if tok.kind == "keyword" and tok.text in {"matches", "contains"}:
            self.take()
            pattern = self.tok
            if pattern.kind != "string":
                raise ExpressionError(
                    f"'{tok.text}' takes a quoted text",
                    pattern.pos,
                    hint=f"write: title {tok.text} 'director'",
                )
            self.take()
            return TextOp(tok.text, left, _unquote(pattern.text), tok.pos)
        if self.accept("keyword", "is"):
            negated = self.accept("keyword", "not") is not None
            self.expect("keyword", "null", "'null' after 'is'")
            return IsNull(left, negated, tok.pos)
        return left

    def sum_(self) -> Node:
        node = self.product()
        while self.tok.kind == "op" and self.tok.text in {"+", "-"}:
            tok = self.take()
            node = Binary(tok.text, node, self.product(), tok.pos)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in {"*", "/"}:
            tok = self.take()
            node = Binary(tok.text, node, self.unary(), tok.pos)
        return node

    def unary(self) -> Node:
        if (tok := self.accept("op", "-")) is not None:
            self.nest()
            node = Unary("-", self.unary(), tok.pos)
            self.depth -= 1
            return node
        return self.primary()

    def list_(self) -> ListLit:
        start = self.expect("op", "[", "a list in square brackets, e.g. ['a', 'b']")
        items: list[Node] = []
        if not self.accept("op", "]"):
            while True:
                items.append(self.sum_())
                if len(items) > MAX_LIST:
                    raise ExpressionError(f"A list may hold at most {MAX_LIST} items", start.pos)
                if self.accept("op", "]"):
                    break
                self.expect("op", ",", "',' or ']'")
        return ListLit(tuple(items), start.pos)

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            value = float(tok.text)
            return Lit(
                int(value)
                if value.is_integer() and "." not in tok.text and "e" not in tok.text.lower()
                else value,
                tok.pos,
            )
        if tok.kind == "duration":
            self.take()
            return Dur(parse_duration(tok.text), tok.text, tok.pos)
        if tok.kind == "string":
            self.take()
            return Lit(_unquote(tok.text), tok.pos)
        if tok.kind == "keyword" and tok.text in {"true", "false", "null"}:
            self.take()
            return Lit({"true": True, "false": False, "null": None}[tok.text], tok.pos)
        if tok.kind == "op" and tok.text == "[":
            return self.list_()
        if self.accept("op", "("):
            node = self.expr()
            self.expect("op", ")", "')'")
            return node
        if tok.kind == "name":
            self.take()
            name = tok.text
            while self.accept("op", "."):
                part = self.tok
                if part.kind not in {"name", "keyword"}:
                    raise ExpressionError("Expected a name after '.'", part.pos)
                self.take()
                name += "." + part.text
            if self.accept("op", "("):
                return Call(name, self.args(), tok.pos)
            return Field(name, tok.pos)
        found = tok.text or "the end of the expression"
        raise ExpressionError(f"Expected a value but found {found!r}", tok.pos)

    def args(self) -> tuple[Node, ...]:
        args: list[Node] = []
        if self.accept("op", ")"):
            return ()
        while True:
            if (star := self.accept("op", "*")) is not None:
                args.append(Star(star.pos))
            else:
                args.append(self.expr())
            if self.accept("op", ")"):
                return tuple(args)
            self.expect("op", ",", "',' or ')'")


def parse(text: str) -> Node:
    """Parse an expression into its syntax tree; raise :class:`ExpressionError` if it is not one.

    >>> parse("company_size >= 50")
    Binary(op='>=', left=Field(name='company_size', pos=0), right=Lit(value=50, pos=16), pos=13)
    """
    if not isinstance(text, str):
        raise ExpressionError(f"An expression must be text. Got {type(text).__name__} instead.")
    if not text.strip():
        raise ExpressionError("The expression is empty")
    node = _Parser(text).parse()
    if depth(node) > 2 * MAX_DEPTH:
        raise ExpressionError(f"The expression nests deeper than {2 * MAX_DEPTH} levels")
    return node
