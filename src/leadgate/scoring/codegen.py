"""Generate one specialised Python function per compiled definition.

A definition is fixed while thousands of leads are scored, so instead of interpreting the
rule tree per lead we write it out once as straight-line Python (one ``if`` chain over the
event types, locals for every field) and ``exec`` that source. The source is built only
from names chosen here and literals written with ``repr``; user text never becomes code.

The function follows the contract it shares with the SQL plan
(:mod:`leadgate.scoring.contract`).
"""

from __future__ import annotations

import math
from typing import Any

from ..definition.compile import CompiledDefinition
from ..expr.to_python import RUNTIME, PyEmitter

#: The scores conditions may read, and the local (Python) or column (SQL) that holds each.
SCORE_VALUES = {
    "fit": "fit_p",
    "engagement": "eng_p",
    "score": "score_p",
    "grade": "grade",
    "band": "band",
    "account.engagement": "acct_p",
}


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _number(value: Any) -> Any:
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        out = float(str(value).strip())
    except ValueError:
        return None
    return out if math.isfinite(out) else None


def _bool(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text)


CONVERT = {"text": "_text", "number": "_number", "bool": "_bool"}


class Source:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def generate(c: CompiledDefinition) -> tuple[str, dict[str, Any]]:
    """Source of ``score(L, A, E, asof, X)`` and the namespace it runs in.

    ``L`` the lead's fields, ``A`` the account's fields or None, ``E`` an iterable of
    ``(type, ts_us)``, ``asof`` µs since the epoch, ``X`` roll-up values keyed by aggregate
    key (intent, engaged contacts, ``account.engagement_others``) or None.
    """
    consts: dict[str, Any] = {}
    names: dict[str, str] = {}
    src = Source()
    src.add(0, "def score(L, A, E, asof, X):")

    # -- events: one pass, dispatch on type -------------------------------------------------
    per_type: dict[str, list[str]] = {}
    everywhere: list[str] = []
    init: list[str] = []
    for i, rule in enumerate(c.event_rules):
        init += [f"e{i} = 0", f"n{i} = 0"]
        sign = "-" if rule.cents < 0 else "+"
        amount = (
            f"_floor({abs(rule.cents)} * 0.5 ** (age / {float(rule.half_life_us)!r}) + 0.5)"
            if rule.half_life_us
            else str(abs(rule.cents))
        )
        body = f"e{i} {sign}= {amount}; n{i} += 1"
        if rule.window_us is not None:
            body = f"if age <= {rule.window_us}: {body}"
        per_type.setdefault(rule.type, []).append(body)
    event_aggs = [a for a in c.aggregates.values() if a.kind in ("count", "last")]
    for j, agg in enumerate(event_aggs):
        var = f"g{j}"
        names[agg.key] = var if agg.kind == "count" else f"d{j}"
        if agg.kind == "count":
            init.append(f"{var} = 0")
            stmt = f"{var} += 1"
            if agg.window_us is not None:
                stmt = f"if age <= {agg.window_us}: {stmt}"
        else:
            init.append(f"{var} = -1")
            stmt = f"if ts > {var}: {var} = ts"
        if agg.types is None:
            everywhere.append(stmt)
        else:
            for t in agg.types:
                per_type.setdefault(t, []).append(stmt)
    for line in init:
        src.add(1, line)
    if per_type or everywhere:
        # Dispatch on a small integer: one dict lookup, then int comparisons, and event
        # types no rule reads skip the chain entirely.
        consts["_TI"] = {etype: k for k, etype in enumerate(per_type)}
        src.add(1, "for t, ts in E:")
        src.add(2, "if ts > asof: continue")
        src.add(2, "age = asof - ts")
        for stmt in everywhere:
            src.add(2, stmt)
        if per_type:
            src.add(2, "k = _TI.get(t)")
            src.add(2, "if k is None: continue")
            for k, stmts in enumerate(per_type.values()):
                src.add(2, f"{'if' if k == 0 else 'elif'} k == {k}:")
                for stmt in stmts:
                    src.add(3, stmt)
    for j, agg in enumerate(event_aggs):
        if agg.kind == "last":
            src.add(1, f"d{j} = None if g{j} < 0 else (asof - g{j}) / 86400000000.0")

    # -- roll-ups from the context ----------------------------------------------------------
    for j, agg in enumerate(a for a in c.aggregates.values() if a.kind in ("intent", "contacts")):
        names[agg.key] = f"x{j}"
        src.add(1, f"x{j} = None if X is None else X.get({agg.key!r})")

    # -- fields -----------------------------------------------------------------------------
    for k, name in enumerate(sorted(c.fields_used)):
        var = f"f{k}"
        names[name] = var
        kind = c.fields[name]
        if name.startswith("account."):
            src.add(1, f"{var} = None if A is None else A.get({name[8:]!r})")
        else:
            src.add(1, f"{var} = L.get({name!r})")
        # Convert only values of the wrong type (rare): the check is cheaper than a call.
        ok = {
            "text": f"{var}.__class__ is str",
            "number": f"{var}.__class__ in _NUMS",
            "bool": f"{var}.__class__ is bool",
        }[kind]
        src.add(1, f"if {var} is not None and not {ok}: {var} = {CONVERT[kind]}({var})")

    emitter = PyEmitter(names, dict(c.fields), consts)

    # -- fit --------------------------------------------------------------------------------
    for i, fit_rule in enumerate(c.fit_rules):
        src.add(1, f"j{i} = {emitter.emit(fit_rule.expr)}")
    fit_sum = " + ".join(f"({r.cents} if j{i} else 0)" for i, r in enumerate(c.fit_rules)) or "0"
    src.add(1, f"fit_raw = {fit_sum}")
    src.add(1, f"fit_c = {clamp('fit_raw', c.fit_floor, c.fit_cap)}")

    # -- engagement -------------------------------------------------------------------------
    for i, rule in enumerate(c.event_rules):
        if rule.cap_cents is not None:
            bound = rule.cap_cents
            src.add(
                1,
                f"e{i} = {'max' if rule.cents < 0 else 'min'}(e{i}, "
                f"{-bound if rule.cents < 0 else bound})",
            )
    eng_sum = " + ".join(f"e{i}" for i in range(len(c.event_rules))) or "0"
    src.add(1, f"eng_raw = {eng_sum}")
    src.add(1, f"eng_c = {clamp('eng_raw', c.engagement_floor, c.engagement_cap)}")

    # -- total, grade, band ----------------------------------------------------------------
    if c.method == "weighted" and c.weights and c.fit_cap and c.engagement_cap:
        wf = c.weights[0] * 100.0
        we = c.weights[1] * 100.0
        src.add(1, f"fit_w = _floor(fit_c * {wf!r} / {c.fit_cap} + 0.5)")
        src.add(1, f"eng_w = _floor(eng_c * {we!r} / {c.engagement_cap} + 0.5)")
    else:
        src.add(1, "fit_w = fit_c")
        src.add(1, "eng_w = eng_c")
    src.add(1, "total = fit_w + eng_w")
    src.add(1, f"grade = {_ladder('fit_c', c.grades)}")
    src.add(1, f"band = {_ladder('eng_c', c.bands)}")
    names.update(SCORE_VALUES)
    src.add(1, "fit_p = fit_c / 100.0; eng_p = eng_c / 100.0; score_p = total / 100.0")
    if any(r.expr.uses_rollup for r in (*c.disqualifiers, *c.tiers)):
        src.add(1, "others = None if X is None else X.get('account.engagement_others')")
        src.add(1, "acct_p = None if others is None else (others + eng_c) / 100.0")

    # -- disqualifiers and tiers: first match wins ------------------------------------------
    src.add(1, "dq = -1")
    for i, d in enumerate(c.disqualifiers):
        src.add(1, f"{'if' if i == 0 else 'elif'} {emitter.emit(d.expr)}: dq = {i}")
    src.add(1, "tier = -1")
    if c.tiers:
        src.add(1, "if dq < 0:")
        for i, tier in enumerate(c.tiers):
            src.add(2, f"{'if' if i == 0 else 'elif'} {emitter.emit(tier.expr)}: tier = {i}")

    judged = ", ".join(f"j{i}" for i in range(len(c.fit_rules)))
    events = ", ".join(f"e{i}" for i in range(len(c.event_rules)))
    counts = ", ".join(f"n{i}" for i in range(len(c.event_rules)))
    src.add(
        1,
        f"return (fit_c, eng_c, total, grade, band, dq, tier, ({judged}{',' if judged else ''}),"
        f" ({events}{',' if events else ''}), ({counts}{',' if counts else ''}),"
        " fit_raw, eng_raw, fit_w, eng_w)",
    )
    namespace = {
        **RUNTIME,
        **consts,
        "_floor": math.floor,
        "_text": _text,
        "_number": _number,
        "_bool": _bool,
        "_NUMS": (int, float),
    }
    return src.text(), namespace


def clamp(var: str, floor: int | None, cap: int | None, low: str = "max", high: str = "min") -> str:
    """``var`` held between ``floor`` and ``cap`` (Python's min/max, or SQL's LEAST/GREATEST)."""
    out = var
    if cap is not None:
        out = f"{high}({out}, {cap})"
    if floor is not None:
        out = f"{low}({out}, {floor})"
    return out


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
