"""Generate one specialised Python function per compiled definition.

A definition is fixed while thousands of leads are scored, so instead of interpreting the
rule tree per lead we write it out once as straight-line Python (one ``if`` chain over the
event types, locals for every field) and ``exec`` that source. The source is built only
from names chosen here and literals written with ``repr``; user text never becomes code.

The function follows the contract it shares with the SQL plan
(:mod:`leadgate.scoring.contract`), and its locals carry the names of the plan's columns
(:mod:`leadgate.scoring.names`). :class:`_Writer` writes it in the order it runs, one method
per step: events, roll-ups, fields, fit, engagement, totals, verdicts, result.
"""

from __future__ import annotations

import math
from typing import Any

from ..definition.compile import CompiledDefinition, CompiledEngagementRule
from ..expr.check import Aggregate
from ..expr.dates import days_key, to_date
from ..expr.interpret import to_bool, to_number, to_text
from ..expr.to_python import RUNTIME, PyEmitter
from . import names as n
from .contract import RawScore, clamp

CONVERT = {"text": "_text", "number": "_number", "bool": "_bool", "date": "_date"}
#: Cheaper than calling a converter: is the value already of the declared type?
_OF_TYPE = {
    "text": "{}.__class__ is str",
    "number": "{}.__class__ in _NUMS",
    "bool": "{}.__class__ is bool",
    "date": "False",  # a stored date or time becomes µs; nothing is µs already
}
NAMESPACE = {
    **RUNTIME,
    "_floor": math.floor,
    "_text": to_text,
    "_number": to_number,
    "_bool": to_bool,
    "_date": to_date,
    "_NUMS": (int, float),
    "_RawScore": RawScore,
}


def generate(c: CompiledDefinition) -> tuple[str, dict[str, Any]]:
    """Source of ``score(L, A, E, asof, X)`` and the namespace it runs in.

    ``L`` the lead's fields, ``A`` the account's fields or None, ``E`` an iterable of
    ``(type, ts_us)``, ``asof`` µs since the epoch, ``X`` roll-up values keyed by aggregate
    key (intent, engaged contacts, ``account.engagement_others``) or None. The function
    returns a :class:`~leadgate.scoring.contract.RawScore`.
    """
    writer = _Writer(c)
    writer.write()
    return writer.text(), {**NAMESPACE, **writer.consts}


class _Writer:
    """Writes the scoring function's source, one method per step (see the module doc)."""

    def __init__(self, c: CompiledDefinition) -> None:
        self.c = c
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        # What conditions name (a field, an aggregate key, ``fit``) → the local holding it.
        self.names: dict[str, str] = dict(n.SCORE_VALUES)
        self.emitter = PyEmitter(self.names, dict(c.fields), self.consts)

    def add(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def write(self) -> None:
        self.add(0, "def score(L, A, E, asof, X):")
        self.events()
        self.rollups()
        self.fields()
        self.fit()
        self.engagement()
        self.totals()
        self.verdicts()
        self.result()

    # -- events: one pass, dispatch on type ----------------------------------------------------
    def events(self) -> None:
        """Sum each event rule's points and every count/last aggregate in one pass."""
        by_type: dict[str, list[str]] = {}  # event type → statements run for it
        every_event: list[str] = []
        for i, rule in enumerate(self.c.event_rules):
            self.add(1, f"{n.event_points(i)} = 0; {n.event_count(i)} = 0")
            by_type.setdefault(rule.type, []).append(self._event_rule(i))
        for j, agg in enumerate(self.c.aggregates.values()):
            if agg.kind not in ("count", "last"):
                continue
            stmt = self._event_aggregate(j, agg)
            for t in agg.types or ():
                by_type.setdefault(t, []).append(stmt)
            if agg.types is None:
                every_event.append(stmt)
        if by_type or every_event:
            self._event_loop(by_type, every_event)
        for j, agg in enumerate(self.c.aggregates.values()):
            if agg.kind == "last":
                last = f"{n.aggregate(j)}_ts"
                days = f"(asof - {last}) / 86400000000.0"
                self.add(1, f"{n.aggregate(j)} = None if {last} < 0 else {days}")

    def _event_rule(self, i: int) -> str:
        rule = self.c.event_rules[i]
        sign = "-" if rule.cents < 0 else "+"
        amount = (
            f"_floor({abs(rule.cents)} * 0.5 ** (age / {float(rule.half_life_us)!r}) + 0.5)"
            if rule.half_life_us
            else str(abs(rule.cents))
        )
        body = f"{n.event_points(i)} {sign}= {amount}; {n.event_count(i)} += 1"
        return body if rule.window_us is None else f"if age <= {rule.window_us}: {body}"

    def _event_aggregate(self, j: int, agg: Aggregate) -> str:
        var = n.aggregate(j)
        self.names[agg.key] = var
        if agg.kind == "last":
            self.add(1, f"{var}_ts = -1")
            return f"if ts > {var}_ts: {var}_ts = ts"
        self.add(1, f"{var} = 0")
        if agg.window_us is None:
            return f"{var} += 1"
        return f"if age <= {agg.window_us}: {var} += 1"

    def _event_loop(self, by_type: dict[str, list[str]], every_event: list[str]) -> None:
        # Dispatch on a small integer: one dict lookup, then int comparisons, and event
        # types no rule reads skip the chain entirely.
        self.consts["_TI"] = {etype: k for k, etype in enumerate(by_type)}
        self.add(1, "for t, ts in E:")
        self.add(2, "if ts > asof: continue")
        self.add(2, "age = asof - ts")
        for stmt in every_event:
            self.add(2, stmt)
        if by_type:
            self.add(2, "k = _TI.get(t)")
            self.add(2, "if k is None: continue")
            for k, stmts in enumerate(by_type.values()):
                self.add(2, f"{'if' if k == 0 else 'elif'} k == {k}:")
                for stmt in stmts:
                    self.add(3, stmt)

    # -- roll-ups and fields -----------------------------------------------------------------
    def rollups(self) -> None:
        """Intent and engaged contacts come computed, in ``X`` (see scoring.rollups)."""
        for j, agg in enumerate(self.c.aggregates.values()):
            if agg.kind in ("intent", "contacts"):
                self.names[agg.key] = n.aggregate(j)
                self.add(1, f"{n.aggregate(j)} = None if X is None else X.get({agg.key!r})")

    def fields(self) -> None:
        """Each field a condition reads, converted to its declared type when it is not."""
        for k, name in enumerate(sorted(self.c.fields_used)):
            var = n.field(k)
            self.names[name] = var
            kind = self.c.fields[name]
            if name.startswith("account."):
                self.add(1, f"{var} = None if A is None else A.get({name[8:]!r})")
            else:
                self.add(1, f"{var} = L.get({name!r})")
            ok = _OF_TYPE[kind].format(var)
            self.add(1, f"if {var} is not None and not {ok}: {var} = {CONVERT[kind]}({var})")
            if kind == "date":  # what days_since(field) reads (the contract's formula)
                self.names[days_key(name)] = n.days(k)
                later = f"{var} is None or {var} > asof"
                self.add(1, f"{n.days(k)} = None if {later} else (asof - {var}) / 86400000000.0")

    # -- fit, engagement, totals -------------------------------------------------------------
    def fit(self) -> None:
        rules = self.c.fit_rules
        for i, rule in enumerate(rules):
            self.add(1, f"{n.fit_rule(i)} = {self.emitter.emit(rule.expr)}")
        terms = [f"({r.cents} if {n.fit_rule(i)} else 0)" for i, r in enumerate(rules)]
        self.add(1, f"{n.FIT_RAW} = {' + '.join(terms) or '0'}")
        self.add(1, f"{n.FIT} = {clamp(n.FIT_RAW, self.c.fit_floor, self.c.fit_cap)}")

    def engagement(self) -> None:
        c = self.c
        for i, rule in enumerate(c.event_rules):
            # A cap bounds the sum's magnitude: a negative rule is held above -cap.
            capped = n.event_points(i)
            if rule.cap_cents is not None and rule.cents < 0:
                capped = f"max({capped}, {-rule.cap_cents})"
            elif rule.cap_cents is not None:
                capped = f"min({capped}, {rule.cap_cents})"
            self.add(1, f"{n.event_capped(i)} = {capped}")
        terms = [n.event_capped(i) for i in range(len(c.event_rules))]
        for i, engagement_rule in enumerate(c.engagement_rules):
            self.engagement_rule(i, engagement_rule)
            terms.append(f"({n.engagement_rule(i)} or 0)")
        self.add(1, f"{n.ENGAGEMENT_RAW} = {' + '.join(terms) or '0'}")
        held = clamp(n.ENGAGEMENT_RAW, c.engagement_floor, c.engagement_cap)
        self.add(1, f"{n.ENGAGEMENT} = {held}")

    def engagement_rule(self, i: int, rule: CompiledEngagementRule) -> None:
        """Engagement rule i's points (None: not judged), by the contract's formula."""
        var = n.engagement_rule(i)
        holds = "True" if rule.when is None else self.emitter.emit(rule.when)
        self.add(1, f"w = {holds}")
        if rule.per is None:
            self.add(1, f"{var} = None if w is None else ({rule.cents} if w else 0)")
            return
        cap = rule.cap_cents or 0  # the definition requires a per-unit rule's cap
        self.add(1, f"v = {self.emitter.emit(rule.per)}")
        self.add(1, "if v is not None and v - v != 0: v = None")  # NaN, infinity
        amount = f"_floor(min(max({rule.cents} * v, {-cap}), {cap}) + 0.5)"
        self.add(1, f"{var} = None if w is None or w and v is None else ({amount} if w else 0)")

    def totals(self) -> None:
        c = self.c
        if c.method == "weighted" and c.weights and c.fit_cap and c.engagement_cap:
            fit_w, eng_w = (w * 100.0 for w in c.weights)
            self.add(1, f"{n.FIT_WEIGHTED} = _floor({n.FIT} * {fit_w!r} / {c.fit_cap} + 0.5)")
            self.add(
                1,
                f"{n.ENGAGEMENT_WEIGHTED} = "
                f"_floor({n.ENGAGEMENT} * {eng_w!r} / {c.engagement_cap} + 0.5)",
            )
        else:
            self.add(1, f"{n.FIT_WEIGHTED} = {n.FIT}; {n.ENGAGEMENT_WEIGHTED} = {n.ENGAGEMENT}")
        self.add(1, f"{n.TOTAL} = {n.FIT_WEIGHTED} + {n.ENGAGEMENT_WEIGHTED}")
        self.add(1, f"{n.GRADE} = {_ladder(n.FIT, c.grades)}")
        self.add(1, f"{n.BAND} = {_ladder(n.ENGAGEMENT, c.bands)}")
        self.add(1, f"{n.FIT_POINTS} = {n.FIT} / 100.0")
        self.add(1, f"{n.ENGAGEMENT_POINTS} = {n.ENGAGEMENT} / 100.0")
        self.add(1, f"{n.SCORE_POINTS} = {n.TOTAL} / 100.0")
        if c.uses_rollup:
            self.add(1, "others = None if X is None else X.get('account.engagement_others')")
            self.add(
                1,
                f"{n.ACCOUNT_ENGAGEMENT_POINTS} = None if others is None else "
                f"(others + {n.ENGAGEMENT}) / 100.0",
            )

    # -- disqualifiers and tiers: first match wins -------------------------------------------------
    def verdicts(self) -> None:
        self.add(1, f"{n.DISQUALIFIER} = -1")
        for i, d in enumerate(self.c.disqualifiers):
            keyword = "if" if i == 0 else "elif"
            self.add(1, f"{keyword} {self.emitter.emit(d.expr)}: {n.DISQUALIFIER} = {i}")
        self.add(1, f"{n.TIER} = -1")
        if self.c.tiers:
            self.add(1, f"if {n.DISQUALIFIER} < 0:")
            for i, tier in enumerate(self.c.tiers):
                keyword = "if" if i == 0 else "elif"
                self.add(2, f"{keyword} {self.emitter.emit(tier.expr)}: {n.TIER} = {i}")

    def result(self) -> None:
        c = self.c

        def spread(names: list[str]) -> str:
            return "(" + "".join(f"{name}, " for name in names) + ")"

        verdicts = spread([n.fit_rule(i) for i in range(len(c.fit_rules))])
        capped = spread([n.event_capped(i) for i in range(len(c.event_rules))])
        counts = spread([n.event_count(i) for i in range(len(c.event_rules))])
        values = [n.FIT, n.ENGAGEMENT, n.TOTAL, n.GRADE, n.BAND, n.DISQUALIFIER, n.TIER]
        values += [verdicts, capped, counts, n.FIT_RAW, n.ENGAGEMENT_RAW]
        values += [n.FIT_WEIGHTED, n.ENGAGEMENT_WEIGHTED]
        values.append(spread([n.engagement_rule(i) for i in range(len(c.engagement_rules))]))
        self.add(1, f"return _RawScore({', '.join(values)})")


def _ladder(var: str, steps: list[tuple[Any, int | None]]) -> str:
    if not steps:
        return "None"
    out = "None"
    for label, bound in reversed(steps):
        out = repr(label) if bound is None else f"({label!r} if {var} >= {bound} else {out})"
    return out


def build(c: CompiledDefinition) -> Any:
    """The compiled scoring function for ``c`` (see :func:`generate`)."""
    source, namespace = generate(c)
    code = compile(source, f"<leadgate definition {c.short_hash}>", "exec")
    exec(code, namespace)  # noqa: S102 - source built from our own tokens, see module doc
    return namespace["score"]
