"""Job title → seniority, department and a student / job-seeker flag, from one rule table.

Each rule is a regular expression and the value it gives; for each output the **first**
matching rule wins, so order is meaning: "Vice President" must be tested before
"President", "Product Marketing" before "Product". Titles that are empty or placeholders
("n/a", "-", "none") give no answer at all; any other title with no seniority rule is an
individual contributor (``ic``) and with no department rule is ``other``.

Departments: sales, marketing, finance, engineering (engineering and IT), operations, hr,
product, executive (general management with no function: CEO, founder, owner) and other.
A "Chief Marketing Officer" is seniority ``cxo`` and department ``marketing``.

The patterns are RE2 syntax with ``(?i)`` and ASCII word boundaries, evaluated by the
``re2`` module (google-re2, a dependency) in Python and by DuckDB's ``regexp_matches``
(also RE2) in SQL. The same engine on both sides is why :func:`classify_title` and
:func:`title_sql` agree on any string, which a Hypothesis test checks. RE2 has no
look-behind, which is why ordering rather than negative look-behind keeps "Vice President"
out of the ``cxo`` rule.

Non-English titles covered: Spanish/Portuguese (Gerente, Director/Diretor, Jefe, Analista,
Vendas/Ventas), German (Geschäftsführer, Leiter, Vertrieb), French (Directeur, Responsable,
PDG, Commercial).
"""

from __future__ import annotations

from typing import NamedTuple

import re2


class TitleClass(NamedTuple):
    """The result of classifying one title; each part is None when the title says nothing."""

    seniority: str | None
    department: str | None
    flag: str | None


#: A title matching this says nothing (blank, "n/a", "-", "none", "unknown", ...).
PLACEHOLDER = r"(?i)^[^\pL\pN]*(?:n/?a|none|null|nil|unknown|tbd|x+)?[^\pL\pN]*$"

#: (pattern, value), first match wins. ``None`` as value: stop, no seniority from rules.
SENIORITY_RULES: tuple[tuple[str, str], ...] = (
    (r"(?i)\blead\s+gen", "ic"),  # "Lead Generation Specialist" is not a team lead
    (r"(?i)\b(?:vice[\s-]*president[ea]?|vizepr[äa]sident(?:in)?)\b", "vp"),
    (r"(?i)\b[saeg]?vp\b", "vp"),
    (r"(?i)\bchief\b.*\bofficers?\b|\bc(?:e|f|t|m|o|i|r|p|d|h|is|s|x|a)o\b", "cxo"),
    (r"(?i)\b(?:co[\s-]?)?founders?\b|\bfundador[a]?\b|\bgr[üu]nder(?:in)?\b", "cxo"),
    (r"(?i)\b(?:owner|proprietor|propriet[aá]ri[oa]|inhaber(?:in)?|dono|due[ñn]o)\b", "cxo"),
    (r"(?i)\bmanaging\s+director\b|\bgesch[äa]ftsf[üu]hrer(?:in)?\b|\bpdg\b", "cxo"),
    (r"(?i)\b(?:directeur|directrice)\s+g[ée]n[ée]ral[e]?\b|\bgeneral\s+manager\b", "cxo"),
    (r"(?i)\b(?:director|diretor)[a]?\s+(?:general|geral|executiv[oa])\b", "cxo"),
    (r"(?i)\b(?:president[ea]?|pr[äa]sident(?:in)?|chair(?:man|woman|person)?)\b", "cxo"),
    (r"(?i)\b(?:directora?|diretora?|directeur|directrice|direktor(?:in)?)\b", "director"),
    (r"(?i)\bhead\b|\bleiter(?:in)?\b", "director"),
    (r"(?i)\b(?:managers?|mgr|gerente|responsable|supervisor[a]?|jef[ea])\b", "manager"),
    (r"(?i)\b(?:lead|team\s*lead|teamleiter(?:in)?)\b", "manager"),
    (r"(?i)\bpartner\b", "director"),  # after manager: a "Partner Manager" manages partners
)

#: (pattern, department), first match wins; no match on a real title → "other".
DEPARTMENT_RULES: tuple[tuple[str, str], ...] = (
    (
        r"(?i)\bc(?:m|mk)o\b|\bmarketing\b|\bmarketeer\b|\b(?:demand|lead)\s+gen|\bgrowth\b",
        "marketing",
    ),
    (r"(?i)\b(?:brand|seo|sem|content|social\s+media|communications?|pr)\b", "marketing"),
    (r"(?i)\bcro\b|\bsales\b|\bsdr\b|\bbdr\b|\baccount\s+(?:executive|manager)\b", "sales"),
    (r"(?i)\bbusiness\s+development\b|\bvendas\b|\bventas\b|\bvertrieb\b", "sales"),
    (r"(?i)\b(?:commercial|comercial|revenue|ae|customer\s+success)\b", "sales"),
    (r"(?i)\bcfo\b|\bfinanc\w*|\baccount(?:ing|ant)\b|\bcontroll\w*|\btreasur\w*", "finance"),
    (r"(?i)\b(?:finanzen|contabil\w*|comptab\w*|audit\w*|tax|fp&a|bookkeeper)\b", "finance"),
    (r"(?i)\b(?:cto|cio|ciso|cdo)\b|\bengineer\w*|\bdevelop\w*|\bsoftware\b", "engineering"),
    (r"(?i)\b(?:it|devops|sre|architect|programmer|data|security|infrastructure)\b", "engineering"),
    (r"(?i)\b(?:technology|technical|tech|informatique|ingeniero|engenheir[oa])\b", "engineering"),
    (r"(?i)\bcpo\b|\bproduct\b|\bproduto\b|\bproducto\b|\bux\b|\bdesign\w*", "product"),
    (r"(?i)\bchro\b|\bhr\b|\bhuman\s+resources\b|\bpeople\b|\btalent\b|\brecruit\w*", "hr"),
    (r"(?i)\b(?:rh|rrhh|personal(?:leiter)?|recursos\s+humanos|ressources\s+humaines)\b", "hr"),
    (r"(?i)\bcoo\b|\boperations?\b|\bops\b|\blogistic\w*|\bsupply\s+chain\b", "operations"),
    (r"(?i)\b(?:procurement|purchasing|facilities|opera[cç][õo]es|operaciones)\b", "operations"),
    (
        r"(?i)\bceo\b|\bchief\s+executive\b|\bfounders?\b|\bowner\b|\bpresident[ea]?\b|\bpdg\b",
        "executive",
    ),
    (
        r"(?i)\bmanaging\s+director\b|\bgeneral\s+manager\b|\bgesch[äa]ftsf[üu]hrer(?:in)?\b",
        "executive",
    ),
    (r"(?i)\b(?:fundador[a]?|inhaber(?:in)?|directeur\s+g[ée]n[ée]ral|chair\w*)\b", "executive"),
)

#: (pattern, flag), first match wins.
FLAG_RULES: tuple[tuple[str, str], ...] = (
    (r"(?i)\b(?:looking\s+for|seeking|open\s+to\s+(?:work|opportunities|new))\b", "job_seeker"),
    (r"(?i)\b(?:job\s*seeker|unemployed|between\s+jobs|in\s+transition)\b", "job_seeker"),
    (r"(?i)\b(?:available\s+for\s+hire|career\s+break|#?opentowork)\b", "job_seeker"),
    (r"(?i)\b(?:student|intern|internship|trainee|apprentice|undergrad\w*)\b", "student"),
    # "É" is not an ASCII word character, so \b cannot stand before it: étudiant goes apart.
    (
        r"(?i)(?:\b(?:estudiante|estudante|studentin|praktikant(?:in)?)|[ée]tudiant[e]?)\b",
        "student",
    ),
    (
        r"(?i)\b(?:estagi[aá]ri[oa]|becari[oa]|stagiaire|werkstudent(?:in)?|phd\s+candidate)\b",
        "student",
    ),
)

_COMPILED = {
    name: [(re2.compile(p), v) for p, v in rules]
    for name, rules in (
        ("seniority", SENIORITY_RULES),
        ("department", DEPARTMENT_RULES),
        ("flag", FLAG_RULES),
    )
}
_PLACEHOLDER = re2.compile(PLACEHOLDER)
# A known title that no flag rule matches is judged "none": a rule on title_flag can then
# say "not a job seeker" instead of "not judged".
_DEFAULTS = {"seniority": "ic", "department": "other", "flag": "none"}


def _first(kind: str, title: str) -> str | None:
    for pattern, value in _COMPILED[kind]:
        if pattern.search(title):
            return value
    return _DEFAULTS[kind]


def classify_title(title: str | None) -> TitleClass:
    """Seniority, department and flag of one job title (pure twin of :func:`title_sql`).

    >>> classify_title("SVP, Global Sales")
    TitleClass(seniority='vp', department='sales', flag='none')
    >>> classify_title("Chief Marketing Officer")
    TitleClass(seniority='cxo', department='marketing', flag='none')
    >>> classify_title("Geschäftsführer")
    TitleClass(seniority='cxo', department='executive', flag='none')
    >>> classify_title("MBA student, looking for opportunities")
    TitleClass(seniority='ic', department='other', flag='job_seeker')
    >>> classify_title("n/a")
    TitleClass(seniority=None, department=None, flag=None)
    """
    if title is None or _PLACEHOLDER.search(title):
        return TitleClass(None, None, None)
    return TitleClass(*(_first(kind, title) for kind in ("seniority", "department", "flag")))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def title_sql(kind: str, column: str = "title") -> str:
    """The SQL CASE expression for ``kind`` (seniority, department or flag) over ``column``.

    Generated from the same rule table as :func:`classify_title`, so both agree.

    >>> import duckdb
    >>> duckdb.sql("SELECT " + title_sql("seniority", "'Head of Growth'")).fetchall()
    [('director',)]
    """
    rules = {"seniority": SENIORITY_RULES, "department": DEPARTMENT_RULES, "flag": FLAG_RULES}
    whens = [f"WHEN {column} IS NULL OR regexp_matches({column}, {_quote(PLACEHOLDER)}) THEN NULL"]
    whens += [
        f"WHEN regexp_matches({column}, {_quote(p)}) THEN {_quote(v)}" for p, v in rules[kind]
    ]
    default = _DEFAULTS[kind]
    otherwise = "NULL" if default is None else _quote(default)
    return "CASE " + " ".join(whens) + f" ELSE {otherwise} END"


__all__ = [
    "DEPARTMENT_RULES",
    "FLAG_RULES",
    "SENIORITY_RULES",
    "TitleClass",
    "classify_title",
    "title_sql",
]
