"""The safe rule-expression language: parse, type-check, compile to Python and to SQL.

Nothing is ever evaluated with ``eval`` on user text: the parser builds a tree, the checker
resolves names and types, and the compilers emit code in which every literal was quoted by
leadgate itself.
"""

from .ast import Node
from .check import BOOL, NUMBER, TEXT, Aggregate, Checked, Scope, check
from .parser import parse, parse_duration

__all__ = [
    "BOOL",
    "NUMBER",
    "TEXT",
    "Aggregate",
    "Checked",
    "Node",
    "Scope",
    "check",
    "parse",
    "parse_duration",
]
