"""The proposal: a new version of the definition with the learned points and thresholds.

What changes and why:

- fit rules and engagement rules are the features that earned points (0 points: left
  out), each with its integer points; event counts become engagement rules on ``count()``;
- caps, floors and the weighted method go (they would clip the learned sum, and the
  ranking would no longer be the model's); grades and bands go (their cut-offs were in
  the old points);
- tiers keep their names, SLAs and routes, and get ``score >= T`` thresholds chosen for
  the goal; disqualifiers stay as agreed (a hard stop is a decision, not a statistic).

Nothing is edited in place: the proposal has the same name and the next version.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re

from ..definition import dump_yaml
from ..definition.model import (
    Definition,
    EngagementGroup,
    EngagementRule,
    FieldType,
    FitGroup,
    FitRule,
    ScoreSpec,
    Tier,
)
from .features import Feature, number_text

REVIEW_AFTER = dt.timedelta(days=182)


def next_version(version: str) -> str:
    """The version after ``version``: its last number plus one, else ``-calibrated``.

    >>> next_version("2026.12"), next_version("3"), next_version("draft")
    ('2026.13', '4', 'draft-calibrated')
    """
    match = re.search(r"(\d+)(?!.*\d)", version)
    if match is None:
        return f"{version}-calibrated"
    bumped = str(int(match.group(1)) + 1)
    return version[: match.start(1)] + bumped + version[match.end(1) :]


def proposal_tiers(current: Definition, cutoffs: list[float | None]) -> list[Tier]:
    """The tiers, best first: the top sales tier, the MQL tier, a nurture tier if any (a
    cutoff of None leaves its tier out)."""
    sales = [t for t in current.tiers if t.sales]
    nurture = [t for t in current.tiers if not t.sales]
    top = sales[0] if len(sales) >= 2 else None
    mql = sales[1] if len(sales) >= 2 else (sales[0] if sales else None)
    templates: list[tuple[Tier | None, str, bool]] = [(top, "hot", True), (mql, "mql", True)]
    if len(cutoffs) > 2:
        templates.append((nurture[0] if nurture else None, "nurture", False))
    out = []
    for (template, name, is_sales), cutoff in zip(templates, cutoffs, strict=False):
        if cutoff is None:
            continue
        when = f"score >= {number_text(cutoff)}"
        if template is None:
            out.append(Tier(name=name, when=when, sla="24h" if is_sales else None, sales=is_sales))
        else:
            out.append(template.model_copy(update={"when": when}))
    return out


def build(
    current: Definition,
    features: list[Feature],
    points: list[int],
    cutoffs: list[float | None],
    attributes: dict[str, FieldType],
    event_types: list[str],
    *,
    as_of: dt.datetime,
    note: str,
) -> Definition:
    """The proposed definition (same name, next version)."""
    kept = [(f, p) for f, p in zip(features, points, strict=True) if p != 0]
    fit = [FitRule(name=f.name, when=f.when, points=p) for f, p in kept if f.section == "fit"]
    engagement = [
        EngagementRule(name=f.name, when=f.when, points=p)
        for f, p in kept
        if f.section == "engagement"
    ]
    used = _names_used([f.when for f, _ in kept] + [d.when for d in current.disqualifiers])
    return current.model_copy(
        update={
            "version": next_version(current.version),
            "description": note,
            "review_by": (as_of + REVIEW_AFTER).date(),
            "attributes": {
                k: v for k, v in attributes.items() if k in used or k in current.attributes
            },
            "event_types": event_types,
            "fit": FitGroup(rules=fit),
            "engagement": EngagementGroup(rules=engagement),
            "score": ScoreSpec(),
            "grades": [],
            "bands": [],
            "tiers": proposal_tiers(current, cutoffs),
        }
    )


def _names_used(conditions: list[str]) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(conditions)))


def to_yaml(proposal: Definition, header: str) -> str:
    """The proposal as YAML with a comment header (loading it gives the same hash)."""
    lines = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return lines + dump_yaml(proposal)


def diff(current_text: str, proposed_text: str, current_name: str, proposed_name: str) -> str:
    """A unified diff of the two definitions' YAML."""
    return "".join(
        difflib.unified_diff(
            current_text.splitlines(keepends=True),
            proposed_text.splitlines(keepends=True),
            fromfile=current_name,
            tofile=proposed_name,
        )
    )
