"""One person from two sources is one lead (issue #8, defect 5): email identity, aliases,
events and outcomes by any alias, explain of an ambiguous key, ``leadgate merge``."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadgate.errors import AmbiguousLead
from leadgate.identity import merge_leads
from leadgate.ingest import import_file
from leadgate.project import init_project
from leadgate.scoring.lookup import find_lead
from leadgate.store import Store

from .conftest import DATA_TABLES, checksum, write

HUBSPOT = "Record ID,Email,First Name,Job Title,Company Name\n"
SALESFORCE = "Id,Email,FirstName,Title,Company\n"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def people(n: int) -> list[dict[str, str]]:
    """``n`` people as both CRMs hold them: their own ids, the email spelt differently."""
    return [
        {
            "hs": str(1000 + i),
            "sf": f"00Q5e{i:013d}",
            "email": f"person{i}@company{i % 37}.com",
            "first": f"P{i}",
        }
        for i in range(n)
    ]


def hubspot(rows: list[dict[str, str]]) -> str:
    return HUBSPOT + "".join(
        f"{p['hs']},{p['email']},{p['first']},Engineer,Co{p['hs']}\n" for p in rows
    )


def salesforce(rows: list[dict[str, str]]) -> str:
    # Salesforce spells the same address in capitals with a stray space: still one person.
    return SALESFORCE + "".join(f"{p['sf']}, {p['email'].upper()} ,,VP Sales,\n" for p in rows)


def aliases(store: Store) -> dict[str, str]:
    return dict(store.execute("SELECT alias, lead_id FROM lead_aliases").fetchall())


def test_two_sources_of_the_same_200_people_are_200_leads_with_both_ids(store, tmp_path):
    crowd = people(200)
    import_file(
        store, write(tmp_path / "hs.csv", hubspot(crowd)), "leads", preset="hubspot_contacts"
    )
    report = import_file(
        store, write(tmp_path / "sf.csv", salesforce(crowd)), "leads", preset="salesforce_leads"
    )
    assert store.scalar("SELECT count(*) FROM leads") == 200
    assert report.aliases_added == 200 and report.shared_emails == 0
    known = aliases(store)
    for p in crowd:
        assert known[p["hs"]] == known[p["sf"]] == p["hs"]
    sources = dict(store.execute("SELECT alias, source FROM lead_aliases").fetchall())
    assert sources[crowd[0]["hs"]] == "hubspot_contacts"
    assert sources[crowd[0]["sf"]] == "salesforce_leads"
    # Last import wins for a field both fill; a blank never erases a value.
    row = store.execute(
        "SELECT email, first_name, title, company FROM leads WHERE lead_id = ?", [crowd[7]["hs"]]
    ).fetchone()
    assert row == (crowd[7]["email"], crowd[7]["first"], "VP Sales", f"Co{crowd[7]['hs']}")


def test_the_last_import_wins_back(store, tmp_path):
    crowd = people(3)
    hs, sf = (
        write(tmp_path / "hs.csv", hubspot(crowd)),
        write(tmp_path / "sf.csv", salesforce(crowd)),
    )
    for path, preset in ((hs, "hubspot_contacts"), (sf, "salesforce_leads")):
        import_file(store, path, "leads", preset=preset, enrich=False)
    import_file(store, hs, "leads", preset="hubspot_contacts", enrich=False)
    titles = store.execute("SELECT DISTINCT title FROM leads").fetchall()
    assert titles == [("Engineer",)]


def test_importing_both_sources_again_changes_nothing(store, tmp_path):
    crowd = people(50)
    hs, sf = (
        write(tmp_path / "hs.csv", hubspot(crowd)),
        write(tmp_path / "sf.csv", salesforce(crowd)),
    )
    import_file(store, hs, "leads", preset="hubspot_contacts")
    import_file(store, sf, "leads", preset="salesforce_leads")
    before = checksum(store, (*DATA_TABLES, "lead_aliases"))
    again = import_file(store, sf, "leads", preset="salesforce_leads")
    assert again.rows_loaded == 0 and again.rows_unchanged == 50 and again.aliases_added == 0
    assert checksum(store, (*DATA_TABLES, "lead_aliases")) == before


def test_events_and_outcomes_keyed_by_either_id_score_on_the_one_lead(tmp_path):
    project = init_project(tmp_path / "p")
    crowd = people(4)
    ana = crowd[0]
    # Events by the Salesforce id arrive before the Salesforce leads: they move when it does.
    early = write(tmp_path / "early.csv", f"lead_id,type,ts\n{ana['sf']},demo_request,2026-10-20\n")
    project.import_file(early, "events")
    project.import_file(
        write(tmp_path / "hs.csv", hubspot(crowd)), "leads", preset="hubspot_contacts"
    )
    project.import_file(
        write(tmp_path / "sf.csv", salesforce(crowd)), "leads", preset="salesforce_leads"
    )
    late = (
        f"lead_id,type,ts\n{ana['hs']},pricing_page,2026-10-30\n"
        f"{ana['sf']},contact_sales,2026-10-30\n"
    )
    project.import_file(write(tmp_path / "late.csv", late), "events")
    won = f"lead_id,outcome,ts\n{ana['sf']},won,2026-10-31\n"
    project.import_file(write(tmp_path / "won.csv", won), "outcomes")
    # Their content keys stay on the ids the files give: importing them again adds nothing.
    for path, kind in ((early, "events"), (tmp_path / "late.csv", "events"),
                       (tmp_path / "won.csv", "outcomes")):  # fmt: skip
        assert project.import_file(path, kind).rows_loaded == 0
    with project.store() as store:
        assert store.execute("SELECT DISTINCT lead_id FROM lead_events").fetchall() == [
            (ana["hs"],)
        ]
        assert store.execute("SELECT lead_id FROM outcomes").fetchall() == [(ana["hs"],)]
    project.score(AS_OF)
    for key in (ana["hs"], ana["sf"], ana["email"].upper()):
        score = project.explain(key)
        assert score.lead_id == ana["hs"]
        by_rule = {c.label: c.points for c in score.contributions if c.group == "engagement"}
        assert by_rule["demo_request"] > 0 and by_rule["contact_sales"] > 0
        assert by_rule["pricing_page"] > 0


def test_explain_of_an_email_two_leads_hold_lists_them(store, tmp_path):
    data = "lead_id,email\nx1,ana@acme.com\nx2,ANA@acme.com\nx3,bo@acme.com\n"
    import_file(store, write(tmp_path / "l.csv", data), "leads", enrich=False)
    with pytest.raises(AmbiguousLead) as caught:
        find_lead(store, " ana@ACME.com")
    assert caught.value.code == "LG405"
    assert caught.value.candidates == ["x1", "x2"]
    assert "x1, x2" in str(caught.value)
    assert find_lead(store, "x2")["lead_id"] == "x2"  # an id is exact


def test_dots_and_plus_tags_are_other_people(store, tmp_path):
    data = "lead_id,email\na,ana.b@gmail.com\nb,anab@gmail.com\nc,ana.b+crm@gmail.com\n"
    import_file(store, write(tmp_path / "l.csv", data), "leads", enrich=False)
    assert store.scalar("SELECT count(*) FROM leads") == 3
    assert merge_leads(store).groups == []


def test_one_id_twice_in_a_file_keeps_the_first(store, tmp_path):
    import_file(store, write(tmp_path / "a.csv", "lead_id,email\nz,ana@acme.com\n"), "leads")
    data = "lead_id,email,title\nx,ana@acme.com,CTO\nx,bo@acme.com,CFO\n"
    report = import_file(store, write(tmp_path / "b.csv", data), "leads", enrich=False)
    assert report.rows_loaded == 1 and report.rows_rejected == 1
    assert report.rejects[0].line == 3
    assert aliases(store) == {"z": "z", "x": "z"}
    assert store.execute("SELECT lead_id, title FROM leads").fetchall() == [("z", "CTO")]


def _store_before_aliases(path: Path) -> Store:
    """A store as leadgate left it before migration 0008: leads sharing an email, events and
    outcomes under each, no aliases."""
    with Store(path) as old:
        old.execute("DROP TABLE lead_aliases")
        old.execute("DROP TABLE lead_merges")
        old.execute("DELETE FROM _migrations WHERE name = '0008_lead_aliases'")
        old.execute(
            "INSERT INTO leads (lead_id, email, title, company, updated_at) VALUES "
            "('a1', 'ana@acme.com', 'CTO', NULL, '2026-01-01'), "
            "('a2', 'Ana@Acme.com ', 'VP', 'Acme', '2026-02-01'), "
            "('a3', 'ana@acme.com', NULL, 'Acme Corp', '2025-12-01'), "
            "('b1', 'bo@beta.io', 'CFO', 'Beta', '2026-01-01')"
        )
        old.execute(
            "INSERT INTO events VALUES ('e1', 'a2', NULL, 'demo_request', '2026-10-01', NULL, "
            "NULL), ('e2', 'a3', NULL, 'page_view', '2026-10-02', NULL, NULL), "
            "('e3', NULL, 'v9', 'page_view', '2026-10-02', NULL, NULL)"
        )
        old.execute("INSERT INTO visitor_links VALUES ('v9', 'a3', NULL)")
        old.execute("INSERT INTO outcomes VALUES ('o1', 'a3', 'won', NULL, 10, '2026-10-03')")
    return Store(path)


def test_merge_joins_leads_stored_before_aliases(tmp_path):
    with _store_before_aliases(tmp_path / "s.duckdb") as store:
        assert aliases(store) == {i: i for i in ("a1", "a2", "a3", "b1")}  # backfilled
        plan = merge_leads(store)
        assert not plan.applied and store.scalar("SELECT count(*) FROM leads") == 4
        assert [g.as_dict() for g in plan.groups] == [
            {"email": "ana@acme.com", "lead_id": "a1", "merged": ["a2", "a3"], "events": 2,
             "outcomes": 1}
        ]  # fmt: skip
        done = merge_leads(store, apply=True)
        assert done.applied and done.leads_merged == 2
        leads = store.execute("SELECT lead_id, title, company FROM leads ORDER BY 1").fetchall()
        # Per field, the latest updated lead's value that is set.
        assert leads == [("a1", "VP", "Acme"), ("b1", "CFO", "Beta")]
        assert aliases(store) == {"a1": "a1", "a2": "a1", "a3": "a1", "b1": "b1"}
        events = store.execute("SELECT event_id, lead_id FROM lead_events ORDER BY 1").fetchall()
        assert events == [("e1", "a1"), ("e2", "a1"), ("e3", "a1")]
        assert store.execute("SELECT lead_id FROM outcomes").fetchall() == [("a1",)]
        merges = store.execute("SELECT lead_id, merged_id, events, outcomes FROM lead_merges")
        assert sorted(merges.fetchall()) == [("a1", "a2", 1, 0), ("a1", "a3", 1, 1)]
        # Idempotent: run again, nothing is found and nothing changes.
        before = checksum(store, (*DATA_TABLES, "lead_aliases", "lead_merges"))
        assert merge_leads(store, apply=True).groups == []
        assert checksum(store, (*DATA_TABLES, "lead_aliases", "lead_merges")) == before
        # An event by a merged id later on joins the lead kept.
        import_file(store, write(tmp_path / "e.csv", "lead_id,type,ts\na2,page_view,2026-10-09\n"),
                    "events")  # fmt: skip
        assert store.scalar("SELECT count(*) FROM lead_events WHERE lead_id = 'a1'") == 4


# Any interleaving of two sources' imports, in pieces and repeated, ends with one lead per
# distinct email and every id resolving to it.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(1, 12),
    pieces=st.lists(st.tuples(st.sampled_from(["hs", "sf", "ev"]), st.integers(0, 2**16)),
                    min_size=1, max_size=6),
)  # fmt: skip
def test_any_interleaving_of_two_sources_is_one_lead_per_email(tmp_path, n, pieces):
    crowd = people(n)
    with Store(":memory:") as store:
        for step, (what, seed) in enumerate(pieces):
            some = random.Random(seed).sample(crowd, k=random.Random(seed + 1).randint(1, n))
            path = tmp_path / f"{step}.csv"
            if what == "ev":
                text = "lead_id,type,ts\n" + "".join(
                    f"{p[random.Random(seed).choice(['hs', 'sf'])]},page_view,2026-10-01\n"
                    for p in some
                )
                import_file(store, write(path, text), "events")
            else:
                text = hubspot(some) if what == "hs" else salesforce(some)
                preset = "hubspot_contacts" if what == "hs" else "salesforce_leads"
                import_file(store, write(path, text), "leads", preset=preset, enrich=False)
        leads = dict(store.execute("SELECT email, lead_id FROM leads").fetchall())
        emails = {p["email"] for p in crowd}
        assert store.scalar("SELECT count(*) FROM leads") == len(leads) <= n
        assert set(leads) <= emails
        known = aliases(store)
        for p in crowd:
            if p["email"] in leads:
                ids = [i for i in (p["hs"], p["sf"]) if i in known]
                assert ids and all(known[i] == leads[p["email"]] for i in ids)
        # Every event whose id names a stored lead counts for that lead.
        orphans = store.scalar(
            "SELECT count(*) FROM events e JOIN lead_aliases a ON a.alias = e.lead_id "
            "WHERE a.lead_id <> e.lead_id"
        )
        assert orphans == 0
        assert merge_leads(store).groups == []


def _project_preferring(tmp_path: Path, setting: str):  # type: ignore[no-untyped-def]
    project = init_project(tmp_path / "p")
    config = project.root / "leadgate.toml"
    config.write_text(config.read_text(encoding="utf-8") + setting, encoding="utf-8")
    return type(project).open(project.root)


def test_a_preferred_source_keeps_its_values_and_others_fill_blanks(tmp_path):
    project = _project_preferring(tmp_path, '\n[identity]\nprefer = ["salesforce_leads"]\n')
    crowd = people(3)
    sf = write(tmp_path / "sf.csv", salesforce(crowd))
    hs = write(tmp_path / "hs.csv", hubspot(crowd))
    project.import_file(sf, "leads", preset="salesforce_leads")
    report = project.import_file(hs, "leads", preset="hubspot_contacts")
    assert report.aliases_added == 3
    with project.store() as store:
        rows = store.execute("SELECT DISTINCT title, first_name FROM leads ORDER BY 2").fetchall()
        # Salesforce's title stands; HubSpot fills the first name Salesforce left blank.
        assert rows == [("VP Sales", p["first"]) for p in crowd]
        assert set(aliases(store).values()) == {p["sf"] for p in crowd}
    # Importing HubSpot again changes nothing; Salesforce's own import still updates.
    assert project.import_file(hs, "leads", preset="hubspot_contacts").rows_loaded == 0
    sf.write_text(sf.read_text().replace("VP Sales", "CTO"), encoding="utf-8")
    assert project.import_file(sf, "leads", preset="salesforce_leads").rows_loaded == 3


def test_a_bad_identity_setting_is_refused(tmp_path):
    from leadgate.errors import ConfigError

    for bad in ('prefer = "salesforce_leads"', 'prefr = ["x"]'):
        with pytest.raises(ConfigError, match="identity.pref"):
            _project_preferring(tmp_path / bad[:5], f"\n[identity]\n{bad}\n")


def test_an_id_seen_before_beats_the_email(store, tmp_path):
    import_file(store, write(tmp_path / "a.csv", "lead_id,email\na,ana@x.io\nb,bo@x.io\n"), "leads")
    # Ana's record now carries Bo's address: still Ana's lead, so two leads share it.
    import_file(store, write(tmp_path / "b.csv", "lead_id,email\na,BO@x.io\n"), "leads")
    rows = store.execute("SELECT lead_id, email FROM leads ORDER BY 1").fetchall()
    assert rows == [("a", "bo@x.io"), ("b", "bo@x.io")]
    assert [g.merged for g in merge_leads(store).groups] == [["b"]]


def test_merge_takes_the_preferred_sources_values(tmp_path):
    project = _project_preferring(tmp_path, '\n[identity]\nprefer = ["crm.csv"]\n')
    project.import_file(
        write(tmp_path / "crm.csv", "lead_id,email,title\nc1,ana@x.io,CTO\n"), "leads"
    )
    project.import_file(
        write(tmp_path / "list.csv", "lead_id,email,title\nl1,bo@x.io,Intern\n"), "leads"
    )
    with project.store() as store:  # stored apart, as before aliases; the list's is newer
        store.execute(
            "UPDATE leads SET email = 'ana@x.io', updated_at = updated_at + INTERVAL 1 DAY "
            "WHERE lead_id = 'l1'"
        )
    done = project.merge(apply=True)
    assert [(g.lead_id, g.merged) for g in done.groups] == [("c1", ["l1"])]
    with project.store() as store:
        assert store.execute("SELECT lead_id, title FROM leads").fetchall() == [("c1", "CTO")]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_events_and_outcomes_by_an_alias_join_the_lead_in_every_format(store, tmp_path, fmt):
    import duckdb

    crowd = people(2)
    import_file(
        store, write(tmp_path / "hs.csv", hubspot(crowd)), "leads", preset="hubspot_contacts"
    )
    import_file(
        store, write(tmp_path / "sf.csv", salesforce(crowd)), "leads", preset="salesforce_leads"
    )
    for kind, text in (
        ("events", f"lead_id,type,ts\n{crowd[1]['sf']},demo_request,2026-10-01 10:00:00\n"),
        ("outcomes", f"lead_id,outcome,ts\n{crowd[1]['sf']},won,2026-10-02 10:00:00\n"),
    ):
        path = write(tmp_path / f"{kind}.csv", text)
        if fmt == "parquet":
            path = tmp_path / f"{kind}.parquet"
            duckdb.sql(f"COPY (FROM read_csv('{tmp_path / kind}.csv')) TO '{path}'")
        assert import_file(store, path, kind).rows_loaded == 1
        assert import_file(store, path, kind).rows_loaded == 0
    assert store.execute("SELECT lead_id FROM lead_events").fetchall() == [(crowd[1]["hs"],)]
    assert store.execute("SELECT lead_id FROM outcomes").fetchall() == [(crowd[1]["hs"],)]
