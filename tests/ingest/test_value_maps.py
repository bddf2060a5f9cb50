"""Value maps: a CRM's words for stage (or any text field) become leadgate's as the file is
read; a value the map lacks is a reject naming what it knows (issue #8, defect 3)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.errors import ImportFailed
from leadgate.ingest import import_file
from leadgate.ingest.presets import HUBSPOT_STAGES
from leadgate.ingest.values import DEFAULT_OUTCOME_VALUES, parse_value_pairs, value_key
from leadgate.store import Store

from .conftest import as_format, checksum, write

STAGE_MAP = {
    "stage": {
        "Open - Not Contacted": "lead",
        "Working - Contacted": "sal",
        "Closed - Converted": "opportunity",
        "Closed - Not Converted": "disqualified",
    }
}
LEADS = (
    "lead_id,email,Lead Status\n"
    "L1,a@x.io,Open - Not Contacted\n"
    'L2,b@x.io,"  working -   CONTACTED "\n'  # any case, any spacing
    "L3,c@x.io,Closed - Converted\n"
    "L4,d@x.io,\n"  # blank: not filled in, no reject
    "L5,e@x.io,N/A\n"  # a placeholder: the same
    "L6,f@x.io,Nurture\n"  # a value the map lacks
)


def _stages(store: Store) -> list[tuple[object, ...]]:
    return store.execute("SELECT lead_id, stage, lead_status FROM leads ORDER BY 1").fetchall()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_value_map_translates_stage_and_keeps_the_crm_word(store, tmp_path, fmt):
    path = as_format(tmp_path, LEADS, fmt)
    report = import_file(
        store, path, "leads", mapping={"stage": "Lead Status"}, values=STAGE_MAP, enrich=False
    )
    assert (report.rows_loaded, report.rows_rejected) == (5, 1)
    assert report.columns_added == ["lead_status"]
    working = "working -   CONTACTED"  # trimmed, as every text cell is; otherwise as written
    assert _stages(store) == [
        ("L1", "lead", "Open - Not Contacted"),
        ("L2", "sal", working),
        ("L3", "opportunity", "Closed - Converted"),
        ("L4", None, None),  # not filled in: unknown, like any other field
        ("L5", None, None),
    ]
    [reject] = report.rejects
    line = 7 if fmt == "csv" else 6  # a JSON Lines file has no header line
    assert (reject.line, reject.column, reject.raw) == (line, "stage", "Nurture")
    assert reject.reason.startswith("not a value the map of stage knows ('Open - Not Contacted'")
    assert "'Closed - Not Converted'" in reject.reason
    assert "--value 'stage:VALUE=" in reject.reason


def test_the_same_file_twice_changes_nothing(store, tmp_path):
    path = write(tmp_path / "leads.csv", LEADS)
    options = {"mapping": {"stage": "Lead Status"}, "values": STAGE_MAP, "enrich": False}
    import_file(store, path, "leads", **options)
    before = checksum(store)
    again = import_file(store, path, "leads", **options)
    assert (again.rows_loaded, again.rows_unchanged, again.rows_rejected) == (0, 5, 1)
    assert checksum(store) == before


def test_the_import_s_entries_are_laid_over_the_preset_s(store, tmp_path):
    path = write(
        tmp_path / "contacts.csv",
        "Record ID,Email,Lifecycle Stage\n1,a@x.io,Lead\n2,b@x.io,Recycled\n3,c@x.io,Other\n",
    )
    values = {"stage": {"recycled": "recycled", "Other": "disqualified"}}
    report = import_file(
        store, path, "leads", preset="hubspot_contacts", values=values, enrich=False
    )
    assert report.rows_rejected == 0
    assert store.execute("SELECT stage FROM leads ORDER BY lead_id").fetchall() == [
        ("lead",),
        ("recycled",),
        ("disqualified",),
    ]


def test_a_mapping_in_leadgate_toml_carries_value_maps(tmp_path):
    from leadgate.project import Project, init_project

    root = init_project(tmp_path / "p").root
    with (root / "leadgate.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            '\n[mappings.crm]\nkind = "leads"\nstage = "Lead Status"\n'
            '[mappings.crm.values.stage]\n"Open - Not Contacted" = "lead"\n'
            '"Working - Contacted" = "sal"\n"Closed - Converted" = "opportunity"\n'
        )
    project = Project.open(root)
    path = write(tmp_path / "leads.csv", LEADS)
    # The import's own entry is laid over the mapping's.
    report = project.import_file(
        path, "leads", mapping_name="crm", values={"stage": {"Nurture": "recycled"}}
    )
    assert (report.rows_loaded, report.rows_rejected) == (6, 0)
    with project.store() as store:
        assert [r[1] for r in _stages(store)] == [
            "lead",
            "sal",
            "opportunity",
            None,
            None,
            "recycled",
        ]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"stage": {"MQL": "marketing qualified"}}, "no stage leadgate knows"),
        ({"stage": {"MQL": "mq"}}, "Did you mean 'mql'"),
        ({"stage": {"MQL": "mql", "mql ": "sql"}}, "another spelling of it"),
        ({"stage": {"": "mql"}}, "empty source value"),
        ({"stage": {"MQL": 3}}, "map it to a text"),
        ({"stge": {"MQL": "mql"}}, "Did you mean 'stage'"),
        ({"company_size": {"big": "1000"}}, "A value map translates text"),
        ({"stage": ["mql"]}, "must be a table"),
    ],
)
def test_a_bad_value_map_fails_before_touching_the_store(store, tmp_path, values, message):
    path = write(tmp_path / "leads.csv", "email,stage\na@x.io,MQL\n")
    with pytest.raises(ImportFailed, match=message) as caught:
        import_file(store, path, "leads", values=values, enrich=False)
    assert caught.value.code == "LG320"
    assert store.scalar("SELECT count(*) FROM imports") == 0


def test_the_command_line_pairs_split_at_the_first_colon_and_the_last_equals():
    assert parse_value_pairs(["stage:a=b:c=sql", " outcome : 1 = won "]) == {
        "stage": {"a=b:c": "sql"},
        "outcome": {"1": "won"},
    }


_SPELLINGS = st.sampled_from(sorted(HUBSPOT_STAGES)).flatmap(
    lambda word: st.tuples(
        st.just(word),
        st.lists(st.booleans(), min_size=len(word), max_size=len(word)),
        st.sampled_from(["", " ", "  ", "\t"]),
        st.sampled_from([" ", "  ", " \t "]),
    )
)


def _spell(word: str, upper: list[bool], edge: str, gap: str) -> str:
    cased = "".join(c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True))
    return edge + gap.join(cased.split(" ")) + edge


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(_SPELLINGS, min_size=1, max_size=6))
def test_any_case_and_spacing_of_a_known_value_maps_as_written(cells):
    """Hypothesis: each spelling lands on the map's value for the word, in SQL as in Python."""
    by_key = {value_key(k): v for k, v in HUBSPOT_STAGES.items()}
    spelt = [_spell(*cell) for cell in cells]
    body = "".join(f'{i},l{i}@x.io,"{s}"\n' for i, s in enumerate(spelt))
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "c.csv", "Record ID,Email,Lifecycle Stage\n" + body)
        with Store(":memory:") as store:
            report = import_file(store, path, "leads", preset="hubspot_contacts", enrich=False)
            assert report.rows_rejected == 0
            got = store.execute("SELECT stage FROM leads ORDER BY lead_id::INT").fetchall()
    assert [g[0] for g in got] == [by_key[value_key(s)] for s in spelt]
    assert [g[0] for g in got] == [HUBSPOT_STAGES[c[0]] for c in cells]


def test_outcomes_have_a_default_map_the_docs_state():
    assert {k: v for k, v in DEFAULT_OUTCOME_VALUES.items() if k != v} == {
        "1": "won",
        "0": "lost",
        "true": "won",
        "false": "lost",
        "yes": "won",
        "no": "lost",
        "closed won": "won",
        "closed lost": "lost",
    }


def test_a_column_named_like_its_field_is_kept_as_raw_and_updated_by_later_imports(store, tmp_path):
    values = {"stage": {"Hot": "mql", "Cold": "lead"}}
    first = write(tmp_path / "a.csv", "email,Stage\na@x.io,Cold\n")
    assert import_file(store, first, "leads", values=values, enrich=False).columns_added == [
        "stage_raw"
    ]
    later = write(tmp_path / "b.csv", "email,Stage\na@x.io,hot\n")
    report = import_file(store, later, "leads", values=values, enrich=False)
    assert (report.rows_loaded, report.columns_added) == (1, [])
    assert store.execute("SELECT stage, stage_raw FROM leads").fetchall() == [("mql", "hot")]
