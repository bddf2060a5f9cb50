"""Title rules: expected classes, and the pure and SQL classifiers agreeing on any string."""

from __future__ import annotations

import itertools

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadgate.enrich.titles import classify_title, title_sql
from leadgate.vocabulary import SENIORITIES

DEPARTMENTS = {
    "sales",
    "marketing",
    "finance",
    "engineering",
    "operations",
    "hr",
    "product",
    "executive",
    "other",
}


@pytest.mark.parametrize(
    ("title", "seniority", "department", "flag"),
    [
        ("VP Sales", "vp", "sales", None),
        ("Vice President, Marketing", "vp", "marketing", None),
        ("SVP Engineering", "vp", "engineering", None),
        ("EVP & General Counsel", "vp", "other", None),
        ("Head of Demand Generation", "director", "marketing", None),
        ("Chief Financial Officer", "cxo", "finance", None),
        ("Chief Executive Officer", "cxo", "executive", None),
        ("CEO", "cxo", "executive", None),
        ("CFO", "cxo", "finance", None),
        ("CTO & Co-Founder", "cxo", "engineering", None),
        ("cmo", "cxo", "marketing", None),
        ("COO", "cxo", "operations", None),
        ("CIO", "cxo", "engineering", None),
        ("Founder", "cxo", "executive", None),
        ("Owner", "cxo", "executive", None),
        ("President", "cxo", "executive", None),
        ("Managing Director", "cxo", "executive", None),
        ("Director of Marketing", "director", "marketing", None),
        ("Sales Director EMEA", "director", "sales", None),
        ("Marketing Manager", "manager", "marketing", None),
        ("Product Marketing Manager", "manager", "marketing", None),
        ("Senior Product Manager", "manager", "product", None),
        ("HR Manager", "manager", "hr", None),
        ("Team Lead, Customer Success", "manager", "sales", None),
        ("Lead Generation Specialist", "ic", "marketing", None),
        ("Software Engineer", "ic", "engineering", None),
        ("IT Administrator", "ic", "engineering", None),
        ("Account Executive", "ic", "sales", None),
        ("Financial Analyst", "ic", "finance", None),
        ("Operations Coordinator", "ic", "operations", None),
        ("Recruiter", "ic", "hr", None),
        ("Marketing Intern", "ic", "marketing", "student"),
        ("Student", "ic", "other", "student"),
        ("Étudiant en informatique", "ic", "engineering", "student"),
        ("Looking for new opportunities", "ic", "other", "job_seeker"),
        ("Ex-VP Sales, open to work", "vp", "sales", "job_seeker"),
        ("Job seeker", "ic", "other", "job_seeker"),
        ("Seeking a role in data science", "ic", "engineering", "job_seeker"),
        ("Gerente de Marketing", "manager", "marketing", None),
        ("Gerente Comercial", "manager", "sales", None),
        ("Diretor de Vendas", "director", "sales", None),
        ("Diretor Executivo", "cxo", "other", None),
        ("Geschäftsführer", "cxo", "executive", None),
        ("Leiter Vertrieb", "director", "sales", None),
        ("Directeur Marketing", "director", "marketing", None),
        ("Directeur Général", "cxo", "executive", None),
        ("PDG", "cxo", "executive", None),
        ("Partner", "director", "other", None),
        ("Channel Partner Manager", "manager", "other", None),
        ("International Sales Rep", "ic", "sales", None),
        ("VPN Engineer", "ic", "engineering", None),
        ("n/a", None, None, None),
        ("-", None, None, None),
        ("", None, None, None),
        (None, None, None, None),
    ],
)
def test_classify_title(title, seniority, department, flag):
    # A known title with no flag is judged "none"; only a missing title stays unknown.
    expected_flag = "none" if flag is None and seniority is not None else flag
    assert tuple(classify_title(title)) == (seniority, department, expected_flag)


def _varied_titles() -> list[str]:
    """200+ titles in the forms people type them: cases, orders, punctuation, languages."""
    levels = ["", "Senior ", "VP ", "Vice President of ", "Head of ", "Director, ", "Chief "]
    functions = [
        "Sales",
        "Marketing",
        "Finance",
        "Engineering",
        "IT",
        "Operations",
        "HR",
        "Product",
        "People",
        "Growth",
    ]
    tails = ["", " Manager", " Officer", " Lead", " Intern"]
    made = [f"{a}{b}{c}".strip() for a, b, c in itertools.product(levels, functions, tails)]
    odd = [
        "ceo",
        "C.E.O.",
        "CEO/Founder",
        "co-founder & cto",
        "OWNER",
        "Pres.",
        "svp, ops",
        "Marketing-Manager",
        "  vp   marketing  ",
        "Gerente",
        "Geschaftsfuhrer",
        "Prokurist",
        "Étudiante",
        "open to work",
        "#OpenToWork",
        "n/a",
        "N/A",
        "xxx",
        "???",
        "",
        "営業部長",
        "Директор по продажам",
        "Responsable Marketing",
        "Jefe de Ventas",
        "Estagiário",
        "Werkstudent Vertrieb",
        "PhD candidate",
        "between jobs",
    ]
    return made + odd


def test_pure_and_sql_agree_on_varied_titles():
    titles = _varied_titles()
    assert len(titles) >= 200
    assert _sql_classes(titles) == [tuple(classify_title(t)) for t in titles]


def test_outputs_stay_in_vocabulary():
    for title in _varied_titles():
        seniority, department, flag = classify_title(title)
        assert seniority in (*SENIORITIES, None)
        assert department in (*DEPARTMENTS, None)
        assert flag in ("student", "job_seeker", "none", None)


def _sql_classes(titles: list[str | None]) -> list[tuple]:
    conn = duckdb.connect()
    conn.execute("CREATE TABLE t (i INTEGER, title VARCHAR)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(titles)))
    exprs = ", ".join(title_sql(k) for k in ("seniority", "department", "flag"))
    return conn.execute(f"SELECT {exprs} FROM t ORDER BY i").fetchall()


# Surrogates cannot be encoded to UTF-8 (DuckDB's strings), so they are left out.
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_wordy = st.lists(
    st.sampled_from(
        [
            "vp",
            "VP",
            "head",
            "of",
            "sales",
            "chief",
            "officer",
            "ceo",
            "intern",
            "Gerente",
            "Étudiant",
            "looking",
            "for",
            "-",
            "/",
            "&",
            " ",
            "ops",
            "it",
            "Geschäftsführer",
            "n/a",
            "lead",
            "gen",
            "president",
            "vice",
        ]
    ),
    max_size=6,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_text, _wordy), min_size=1, max_size=20))
def test_pure_and_sql_agree_on_random_strings(titles):
    assert _sql_classes(titles) == [tuple(classify_title(t)) for t in titles]
