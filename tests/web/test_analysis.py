"""The analysis pages over a real demo store: the overview's figures are the library's,
definition versions diff and activate only after a comparison, roles decide who runs and
activates, and the kept results behave (:mod:`leadgate.web.kept`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from leadgate.analytics.journeys import build_journeys
from leadgate.project import Project
from leadgate.results import plain
from leadgate.web.kept import Kept
from leadgate.web.overview import VOLUME_MONTHS, period_spans

from .conftest import sign_in


def second_version(project: Project) -> str:
    """A new version of the project's definition, 5 more points on its first rule; its
    hash."""
    text = project.definition_path.read_text(encoding="utf-8")
    points = re.search(r"points: (\d+)", text)
    assert points is not None
    changed = text.replace(points.group(0), f"points: {int(points.group(1)) + 5}", 1)
    return project.add_definition(changed).version.hash


def test_the_overview_shows_the_librarys_funnel_and_sla(
    client: TestClient, project: Project
) -> None:
    sign_in(client, "rex")
    shown = client.get("/v1/dashboard/overview").json()
    assert shown["funnel"] == plain(project.diagnose().funnel.as_dict())
    assert shown["diagnostics"] == [d.as_dict() for d in project.diagnose().diagnostics]
    sla = project.sla()
    assert shown["sla"]["counts"] == sla.counts
    decided = sla.counts["met"] + sla.counts["missed"] + sla.counts["breached"]
    assert decided and shown["sla"]["compliance"] == round(sla.counts["met"] / decided, 6)
    page = client.get("/").text
    assert f"{100 * sla.counts['met'] / decided:.1f} %" in page
    assert "What the numbers say" in page


def test_mql_volume_adds_up_by_tier_and_by_source(client: TestClient, project: Project) -> None:
    sign_in(client, "rex")
    shown = client.get("/v1/dashboard/overview").json()
    volume = shown["volume"]
    months = sorted({r["month"] for r in volume["tier"]})
    assert 1 < len(months) <= VOLUME_MONTHS
    # Every MQL of the funnel that entered in those months, counted once by tier and
    # once by source.
    since = dt.datetime.fromisoformat(months[0] + "-01")
    with project.store() as store:
        build_journeys(store, project.clock.now().replace(tzinfo=None), None)
        entries = store.scalar(
            "SELECT count(*) FROM journeys WHERE mql AND coalesce(mql_at, created_at) >= ?",
            [since],
        )
    assert entries > 0
    assert sum(r["mqls"] for r in volume["tier"]) == entries
    assert sum(r["mqls"] for r in volume["source"]) == entries
    tiers = {r["tier"] for r in shown["mqls_by_period"]}
    assert tiers <= {r["key"] for r in volume["tier"]} | {"(none)"}


def test_a_definition_past_its_review_date_shows_a_banner(
    client: TestClient, project: Project
) -> None:
    path = project.definition_path
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"review_by: .*", "review_by: 2026-01-31", text), encoding="utf-8")
    sign_in(client, "rex")
    assert client.get("/v1/dashboard/overview").json()["review"]["past"] is True
    assert "past its review date" in client.get("/").text


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_each_period_follows_the_one_before_and_holds_now(now: dt.datetime) -> None:
    spans = period_spans(now)
    assert spans["last_week"][1] == spans["this_week"][0] <= now < spans["this_week"][1]
    assert spans["last_month"][1] == spans["this_month"][0] <= now < spans["this_month"][1]
    assert spans["this_week"][0].weekday() == 0 and spans["this_month"][0].day == 1
    assert spans["last_month"][0].day == 1


def test_the_diff_shows_the_changed_line(client: TestClient, project: Project) -> None:
    new = second_version(project)
    sign_in(client, "rex")
    active = project.definitions().active_hash
    diff = client.get(f"/v1/dashboard/definition/diff?a={active}&b={new[:8]}").json()
    changed = [(x["kind"], x["text"].strip()) for x in diff["lines"] if x["kind"] != "same"]
    assert [kind for kind, _ in changed] == ["hunk", "del", "add"]
    before, after = (int(t.split(": ")[1]) for _, t in changed[1:])
    assert after == before + 5
    assert diff["b"]["hash"] == new and diff["a"]["active"] is True
    assert client.get("/definition/diff").status_code == 200  # the active one and the newest


def test_marketing_activates_only_after_comparing(client: TestClient, project: Project) -> None:
    new = second_version(project)
    before = project.definitions().active_hash
    token = sign_in(client, "mia")
    refused = client.post(f"/definition/{new}/activate", data={"csrf_token": token})
    assert refused.status_code == 400 and "Compare version" in refused.text
    assert project.definitions().active_hash == before
    ran = client.post(
        "/compare/run",
        data={"csrf_token": token, "a": before, "b": new, "step": "week"},
        follow_redirects=False,
    )
    assert ran.status_code == 303
    last = client.get("/v1/dashboard/compare").json()["last"]
    assert (last["a"]["hash"], last["b"]["hash"]) == (before, new)
    page = client.get("/compare").text
    assert f'action="/definition/{new}/activate"' in page
    assert f'<td class="num">{last["result"]["a"]["mqls"]}</td>' in page
    done = client.post(
        f"/definition/{new}/activate", data={"csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    listing = project.definitions()
    assert listing.active_hash == new
    assert (listing.activations[0].actor, listing.activations[0].previous_hash) == (
        "user:mia",
        before,
    )
    assert client.get("/v1/dashboard/definition").json()["definition_hash"] == new


def test_sales_may_read_but_not_run_or_activate(client: TestClient, project: Project) -> None:
    new = second_version(project)
    before = project.definitions().active_hash
    token = sign_in(client, "ana")
    assert client.get("/compare").status_code == 200
    assert "Run the comparison" not in client.get("/compare").text
    form = {"csrf_token": token, "a": str(before), "b": new}
    assert client.post("/compare/run", data=form).status_code == 403
    assert client.post("/calibration/run", data={"csrf_token": token}).status_code == 403
    answer = client.post(f"/definition/{new}/activate", data={"csrf_token": token})
    assert answer.status_code == 403 and "may not define" in answer.text
    assert project.definitions().active_hash == before


def test_a_calibration_run_is_kept_and_twinned(client: TestClient, project: Project) -> None:
    token = sign_in(client, "mia")
    assert client.get("/v1/dashboard/calibration").json() == {"last": None}
    ran = client.post(
        "/calibration/run",
        data={"csrf_token": token, "outcome": "won"},
        follow_redirects=False,
    )
    assert ran.status_code == 303
    last = client.get("/v1/dashboard/calibration").json()["last"]
    deciles = last["conversion_by_decile"]
    with project.store() as store:
        scored = store.scalar("SELECT count(*) FROM current_scores")
    assert [d["decile"] for d in deciles] == list(range(1, 11))
    assert sum(d["leads"] for d in deciles) == scored
    assert all(a["high"] <= b["low"] for a, b in zip(deciles, deciles[1:], strict=False))
    assert last["lift"]["outcome"] == "won"
    # Two conversions are too few to learn from: said, not hidden; the rest still shows.
    assert last["calibration"] is None and "conversions" in last["problems"][0]
    page = client.get("/calibration").text
    assert "Conversion by score decile" in page and "too few" not in page
    bad = client.post("/calibration/run", data={"csrf_token": token, "outcome": "bought"})
    assert bad.status_code == 400 and "Converted must mean" in bad.text


def test_kept_values_expire_and_concurrent_callers_share_one_computation() -> None:
    kept = Kept()
    calls = []

    async def compute() -> int:
        calls.append(1)
        await asyncio.sleep(0.01)
        return len(calls)

    async def main() -> list[int]:
        return list(await asyncio.gather(*(kept.fresh("k", 60, compute) for _ in range(20))))

    assert asyncio.run(main()) == [1] * 20
    assert kept.get("k", max_age=-1) is None  # older than any negative age
    kept.drop("k")
    assert kept.get("k") is None
