"""Calibration on the two real sets of ../shared/data, imported as a user would.

UCI bank marketing (41,188 contacts, in time order): ``duration`` (known only after the
call) is flagged and left out, the points model's AUC on the latest 20 % lands in a
plausible band, conversion drift (3 % → 46 %) is reported, and the proposal validates and
scores exactly as the points model ranks. Olist: every closed-deals column, known only for
won leads, is flagged. About 15 s for UCI and 10 s for Olist on a quiet machine.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from leadgate.calibrate import CalibrationError
from leadgate.clock import FixedClock
from leadgate.definition import validate
from leadgate.ingest import load_mappings
from leadgate.project import init_project

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
BANK = DATA / "uci_bank_marketing" / "bank-additional-full.csv"
OLIST = DATA / "olist_marketing_funnel"
AS_OF = dt.datetime(2020, 1, 1)
CLOSED_DEALS = {
    "seller_id", "sdr_id", "sr_id", "won_date", "business_segment", "lead_type",
    "lead_behaviour_profile", "has_company", "has_gtin", "average_stock", "business_type",
    "declared_product_catalog_size", "declared_monthly_revenue",
}  # fmt: skip


def _keyed_bank(path: Path) -> Path:
    """The UCI file as it is, with a contact id and its row number (the set's time order)."""
    with BANK.open("rb") as src, path.open("wb") as out:
        for n, line in enumerate(src):
            out.write((b'"contact_id";"row_no";' if n == 0 else f"{n};{n};".encode()) + line)
    return path


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    if not BANK.is_file():
        pytest.skip(f"UCI bank marketing data not found in {BANK}")
    root = tmp_path_factory.mktemp("bank")
    project = init_project(root / "p", clock=FixedClock(AS_OF))
    path = _keyed_bank(root / "bank.csv")
    report = project.import_file(path, "leads", mapping={"lead_id": "contact_id"})
    assert report.rows_loaded == 41_188
    out = root / "proposed.yaml"
    result = project.calibrate(outcome="y", split_by="row_no", out=out)
    return project, result, out


def test_uci_duration_is_flagged_and_the_auc_without_it_is_plausible(bank):
    _, result, _ = bank
    assert (result.leads, result.conversions) == (41_188, 4_640)
    flagged = {leak.column for leak in result.leaks}
    assert "duration" in flagged
    assert "duration" not in {rule.column for rule in result.rules}
    # The latest 20 % converts at ~31 % against ~5 % in training and its macro-economic
    # columns take values training never saw: an honest time-ordered AUC is ~0.70 (the
    # paper's 0.80 is on a much shorter, later test window). With duration it would be ~0.9.
    assert 0.65 <= result.auc["points"] <= 0.83
    assert abs(result.auc["points"] - result.auc["unrounded"]) <= 0.01  # rounding costs little
    assert result.auc["boosting"] is not None and 0.5 < result.auc["boosting"] < 0.9
    assert 0 < result.brier < 0.3
    assert sum(b["leads"] for b in result.reliability) == 8_238


def test_uci_conversion_drift_is_reported_in_plain_words(bank):
    _, result, _ = bank
    periods = result.conversion_by_period
    assert len(periods) == 10
    assert periods[0]["rate"] < 0.05 and periods[-1]["rate"] > 0.4
    assert "drift" in result.drift[0]
    assert any(s.psi > 0.25 and s.verdict == "major shift" for s in result.shifts)
    assert any("major shift" in line for line in result.drift[1:])


def test_uci_five_fold_points_reach_078_within_001_of_boosting(bank):
    """The issue's bar: with 5-fold cross-validation (duration excluded as leaky) the points
    model reaches ROC AUC 0.78 or more, within 0.01 of the boosting reference."""
    project, _, _ = bank
    result = project.calibrate(outcome="y", folds=5, split_by="row_no", exclude=("duration",))
    assert result.split.startswith("stratified 5-fold")
    assert "duration" not in {rule.column for rule in result.rules}
    assert result.auc["points"] >= 0.78
    assert result.auc["boosting"] is not None
    assert abs(result.auc["boosting"] - result.auc["points"]) <= 0.01
    assert ": drift." in result.drift[0]  # the rows' order still shows the climb


def test_uci_proposal_validates_and_scores_as_the_points_model_ranks(bank):
    project, result, out = bank
    checked = validate(out)
    assert checked.ok, [p.format() for p in checked.problems]
    proposed = checked.definition
    assert proposed.name == "b2b-saas" and proposed.version == result.proposed_version
    assert result.proposed_version != result.current_version
    assert all(r.points == int(r.points) for r in proposed.fit.rules)
    assert "duration" not in out.read_text()
    assert result.diff.startswith("--- v") and "+version: '" in result.diff
    project.score(AS_OF, definition=out)
    with project.store() as store:
        rows = store.execute(
            "SELECT l.row_no, s.total, l.y FROM scores s JOIN leads l USING (lead_id) "
            "WHERE s.definition_hash = ? ORDER BY l.row_no",
            [result.proposed_hash],
        ).fetchall()
    totals = np.array([r[1] for r in rows])
    y = np.array([int(r[2]) for r in rows])
    holdout = slice(int(len(rows) * 0.8), None)
    # the proposal's totals are the points model's: same holdout AUC, same score values
    assert round(roc_auc_score(y[holdout], totals[holdout]), 4) == result.auc["points"]
    table = {p["score"] for p in result.probability}
    assert set(totals[int(len(rows) * 0.6) :].tolist()) <= table


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    if not OLIST.is_dir():
        pytest.skip(f"Olist data not found in {OLIST}")
    root = tmp_path_factory.mktemp("olist")
    project = init_project(root / "p", clock=FixedClock(AS_OF))
    maps = load_mappings(REPO / "examples" / "olist" / "mapping.toml")
    zone = "America/Sao_Paulo"
    leads = OLIST / "olist_marketing_qualified_leads_dataset.csv"
    deals = OLIST / "olist_closed_deals_dataset.csv"
    project.import_file(leads, "leads", mapping=maps["olist_leads"], timezone=zone)
    # A CRM export joins the deal's columns onto the lead: the leak calibration must catch.
    project.import_file(deals, "leads", mapping={"lead_id": "mql_id"}, timezone=zone)
    project.import_file(deals, "outcomes", mapping=maps["olist_won"], timezone=zone)
    return project


def test_olist_closed_deals_columns_are_flagged_and_left_out(olist, tmp_path):
    result = olist.calibrate(outcome="won", capacity="100/month", out=tmp_path / "p.yaml")
    assert result.split.startswith("time-ordered by created_at")
    assert (result.leads, result.conversions) == (8_000, 842)
    flagged = {leak.column for leak in result.leaks}
    assert CLOSED_DEALS <= flagged
    used = {rule.column for rule in result.rules}
    assert not used & CLOSED_DEALS
    assert validate(tmp_path / "p.yaml").ok
    assert result.goal["kind"] == "capacity" and result.goal["per_month"] == 100
    # the CLI is the same call: its --json is the library's result, run for run
    cli = subprocess.run(
        [sys.executable, "-m", "leadgate", "-C", str(olist.root), "calibrate", "--json",
         "--capacity", "100/month", "--as-of", AS_OF.isoformat()],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == json.loads(json.dumps(result.as_dict()))


def test_bad_goals_and_outcomes_are_clear_errors(olist):
    with pytest.raises(CalibrationError, match="per month, week or day") as caught:
        olist.calibrate(capacity="lots")
    assert caught.value.code == "LG842"
    with pytest.raises(CalibrationError, match="No outcome 'signed'") as caught:
        olist.calibrate(outcome="signed")
    assert caught.value.code == "LG840"
    with pytest.raises(CalibrationError, match="--exclude nope") as caught:
        olist.calibrate(exclude=["nope"])
    assert caught.value.code == "LG841"
