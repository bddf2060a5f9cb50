"""``leadgate report``: one file that parses, reaches for nothing on the network, has every
section, and escapes what the data says."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from leadgate.clock import FixedClock
from leadgate.project import Project
from leadgate.report import render
from leadgate.report.tables import Chart, ReportData, Table

from ..analytics.builders import DAY, DEFINITION, NOW, Writer, make_project
from ..cli import leadgate

PLANTED = "<script>alert('x')</script>"
#: The builders' definition with a rule whose name is a script tag.
HOSTILE = DEFINITION.replace("name: finance,", f'name: "finance {PLANTED}",')
STRICTER = DEFINITION.replace("score >= 20", "score >= 40").replace("version: '2'", "version: '3'")
SECTIONS = ["funnel", "sources", "cohorts", "lift", "deciles", "reliability", "comparison"]


class Links(HTMLParser):
    """Every src and href, and every tag, of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]


def history(root: Path) -> Project:
    """60 leads over 200 days: big finance companies that look at pricing convert."""
    project = make_project(root, HOSTILE)
    t0 = NOW - 200 * DAY
    with project.store() as store:
        w = Writer(store)
        for i in range(60):
            created = t0 + (i * 2) * DAY
            big, finance = i % 2 == 0, i % 3 == 0
            source = PLANTED if i % 4 == 0 else "web"
            w.lead(f"l{i}", created, source=source, company_size=500 if big else 10,
                   industry="finance" if finance else "retail")  # fmt: skip
            w.event(f"l{i}", "pricing_page", created + DAY)
            if big:
                w.moves(f"l{i}", [created + DAY], tier="mql")
                if finance or i % 5 == 0:
                    w.outcome(f"l{i}", "won", created + 20 * DAY)
    (root / "stricter.yaml").write_text(STRICTER)
    project.score(NOW)
    return Project.open(root, clock=FixedClock(NOW))


def test_the_report_is_one_offline_file_with_every_section(tmp_path: Path) -> None:
    project = history(tmp_path / "p")
    out = tmp_path / "report.html"
    found = project.report(
        out, calibrate="won", compare=(project.definition_path, tmp_path / "p" / "stricter.yaml")
    )
    text = out.read_text(encoding="utf-8")
    assert found.bytes == len(text.encode()) and [t.key for t in found.data.tables] == SECTIONS
    root = ET.fromstring(text.split("\n", 1)[1])  # well-formed: parses strictly as XML
    ns = {"h": "http://www.w3.org/1999/xhtml", "s": "http://www.w3.org/2000/svg"}
    ids = [s.get("id") for s in root.iter("{http://www.w3.org/1999/xhtml}section")]
    assert ids == SECTIONS
    links = Links()
    links.feed(text)
    assert "script" not in links.tags and "link" not in links.tags and "img" not in links.tags
    assert links.urls and all(u.startswith("#") for u in links.urls)  # the contents only
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/(?!2000/svg|1999/xhtml)", text)
    assert "@import" not in text and "url(" not in text
    # The planted rule name and source arrive escaped, as text, in the lift and sources.
    assert PLANTED not in text and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    lift = next(s for s in root.iter() if s.get("id") == "lift")
    assert any(PLANTED in (td.text or "") for td in lift.iter("{http://www.w3.org/1999/xhtml}td"))
    # A chart per section that has rows: bars for the funnel, whiskers for the lift.
    funnel = next(s for s in root.iter() if s.get("id") == "funnel")
    assert len(funnel.findall(".//s:rect", ns)) == 7  # leads .. won
    assert len(lift.findall(".//s:circle", ns)) >= 3
    deciles = found.data.tables[SECTIONS.index("deciles")]
    assert sum(r["leads"] for r in deciles.rows) == 60
    comparison = found.data.tables[SECTIONS.index("comparison")]
    assert [r["definition"] for r in comparison.rows] == ["t v2", "t v3"]


def test_the_tables_are_computed_apart_from_the_drawing() -> None:
    """A curve table drawn: one point per row; a missing bar says so rather than drawing 0."""
    rows = [{"predicted": 0.1, "observed": 0.12, "leads": 50, "bin": "0.0–0.2"},
            {"predicted": 0.5, "observed": 0.4, "leads": 20, "bin": "0.4–0.6"}]  # fmt: skip
    curve = Table("reliability", "Reliability", ["bin", "leads", "predicted", "observed"], rows,
                  chart=Chart("curve", "predicted", ("observed",)))  # fmt: skip
    bars = Table("cohorts", "Cohorts <b>", ["cohort", "MQL→won"],
                 [{"cohort": "2026-01", "MQL→won": 0.25}, {"cohort": "2026-02", "MQL→won": None}],
                 chart=Chart("bars", "cohort", ("MQL→won",)))  # fmt: skip
    text = render(ReportData("r", dt.datetime(2026, 1, 1), [curve, bars]))
    root = ET.fromstring(text.split("\n", 1)[1])
    svg = "{http://www.w3.org/2000/svg}"
    charts = list(root.iter(f"{svg}svg"))
    assert len(charts) == 2
    assert len(list(charts[0].iter(f"{svg}circle"))) == 2
    assert len(list(charts[1].iter(f"{svg}rect"))) == 1 and "no value" in text
    assert "25.0 %" in text and "Cohorts &lt;b&gt;" in text and "<b>" not in text


def test_the_cli_writes_the_report(tmp_path: Path) -> None:
    history(tmp_path / "p")
    out = tmp_path / "r.html"
    done = leadgate("-C", str(tmp_path / "p"), "report", "--out", str(out), "--json",
                    "--as-of", "2026-06-01T12:00")  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["sections"] == SECTIONS[:5] and out.is_file()
    assert document["bytes"] == out.stat().st_size
