"""The synthetic data: determinism, realistic rates, a truth that means something, files."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from leadgate.enrich import classify_domain, classify_title
from leadgate.testing import FILE_COLUMNS, auc, generate
from leadgate.testing.data import DEFAULT_END
from leadgate.vocabulary import STANDARD_EVENT_TYPES


@pytest.fixture(scope="module")
def data():
    return generate(seed=0)


def _funnel(data):
    out = data.outcomes.to_pydict()
    truth = data.truth.to_pydict()
    mql = set(np.array(truth["lead_id"])[np.array(truth["is_mql"])])
    reached = {}
    for lead, outcome in zip(out["lead_id"], out["outcome"], strict=True):
        reached.setdefault(outcome, set()).add(lead)
    return mql, reached, truth


def test_the_default_dataset_has_exact_sizes_and_every_reference_resolves(data):
    # Speed lives in bench/; here, what a default dataset holds.
    assert (data.leads.num_rows, data.accounts.num_rows, data.truth.num_rows) == (
        20_000,
        2_000,
        20_000,
    )
    assert data.events.num_rows > 20_000 * 10
    leads, events = data.leads.to_pandas(), data.events.to_pandas()
    assert leads["lead_id"].is_unique
    assert set(data.truth.column("lead_id").to_pylist()) == set(leads["lead_id"])
    assert set(events["lead_id"].dropna()) <= set(leads["lead_id"])
    assert set(data.outcomes.column("lead_id").to_pylist()) <= set(leads["lead_id"])
    assert events["ts"].is_monotonic_increasing  # files in time order, as exports are
    assert events["ts"].max() <= DEFAULT_END


@pytest.mark.parametrize(("accounts", "leads"), [(1, 1), (7, 300), (50, 49)])
def test_sizes_are_exactly_those_asked(accounts, leads):
    data = generate(seed=11, accounts=accounts, leads=leads)
    assert data.accounts.num_rows == accounts
    assert data.leads.num_rows == data.truth.num_rows == leads


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = (
        generate(seed=7, leads=2_000),
        generate(seed=7, leads=2_000),
        generate(seed=8, leads=2_000),
    )
    for name in FILE_COLUMNS:
        assert getattr(a, name).equals(getattr(b, name)), name
    assert not a.leads.equals(c.leads)
    assert a.truth.equals(b.truth)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_funnel_rates_land_in_the_industry_ranges(seed):
    mql, reached, _ = _funnel(generate(seed=seed))
    assert reached["won"] <= reached["opportunity"] <= reached["sql"] <= reached["accepted"] <= mql
    assert not reached["rejected"] & reached["accepted"]
    sql_rate = len(reached["sql"]) / len(mql)
    won_rate = len(reached["won"]) / len(mql)
    assert 0.13 <= sql_rate <= 0.25, sql_rate
    assert 0.03 <= won_rate <= 0.05, won_rate
    assert 0.10 <= len(mql) / 20_000 <= 0.40


def test_true_propensity_separates_won_from_lost_and_from_the_rest(data):
    mql, reached, truth = _funnel(data)
    p = dict(zip(truth["lead_id"], truth["propensity"], strict=True))
    closed = sorted(reached["won"] | reached["lost"])
    assert auc([p[x] for x in closed], [x in reached["won"] for x in closed]) > 0.7
    cohort = sorted(mql)
    assert auc([p[x] for x in cohort], [x in reached["won"] for x in cohort]) > 0.8


def test_won_deals_have_values_and_rejections_have_reasons(data):
    out = data.outcomes.to_pandas()
    assert out.loc[out.outcome == "won", "value"].gt(0).all()
    assert out.loc[out.outcome == "rejected", "reason"].notna().all()
    assert out.loc[~out.outcome.isin(["won"]), "value"].isna().all()


def test_events_are_standard_and_anonymous_visits_come_before_the_form(data):
    ev = data.events.to_pandas()
    assert set(ev["type"]) <= set(STANDARD_EVENT_TYPES)
    assert ev["event_id"].is_unique
    anon = ev[ev.lead_id.isna()]
    assert len(anon) > 0 and anon.visitor_id.notna().all()
    forms = ev[(ev.type == "form_submit") & ev.lead_id.notna() & ev.visitor_id.notna()]
    first_form = forms.groupby("visitor_id").ts.min()
    assert (anon.ts.to_numpy() < first_form.reindex(anon.visitor_id).to_numpy()).all()


def test_leads_are_messy_on_purpose(data):
    leads = data.leads.to_pandas()
    assert leads["email"].is_unique
    for column in ("title", "country", "persona", "form_answer", "company_domain"):
        share = leads[column].isna().mean()
        assert 0.02 < share < 0.7, (column, share)
    kinds = leads["email"].str.split("@").str[1].map(classify_domain).value_counts(normalize=True)
    assert 0.55 < kinds["business"] < 0.8
    assert 0.15 < kinds["personal"] < 0.3
    assert kinds["student"] > 0.03 and kinds["disposable"] > 0.02
    assert leads["title"].nunique() > 150
    assert set(leads["source"]) == {
        "organic_search",
        "paid_search",
        "social",
        "email",
        "referral",
        "events",
        "direct",
    }


def test_title_enrichment_recovers_most_true_seniorities(data):
    leads = data.leads.to_pandas().merge(data.truth.to_pandas(), on="lead_id")
    known = leads[leads.title.notna() & (leads.email_kind == "business")]
    guessed = known.title.map(lambda t: classify_title(t).seniority)
    assert (guessed == known.true_seniority).mean() > 0.8


def test_accounts_are_realistic(data):
    acc = data.accounts.to_pandas()
    assert acc["account_id"].is_unique
    sizes = acc["company_size"].dropna()
    assert sizes.median() < 200 < sizes.quantile(0.95)  # lognormal: most small, a long tail
    assert 0 < acc["is_customer"].sum() and 0 < acc["is_competitor"].sum()
    assert acc["industry"].nunique() >= 10


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_written_files_have_the_documented_columns(tmp_path, fmt):
    data = generate(seed=5, accounts=100, leads=1_000)
    paths = data.write(tmp_path, fmt, truth=True)
    reader = {"csv": "read_csv", "parquet": "read_parquet", "jsonl": "read_json"}[fmt]
    for kind, columns in FILE_COLUMNS.items():
        assert paths[kind].name == f"{kind}.{fmt}"
        rel = duckdb.execute(f"SELECT * FROM {reader}(?)", [str(paths[kind])])
        names = [d[0] for d in rel.description]
        rows = rel.fetchall()
        assert tuple(names) == columns
        assert len(rows) == getattr(data, kind).num_rows
    assert (tmp_path / "truth.json").exists()


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="fmt must be one of"):
        generate(seed=0, accounts=10, leads=50).write(tmp_path, "xlsx")


def test_bench_generator_streams_parquet(tmp_path):
    """bench/gen_data.py at a small size: files, row counts close to the asked events."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).parents[2] / "bench" / "gen_data.py"
    spec = importlib.util.spec_from_file_location("gen_data", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "big"
    args = ["--leads", "5000", "--events", "200000", "--chunk-events", "50000", "--out", str(out)]
    assert module.main(args) == 0
    count = duckdb.execute(f"SELECT count(*) FROM read_parquet('{out}/events.parquet')").fetchall()
    assert abs(count[0][0] - 200_000) < 200_000 * 0.05
    for kind in ("leads", "accounts", "events"):
        cols = duckdb.execute(f"DESCRIBE SELECT * FROM read_parquet('{out}/{kind}.parquet')")
        assert tuple(r[0] for r in cols.fetchall()) == FILE_COLUMNS[kind]
