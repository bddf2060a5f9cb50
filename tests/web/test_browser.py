"""The dashboard in a real browser: Debian's chromium, driven by Playwright, against a real
``leadgate serve`` on loopback with a demo store.

Hostile text is planted first, in a company name, a title, a rejection reason, a rule name
and the definition's description; every page must show it as text and run none of it.
Screenshots of each page at desktop and phone widths go to ``docs/screenshots/``.

A missing browser FAILS these tests (``scripts/test`` installs it): never skipped.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from leadgate.api.local import running_server
from leadgate.clock import FixedClock
from leadgate.project import Project

from .conftest import HOSTILE, PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
PAGES = {"overview": "/", "queue": "/queue", "definition": "/definition", "reps": "/reps"}
#: The analysis pages (screenshotted whole: their results run below the fold).
ANALYSIS = {"diff": "/definition/diff", "compare": "/compare", "calibration": "/calibration"}


@dataclass
class Served:
    url: str
    root: Path
    hostile_lead: str


def plant_hostile_text(root: Path) -> str:
    """Put :data:`HOSTILE` in a rule name, the definition's description, a reject reason and
    a queue lead's company and title; rescore; return that lead's id."""
    as_of = Project.open(root).leads(limit=1).as_of  # the demo's day, scored again below
    assert as_of is not None
    definition = root / "definition.yaml"
    text = definition.read_text(encoding="utf-8")
    quoted = HOSTILE.replace("'", "''")
    text = text.replace("- name: manager or above", f"- name: '{quoted}'", 1)
    text = re.sub(r"description: >\n(  .*\n)+", f"description: '{quoted}'\n", text, count=1)
    definition.write_text(text, encoding="utf-8")
    config = root / "leadgate.toml"
    reasons = f'reject_reasons = ["not ICP", "no budget", \'{HOSTILE}\']'
    config.write_text(
        config.read_text(encoding="utf-8").replace("[handoff]", f"[handoff]\n{reasons}", 1),
        encoding="utf-8",
    )
    project = Project.open(root)
    Project.open(root, clock=FixedClock(as_of)).score(as_of)
    add_second_version(project)
    with project.store() as store:
        lead_id: str = store.scalar(
            "SELECT lead_id FROM leads WHERE stage = 'mql' ORDER BY lead_id DESC LIMIT 1"
        )
        store.execute(
            "UPDATE leads SET company = ?, title = ? WHERE lead_id = ?", [HOSTILE, HOSTILE, lead_id]
        )
    return lead_id


def add_second_version(project: Project) -> str:
    """Keep a second version of the project's definition (not active): 5 more points on
    its first rule, the next version number; its hash."""
    text = project.definition_path.read_text(encoding="utf-8")
    points = re.search(r"points: (\d+)", text)
    assert points is not None
    changed = text.replace(points.group(0), f"points: {int(points.group(1)) + 5}", 1)
    changed = re.sub(r'version: "?([^"\n]+)"?', r'version: "\1-next"', changed, count=1)
    return project.add_definition(changed).version.hash


@contextlib.contextmanager
def serving(root: Path) -> Iterator[str]:
    """A real ``leadgate serve`` of ``root`` on a free loopback port; its URL."""
    # One OpenMP thread: the calibration's models spin on a busy shared machine otherwise.
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    log = root.parent / "serve.log"  # a file, not a pipe: a full pipe would stall the server
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "leadgate", "-C", str(root), "serve", "--port", "0",
             "--log-level", "warning"],
            stdout=out, stderr=subprocess.STDOUT, text=True, env=env,
        )  # fmt: skip
    try:
        note = None
        for _ in range(2400):  # up to 2 minutes: a loaded machine starts Python slowly
            note = running_server(root)
            if note is not None or server.poll() is not None:
                break
            time.sleep(0.05)
        if note is None:
            server.kill()
        assert note is not None, f"serve did not start: {log.read_text()}"
        yield note.url
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def served(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo, with hostile text planted, served."""
    root = tmp_path_factory.mktemp("browser") / "p"
    shutil.copytree(demo_template, root)
    hostile = plant_hostile_text(root)
    with serving(root) as url:
        yield Served(url, root, hostile)


@pytest.fixture(scope="module")
def clean(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo as it comes, served (for the screenshots)."""
    root = tmp_path_factory.mktemp("clean") / "p"
    shutil.copytree(demo_template, root)
    add_second_version(Project.open(root))
    with serving(root) as url:
        yield Served(url, root, "")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: run scripts/test (it installs Debian's chromium), "
        "or `apt-get install -y chromium`."
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def signed_in(browser: Browser, served: Served, name: str, size: str = "desktop") -> Page:
    width, height = SIZES[size]
    context: BrowserContext = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.on("dialog", lambda d: pytest.fail(f"a dialog opened: {d.message}"))
    page.goto(served.url + "/queue")
    assert page.url.startswith(served.url + "/signin")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(served.url + "/queue")
    return page


def twin(page: Page, served: Served, path: str) -> Any:
    answer = page.request.get(served.url + "/v1/dashboard" + path)
    assert answer.ok, answer.text()
    return answer.json()


def assert_nothing_ran(page: Page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_sales_works_the_queue_without_a_reload(browser: Browser, served: Served) -> None:
    page = signed_in(browser, served, "ana")
    queue = twin(page, served, "/queue")["leads"]
    first, second, third = (row["lead_id"] for row in queue[:3])
    page.evaluate("window.__same_page = 1")
    page.click(f"#row-{first} button:has-text('Accept')")
    page.wait_for_selector(f"#row-{first}.stage-sal")
    # Accepting is the first sales touch: the SLA clock stops (met, or met late).
    assert page.locator(f"#row-{first} .sla-met, #row-{first} .sla-late").count() == 1
    page.select_option(f"#reason-{second}", label=HOSTILE)
    page.click(f"#row-{second} button:has-text('Reject')")
    page.wait_for_selector(f"#row-{second}.stage-recycled")
    assert HOSTILE in page.inner_text(f"#row-{second}")  # the reason, shown as text
    page.click(f"#row-{third} button:has-text('Mark contacted')")
    page.wait_for_selector(f"#row-{third} .sla-met, #row-{third} .sla-late")
    assert page.locator(f"#row-{third}.stage-mql").count() == 1  # a touch is not a move
    assert page.evaluate("window.__same_page") == 1  # no full reload happened
    assert_nothing_ran(page)
    moves = {
        lead: twin(page, served, f"/leads/{lead}")["history"]["transitions"][-1]
        for lead in (first, second)
    }
    assert (moves[first]["to_stage"], moves[first]["actor"]) == ("sal", "user:ana")
    assert (moves[second]["to_stage"], moves[second]["reason"]) == ("recycled", HOSTILE)
    page.context.close()


def test_the_explanation_adds_up_to_the_score_on_the_page(browser: Browser, served: Served) -> None:
    page = signed_in(browser, served, "ana")
    lead = twin(page, served, "/queue")["leads"][3]["lead_id"]
    page.goto(f"{served.url}/leads/{lead}")
    lines = page.eval_on_selector_all(
        ".explanation td.points", "cells => cells.map(c => c.dataset.points)"
    )
    total = Decimal(page.inner_text("#sum"))
    assert lines and sum(Decimal(x) for x in lines) == total
    assert total == Decimal(page.inner_text("#total"))
    assert float(total) == twin(page, served, f"/leads/{lead}")["score"]["total"]
    page.context.close()


def test_hostile_text_is_shown_as_text_on_every_page(browser: Browser, served: Served) -> None:
    page = signed_in(browser, served, "root")
    for path in [*PAGES.values(), *ANALYSIS.values(), "/people", f"/leads/{served.hostile_lead}"]:
        page.goto(served.url + path)
        assert_nothing_ran(page)
        assert page.locator("img[src=x]").count() == 0
    page.goto(f"{served.url}/definition/diff")
    assert HOSTILE in page.inner_text("#diff")  # the renamed rule, beside the changed points
    page.goto(f"{served.url}/leads/{served.hostile_lead}")
    assert page.inner_text("h1") == HOSTILE
    page.goto(f"{served.url}/definition")
    body = page.inner_text("main")
    assert body.count(HOSTILE) >= 2  # the rule's name and the description
    page.context.close()


def test_sales_is_refused_an_admin_only_action(browser: Browser, served: Served) -> None:
    page = signed_in(browser, served, "ana")
    assert page.locator("nav a:has-text('People')").count() == 0
    answer = page.goto(served.url + "/people")
    assert answer is not None and answer.status == 403
    assert "may not admin" in page.inner_text("main")
    refused = page.request.post(served.url + "/people/rex/disable")
    assert refused.status == 403
    page.context.close()


def test_a_forged_cross_site_post_is_refused(browser: Browser, served: Served) -> None:
    page = signed_in(browser, served, "ana")
    lead = twin(page, served, "/queue")["leads"][4]["lead_id"]
    evil = (
        f'<!doctype html><form id=f method=post action="{served.url}/queue/{lead}/accept">'
        "<input name=csrf_token value=guess></form>"
        "<script>document.getElementById('f').submit()</script>"
    )
    with evil_site(evil) as evil_url:
        page.goto(evil_url)
        page.wait_for_url(served.url + f"/queue/{lead}/accept")
        assert "Refused" in page.inner_text("main")
    assert twin(page, served, f"/leads/{lead}")["history"]["stage"] == "mql"
    page.context.close()


def run_comparison(page: Page, served: Served) -> dict[str, Any]:
    """Open the definition, its diff, then the comparison of the active version with the
    other, and run it; the comparison's twin."""
    page.goto(served.url + "/definition")
    page.click("text=What changed between versions")
    page.wait_for_selector("#diff li.add")
    page.click("text=Compare them on history")
    page.select_option("#step", "week")
    page.click("button:has-text('Run the comparison')")
    page.wait_for_selector("#summary", timeout=120_000)
    last: dict[str, Any] = twin(page, served, "/compare")["last"]
    return last


def run_calibration(page: Page, served: Served) -> dict[str, Any]:
    """Run the calibration for conversion to SAL (the demo has enough of those) with
    2-fold cross-validation (its history is short); its twin."""
    page.goto(served.url + "/calibration")
    page.select_option("#outcome", "sal")
    page.fill("#folds", "2")
    page.click("button:has-text('Run the calibration')")
    page.wait_for_selector("#decile-table", timeout=180_000)
    last: dict[str, Any] = twin(page, served, "/calibration")["last"]
    return last


def csrf_on(page: Page) -> str:
    return page.get_attribute("input[name=csrf_token]", "value") or ""


def test_sales_is_refused_activating_a_version(browser: Browser, served: Served) -> None:
    page = signed_in(browser, served, "ana")
    listing = twin(page, served, "/definition")
    other = next(v["hash"] for v in listing["versions"] if not v["active"])
    page.goto(served.url + "/compare")
    assert page.locator("button:has-text('Run the comparison')").count() == 0
    assert page.locator("#activate").count() == 0
    token = csrf_on(page)
    answer = page.request.post(
        f"{served.url}/definition/{other}/activate", form={"csrf_token": token}
    )
    assert answer.status == 403 and "may not define" in answer.text()
    refused = page.request.post(
        f"{served.url}/compare/run", form={"csrf_token": token, "a": other, "b": other}
    )
    assert refused.status == 403
    assert twin(page, served, "/definition")["definition_hash"] == listing["definition_hash"]
    page.context.close()


def test_marketing_reads_the_diff_compares_and_activates(browser: Browser, served: Served) -> None:
    page = signed_in(browser, served, "mia")
    before = twin(page, served, "/definition")["definition_hash"]
    last = run_comparison(page, served)
    assert last["a"]["hash"] == before and last["b"]["hash"] != before
    result = last["result"]
    shown = page.inner_text("#summary")
    assert f"{result['a']['mqls']}" in shown and f"{result['b']['mqls']}" in shown
    months = page.locator("#months tbody tr").count()
    assert months == len(result["a"]["months"])
    assert_nothing_ran(page)
    # With the keyboard: focus the activate button, press Enter.
    page.focus("#activate button")
    page.keyboard.press("Enter")
    page.wait_for_url(served.url + "/definition")
    after = twin(page, served, "/definition")
    assert after["definition_hash"] == last["b"]["hash"]
    assert after["activations"][0]["actor"] == "user:mia"
    assert after["activations"][0]["previous_hash"] == before
    assert "user:mia" in page.inner_text("main")  # the activation, on the definition page
    page.context.close()


def test_the_calibration_page_shows_lift_deciles_and_the_proposal(
    browser: Browser, served: Served
) -> None:
    page = signed_in(browser, served, "mia")
    last = run_calibration(page, served)
    deciles = last["conversion_by_decile"]
    rows = page.locator("#decile-table tbody tr")
    assert rows.count() == len(deciles) == 10
    assert page.locator("svg.chart").count() >= 2  # deciles and the reliability curve
    proposed = last["calibration"]["rules"]
    assert page.locator("#points-table tbody tr").count() == len(proposed) > 0
    assert page.locator("#proposal-diff li.add").count() > 0
    assert HOSTILE in page.inner_text("#lift-table")  # the rule's name, as text
    assert_nothing_ran(page)
    assert page.locator("img[src=x]").count() == 0
    page.context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_screenshots_of_every_page(browser: Browser, clean: Served, size: str) -> None:
    served = clean
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = signed_in(browser, served, "root", size)
    lead = twin(page, served, "/queue")["leads"][0]["lead_id"]
    if twin(page, served, "/compare")["last"] is None:  # the first size runs them
        run_comparison(page, served)
        run_calibration(page, served)
    shots = {**PAGES, "lead": f"/leads/{lead}", "people": "/people", **ANALYSIS}
    for name, path in shots.items():
        page.goto(served.url + path)
        # Tab to the first link: the screenshot shows the visible focus ring.
        page.keyboard.press("Tab")
        whole = name in ANALYSIS
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=whole)
    page.context.close()
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    signin = context.new_page()
    signin.goto(served.url + "/signin")
    signin.screenshot(path=str(SCREENSHOTS / f"signin-{size}.png"))
    context.close()
    assert all((SCREENSHOTS / f"{n}-{size}.png").stat().st_size > 5000 for n in shots)


def test_no_serious_accessibility_violation_on_any_page(browser: Browser, served: Served) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = signed_in(browser, served, "root")
    lead = twin(page, served, "/queue")["leads"][6]["lead_id"]
    found = {}
    for path in [*PAGES.values(), *ANALYSIS.values(), "/people", f"/leads/{lead}", "/signin"]:
        page.goto(served.url + path)
        violations = Axe().run(page).response["violations"]
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        found[path] = [(v["id"], v["help"], len(v["nodes"])) for v in serious]
    assert found == {path: [] for path in found}
    page.context.close()


class evil_site:  # noqa: N801 - a context manager read as a phrase
    """Another origin on loopback (another port) serving ``body`` at ``/``."""

    def __init__(self, body: str) -> None:
        page = body.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
