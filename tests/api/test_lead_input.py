"""``POST /v1/leads`` speaks API: a date read by a day/month order its values did not show
is noted in the answer, a request mixing both orders is refused naming its items, and a
request too wide is refused naming its field count, never a temporary file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadgate.api.app import create_app
from leadgate.ingest.readers import MAX_COLUMNS

from .conftest import api_project


def post(tmp_path: Path, body: Any, toml: str = "") -> tuple[int, dict[str, Any], Any]:
    project = api_project(tmp_path / "p", api=toml)
    keys = {"Authorization": f"Bearer {project.create_key('site', 'ingest').key}"}
    with TestClient(create_app(project)) as client:
        answer = client.post("/v1/leads", headers=keys, json=body)
    with project.store() as store:
        stored = store.query("SELECT lead_id, created_at FROM leads ORDER BY lead_id")
    return answer.status_code, answer.json(), stored


def test_a_guessed_date_order_is_noted_in_the_answer(tmp_path: Path) -> None:
    status, body, stored = post(tmp_path, {"lead_id": "L1", "created_at": "01/02/2026"})
    assert status == 200, body
    assert str(stored[0]["created_at"]) == "2026-01-02 00:00:00"
    (note,) = body["notes"]
    assert (note["field"], note["order"], note["read_as"], note["why"], note["example"]) == (
        "created_at", "mdy", "month first", "by default", "01/02/2026"
    )  # fmt: skip
    assert "send ISO 8601" in note["note"] and "--date-format" not in note["note"]


def test_dates_that_show_their_order_are_noted_too_and_iso_is_not(tmp_path: Path) -> None:
    rows = [
        {"lead_id": "L1", "created_at": "25/02/2026"},
        {"lead_id": "L2", "created_at": "01/02/2026"},
    ]
    status, body, stored = post(tmp_path, {"leads": rows})
    assert status == 200, body
    assert [(n["field"], n["order"]) for n in body["notes"]] == [("created_at", "dmy")]
    assert str(stored[1]["created_at"]) == "2026-02-01 00:00:00"
    iso = {"lead_id": "L3", "created_at": "2026-02-01"}
    assert post(tmp_path / "iso", iso)[1]["notes"] == []


def test_mixed_orders_are_refused_naming_the_items(tmp_path: Path) -> None:
    rows = [
        {"lead_id": "L1", "created_at": "2026-01-05"},
        {"lead_id": "L2", "created_at": "13/02/2026"},
        {"lead_id": "L3", "created_at": "02/13/2026"},
    ]
    status, body, stored = post(tmp_path, {"leads": rows})
    assert status == 422 and stored == []
    error = body["error"]
    assert error["code"] == "LG312"
    assert [(d["index"], d["field"]) for d in error["details"]] == [
        (1, "created_at"), (2, "created_at")
    ]  # fmt: skip
    assert "send ISO 8601" in error["message"]
    for word in ("data row", "--date-format", "column"):
        assert word not in error["message"]


def test_a_date_it_cannot_read_asks_for_iso(tmp_path: Path) -> None:
    rows = [{"lead_id": "L1", "created_at": "2026-01-05"}, {"lead_id": "L2", "created_at": "soon"}]
    status, body, _ = post(tmp_path, {"leads": rows})
    assert status == 422
    (problem,) = body["error"]["details"]
    assert (problem["index"], problem["field"]) == (1, "created_at")
    assert "send ISO 8601" in problem["problem"] and "--date-format" not in problem["problem"]


@pytest.mark.parametrize("wide", [MAX_COLUMNS + 1, MAX_COLUMNS + 500])
def test_a_request_too_wide_names_its_fields_and_the_limit(tmp_path: Path, wide: int) -> None:
    lead = {"lead_id": "L1"} | {f"f{n}": n for n in range(wide - 1)}
    status, body, stored = post(tmp_path, lead)
    assert status == 422 and stored == []
    error = body["error"]
    assert error["code"] == "LG311"
    assert f"{wide:,} fields" in error["message"] and f"at most {MAX_COLUMNS:,}" in error["message"]
    for leak in ("/tmp", ".jsonl", "leadgate-api-", "export", "columns"):
        assert leak not in error["message"]


def test_a_stage_leadgate_does_not_know_is_refused_and_the_lead_stays_workable(
    tmp_path: Path,
) -> None:
    project = api_project(tmp_path / "p")
    admin = {"Authorization": f"Bearer {project.create_key('crm', 'admin').key}"}
    with TestClient(create_app(project)) as client:
        assert client.post("/v1/leads", headers=admin, json={"lead_id": "L1"}).status_code == 200
        bad = client.post("/v1/leads", headers=admin, json={"lead_id": "L1", "stage": "bogus"})
        read = client.get("/v1/leads/L1", headers=admin)
        upper = client.post("/v1/leads", headers=admin, json={"lead_id": "L1", "stage": "MQL"})
        after = client.get("/v1/leads/L1", headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "LG712"
    (problem,) = bad.json()["error"]["details"]
    assert (problem["index"], problem["field"]) == (0, "stage")
    assert "'bogus' is not one of leadgate's stages" in problem["problem"]
    assert "--value" not in problem["problem"]
    assert read.status_code == 200 and read.json()["stage"] == "lead"  # nothing half-written
    assert upper.status_code == 200 and after.json()["stage"] == "mql"
