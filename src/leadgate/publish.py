"""Render a definition as a readable matrix, for the people who will never read YAML.

One page both teams reference: what earns points, what takes them away, what disqualifies,
how the score combines, and what each tier means with its SLA and route. Markdown for the
wiki or the pull request; HTML (self-contained, no scripts) for sharing.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from .definition.compile import CompiledDefinition


def _pts(cents: int | None) -> str:
    return "" if cents is None else f"{cents / 100:+g}"


def _dur(micros: int | None) -> str:
    if micros is None:
        return ""
    seconds = micros // 1_000_000
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _human_dur(micros: int | None) -> str:
    if micros is None:
        return "none"
    text = _dur(micros)
    unit = {"w": "week", "d": "day", "h": "hour", "m": "minute"}.get(text[-1], "second")
    n = text[:-1]
    return f"{n} {unit}{'' if n == '1' else 's'}"


@dataclass
class Section:
    title: str
    note: str
    headers: list[str]
    rows: list[list[str]]


def sections(c: CompiledDefinition) -> list[Section]:
    """The page's content as plain tables; Markdown and HTML only lay them out."""
    out: list[Section] = []
    fit_note = "Points for who the lead is and where they work."
    if c.fit_cap is not None:
        fit_note += f" Fit counts at most {c.fit_cap / 100:g} points."
    if c.fit_floor is not None:
        fit_note += f" It never goes below {c.fit_floor / 100:g}."
    fit_note += " A rule on a missing value neither adds nor subtracts."
    fit_rows = [
        [r.name, f"`{r.expr.text.strip()}`", _pts(r.cents)] for r in c.fit_rules if r.cents >= 0
    ]
    fit_rows += [
        [r.name, f"`{r.expr.text.strip()}`", _pts(r.cents)] for r in c.fit_rules if r.cents < 0
    ]
    out.append(Section("Fit", fit_note, ["rule", "when", "points"], fit_rows))
    eng_note = "Points for what the lead did, per event, losing value with age."
    if c.engagement_rules:
        eng_note += " The engagement the lead's own fields carry (below) adds to them."
        if not c.event_rules:
            eng_note = "No events are scored: engagement is what the lead's own fields carry."
    if c.engagement_cap is not None:
        eng_note += f" Engagement counts at most {c.engagement_cap / 100:g} points."
    eng_rows = [
        [
            r.type,
            _pts(r.cents),
            _human_dur(r.half_life_us),
            "all time" if r.window_us is None else f"last {_human_dur(r.window_us)}",
            "" if r.cap_cents is None else f"{r.cap_cents / 100:g}",
        ]
        for r in sorted(c.event_rules, key=lambda r: -r.cents)
    ]
    out.append(
        Section(
            "Engagement",
            eng_note,
            ["event", "points each", "half-life", "counted", "at most"],
            eng_rows,
        )
    )
    if c.engagement_rules:
        out.append(_engagement_fields(c))
    out.append(
        Section(
            "Disqualifiers",
            "Any one of these keeps a lead out of every tier, whatever its score.",
            ["disqualifier", "when", "reason"],
            [[q.name, f"`{q.expr.text.strip()}`", q.reason or ""] for q in c.disqualifiers],
        )
    )
    if c.method == "weighted" and c.weights:
        combine = (
            f"Weighted: fit scaled to {c.weights[0]:g} points and engagement to "
            f"{c.weights[1]:g} points (each from its cap), then added."
        )
    else:
        combine = "Score = fit + engagement."
    grade_rows = [[g, "otherwise" if b is None else f"fit ≥ {b / 100:g}"] for g, b in c.grades]
    band_rows = [
        [str(b), "otherwise" if m is None else f"engagement ≥ {m / 100:g}"] for b, m in c.bands
    ]
    out.append(
        Section(
            "Score",
            combine,
            ["grade / band", "when"],
            [[f"grade {g}", w] for g, w in grade_rows] + [[f"band {b}", w] for b, w in band_rows],
        )
    )
    business = {t.name: t.sla_hours == "business" for t in c.definition.tiers}
    out.append(
        Section(
            "Tiers",
            "Tried in order; the first that holds wins. "
            "The SLA is the time sales has to follow up.",
            ["#", "tier", "when", "follow-up SLA", "route", "sales touch"],
            [
                [
                    str(i + 1),
                    t.name,
                    f"`{' '.join(t.expr.text.split())}`",
                    _sla(t.sla_us, business.get(t.name, False)),
                    t.route or "",
                    "yes" if t.sales else "no (nurture)",
                ]
                for i, t in enumerate(c.tiers)
            ],
        )
    )
    if c.definition.lifecycle is not None:
        out.append(_lifecycle(c))
    return out


def _sla(micros: int | None, business: bool) -> str:
    if not micros:
        return ""
    return _human_dur(micros) + (" of business hours" if business else "")


def _lifecycle(c: CompiledDefinition) -> Section:
    """What happens to an MQL over time (``lifecycle:``), as ``leadgate sweep`` applies it."""
    rules = c.definition.lifecycle
    assert rules is not None
    rows = []
    if rules.recycle_untouched_after:
        after = _human_dur(_micros(rules.recycle_untouched_after))
        rows.append(["no sales touch within " + after + " of MQL entry", "recycled"])
    if rules.recycle_below_tiers:
        rows.append(["a scoring run puts the MQL in no sales tier", "recycled"])
    events = ", ".join(rules.reentry_events) if rules.reentry_events else "any event"
    rows.append([f"a recycled lead has new engagement ({events}) and a sales tier", "MQL again"])
    note = "Judged as of each sweep, at the rule's own time; each move is recorded with why."
    return Section("Lifecycle", note, ["when", "the lead is"], rows)


def _micros(duration: str) -> int:
    from .expr.parser import parse_duration

    return parse_duration(duration)


def _engagement_fields(c: CompiledDefinition) -> Section:
    """The engagement rules on the lead's own fields (an export's counts and dates)."""
    rows = []
    for r in sorted(c.engagement_rules, key=lambda r: -r.cents):
        points = _pts(r.cents)
        if r.per is not None:
            points += f" per {' '.join(r.per.text.split())}"
        rows.append(
            [
                r.name,
                "always" if r.when is None else f"`{' '.join(r.when.text.split())}`",
                points,
                "" if r.cap_cents is None else f"{r.cap_cents / 100:g}",
            ]
        )
    note = (
        "Engagement the lead's own fields carry (an export's visit counts, its last activity), "
        "in the same engagement score. days_since(x) counts the days from x to the scoring "
        "time. A rule on a missing value neither adds nor subtracts."
    )
    return Section(
        "Engagement from the lead's fields", note, ["rule", "when", "points", "at most"], rows
    )


def header(c: CompiledDefinition, today: dt.date | None = None) -> list[str]:
    d = c.definition
    lines = [f"Version {d.version} · definition {c.short_hash}"]
    if d.owners:
        lines.append("Owners: " + ", ".join(f"{k}: {v}" for k, v in d.owners.items()))
    if d.review_by:
        due = today is not None and d.review_by < today
        lines.append(
            f"Review with sales by {d.review_by.isoformat()}" + (" — OVERDUE" if due else "")
        )
    if d.description:
        lines.append(" ".join(d.description.split()))
    return lines


def to_markdown(c: CompiledDefinition, today: dt.date | None = None) -> str:
    """The definition as a Markdown page.

    >>> from leadgate.definition import load_compiled
    >>> c = load_compiled(text="name: d\\nversion: '1'\\ntiers:\\n  - {name: mql, when: 'true'}\\n")
    >>> "| 1 | mql |" in to_markdown(c)
    True
    """
    out = [f"# MQL definition: {c.definition.name}", ""]
    out += [f"{line}  " for line in header(c, today)] + [""]
    for s in sections(c):
        out += [f"## {s.title}", "", s.note, ""]
        if not s.rows:
            out += ["(none)", ""]
            continue
        out.append("| " + " | ".join(s.headers) + " |")
        out.append("|" + "|".join("---" for _ in s.headers) + "|")
        for row in s.rows:
            out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        out.append("")
    return "\n".join(out)


STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;color:#1d2330}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #dde}
table{border-collapse:collapse;width:100%}th,td{padding:.35em .6em;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}th{background:#f5f6fa}code{font-size:.92em;color:#283593}
.meta{color:#555}.neg{color:#b71c1c}.pos{color:#1b5e20}
"""


def to_html(c: CompiledDefinition, today: dt.date | None = None) -> str:
    """The definition as one self-contained HTML page (every value escaped)."""
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>MQL definition: {esc(c.definition.name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>MQL definition: {esc(c.definition.name)}</h1>",
    ]
    parts += [f"<p class='meta'>{esc(line)}</p>" for line in header(c, today)]
    for s in sections(c):
        parts.append(f"<h2>{esc(s.title)}</h2><p>{esc(s.note)}</p>")
        if not s.rows:
            parts.append("<p>(none)</p>")
            continue
        parts.append(
            "<table><thead><tr>"
            + "".join(f"<th>{esc(h)}</th>" for h in s.headers)
            + "</tr></thead><tbody>"
        )
        for row in s.rows:
            cells = []
            for cell in row:
                if cell.startswith("`") and cell.endswith("`"):
                    cells.append(f"<td><code>{esc(cell[1:-1])}</code></td>")
                elif cell[:1] in "+-" and cell[1:2].isdigit():
                    cls = "neg" if cell.startswith("-") else "pos"
                    cells.append(f"<td class='{cls}'>{esc(cell)}</td>")
                else:
                    cells.append(f"<td>{esc(cell)}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)
