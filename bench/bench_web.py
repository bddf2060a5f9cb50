"""The dashboard under load: the queue, lead and overview pages and their JSON twins,
against a real ``leadgate serve``, beside the bare DuckDB queries those pages need.

    .venv/bin/python bench/bench_web.py            # 1,000,000 leads
    .venv/bin/python bench/bench_web.py --small    # 20,000 leads (a quick check)

The store is ``bench_queue.py``'s: synthetic leads scored with ``--details`` (about 10 %
MQLs in two sales tiers, entries over 90 days, 20 reps). A person signs in once; then
``--users`` concurrent clients on loopback (one thread each with one ``http.client``
keep-alive connection, closed loop: each sends its next request when the last is
answered, and a request is timed from its send to its whole answer read) request one
path for
``--seconds``: the queue's first page, a lead page (a queue lead picked at random per
request; again with a lead drawn from 5,000 spread over the whole queue, which the
server's kept reads rarely hold), the overview, and each one's twin under
``/v1/dashboard``. Printed: requests,
p50 and p95 latency (ms) per path, and the first overview's time (the server computes the
overview when it starts and again in the background; the first request waits for the
first computation, later ones read the last figures). ``--think S`` adds a second load
model, printed apart: the same users, each pausing a random time (mean S seconds) before
each request. ``--cache DIR`` keeps the built store in ``DIR/<leads>`` and copies it from
there on later runs.

Baseline, in the same run and on the same store, before the server opens it (DuckDB allows
one writer process): DuckDB alone running the queries the pages need, one at a time — the
queue's sort with ``LIMIT 25``, one lead's row and stored score, and the funnel's journeys
table with its counts (the overview's heaviest part).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_queue import ORDER, T0, build  # type: ignore[import-not-found]  # noqa: E402

from leadgate.analytics.funnel import compute_funnel  # noqa: E402
from leadgate.api.local import running_server  # noqa: E402
from leadgate.clock import FixedClock  # noqa: E402
from leadgate.project import Project  # noqa: E402

PASSWORD = "bench password 11"
#: A request unanswered this long counts as this long (seconds).
TIMEOUT = 120.0


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(q * len(ordered) + 0.5) - 1)]


def timed_ms(fn: Callable[[], Any], repeat: int = 7) -> tuple[float, float]:
    """Median and worst of ``repeat`` calls after one warm call, in milliseconds."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def baseline(project: Project, lead_ids: list[str]) -> list[tuple[str, float, float]]:
    """The bare DuckDB queries the pages need, each alone (no HTTP, no rendering)."""
    out = []
    with project.store() as store:
        queue = f"{ORDER} LIMIT 25"
        lead = (
            "SELECT l.*, s.total, s.tier, s.contributions FROM leads l JOIN current_scores s "
            "USING (lead_id) WHERE l.lead_id = ?"
        )
        now = project.clock.now().replace(tzinfo=None)
        out.append(("DuckDB: queue sort LIMIT 25", *timed_ms(lambda: store.query(queue))))
        out.append(
            (
                "DuckDB: one lead + its score",
                *timed_ms(lambda: store.query(lead, [random.choice(lead_ids)])),
            )
        )
        out.append(
            (
                "DuckDB: funnel (journeys + counts)",
                *timed_ms(lambda: compute_funnel(store, now, by="tier"), repeat=3),
            )
        )
    return out


#: The served copy's ``[api]`` table. The store's 100,000 MQL entries are months old with SLAs
#: of hours, so the server's first sweep would record 100,000 breaches (one pair of INSERTs
#: each: many minutes of the writer's time and a core of CPU) while the pages are measured.
#: That backlog is an artefact of the synthetic store, not the dashboard's load: off here.
API_SETTINGS = "\n[api]\nsweep = false\n"


def serve(root: Path) -> tuple[subprocess.Popen[str], str]:
    with (root / "leadgate.toml").open("a", encoding="utf-8") as out:
        out.write(API_SETTINGS)
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "leadgate", "-C", str(root), "serve", "--port", "0",
         "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    for _ in range(6000):
        note = running_server(root)
        if note is not None:
            return server, note.url
        if server.poll() is not None:
            raise SystemExit("leadgate serve exited before it answered")
        time.sleep(0.05)
    raise SystemExit("leadgate serve did not start in 300 s")


def sign_in(url: str) -> str:
    """The ``Cookie`` header of a new session of the bench's person."""
    with httpx.Client(base_url=url) as client:
        answer = client.post(
            "/signin", data={"name": "bench", "password": PASSWORD}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        return "; ".join(f"{k}={v}" for k, v in answer.cookies.items())


def load(
    url: str,
    cookie: str,
    path: Callable[[], str],
    users: int,
    seconds: float,
    think: float = 0.0,
) -> list[float]:
    """``users`` closed-loop clients requesting ``path()`` for ``seconds``; latencies (ms).
    With ``think``, each client pauses a random time (exponential, that mean, seconds)
    before each request, as a person reading the page would.

    Each client is a thread with one keep-alive ``http.client`` connection (about 0.3 ms
    of CPU a request, against 2 ms for asyncio + httpx: the load generator shares the
    server's two cores, so what it spends the server does not get)."""
    latencies: list[float] = []
    failures: list[str] = []
    stop = time.perf_counter() + seconds
    where = urllib.parse.urlsplit(url)

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection(where.hostname or "", where.port, timeout=TIMEOUT)

    def user() -> None:
        conn = connect()
        headers = {"Cookie": cookie}
        while time.perf_counter() < stop and not failures:
            if think:
                time.sleep(random.expovariate(1 / think))
            wanted = path()
            started = time.perf_counter()
            try:
                conn.request("GET", wanted, headers=headers)
                answer = conn.getresponse()
                body = answer.read()
            except TimeoutError:  # counted as the timeout, not dropped
                latencies.append(TIMEOUT * 1000)
                conn.close()
                conn = connect()
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.status != 200:
                failures.append(f"{wanted}: {answer.status} {body[:300]!r}")
        conn.close()

    threads = [threading.Thread(target=user) for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[0]
    return latencies


def measure(
    url: str, users: int, seconds: float, think: float, spread: list[str]
) -> list[tuple[str, int, float, float]]:
    cookie = sign_in(url)
    with httpx.Client(base_url=url, headers={"Cookie": cookie}, timeout=600) as client:
        started = time.perf_counter()
        first = client.get("/")
        cold = (time.perf_counter() - started) * 1000
        assert first.status_code == 200
        queue = client.get("/v1/dashboard/queue").json()["leads"]
    ids = [r["lead_id"] for r in queue]
    paths: list[tuple[str, Callable[[], str]]] = [
        ("/queue", lambda: "/queue"),
        ("/v1/dashboard/queue", lambda: "/v1/dashboard/queue"),
        ("/leads/{id}", lambda: f"/leads/{random.choice(ids)}"),
        ("/v1/dashboard/leads/{id}", lambda: f"/v1/dashboard/leads/{random.choice(ids)}"),
        # leads across the whole queue: a kept read of an earlier request rarely helps
        ("/leads/{id} (any queue lead)", lambda: f"/leads/{random.choice(spread)}"),
        ("/v1/dashboard/leads/{id} (any)", lambda: f"/v1/dashboard/leads/{random.choice(spread)}"),
        ("/ (overview)", lambda: "/"),
        ("/v1/dashboard/overview", lambda: "/v1/dashboard/overview"),
    ]
    out = [("first overview (computed, then kept)", 1, cold, cold)]
    print(f"{'':42}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}")
    print(f"{out[0][0]:42}{1:>9}{cold:>9.1f}{cold:>9.1f}", flush=True)
    models = [("closed loop, no think time", 0.0)]
    if think:
        models.append((f"with think time (mean {think:g} s)", think))
    for model, pause in models:
        print(f"-- {users} users, {model}", flush=True)
        for name, path in paths:
            found = load(url, cookie, path, users, seconds, pause)
            out.append((name, len(found), quantile(found, 0.5), quantile(found, 0.95)))
            print(f"{name:42}{len(found):>9}{out[-1][2]:>9.1f}{out[-1][3]:>9.1f}", flush=True)
    return out


def cached(root: Path, leads: int, cache: Path | None) -> Project:
    """The bench store at ``root``: built, or copied from ``cache`` (``cache/<leads>``,
    built there first when missing). The clock is the one ``build`` sets."""
    if cache is None:
        project = build(root, leads)
        project.add_user("bench", "read", PASSWORD)
        return project
    kept = cache / str(leads)
    if not (kept / "leadgate.toml").is_file():
        staging = cache / f".{leads}.building"
        shutil.rmtree(staging, ignore_errors=True)
        build(staging, leads).add_user("bench", "read", PASSWORD)
        staging.rename(kept)
    started = time.perf_counter()
    shutil.copytree(kept, root)
    print(f"store copied from {kept} in {time.perf_counter() - started:.1f} s")
    return Project.open(root, clock=FixedClock(T0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="20,000 leads")
    parser.add_argument("--leads", type=int, default=None)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="also measure users who pause this many seconds (mean) between requests",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="keep the built store here and reuse it (copied, never served in place)",
    )
    args = parser.parse_args()
    leads = args.leads or (20_000 if args.small else 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        project = cached(root, leads, args.cache)
        with project.store() as store:
            ids = [r["lead_id"] for r in store.query(f"{ORDER} LIMIT 1000")]
            spread = [r["lead_id"] for r in store.query(f"SELECT lead_id FROM ({ORDER}) "
                                                        "USING SAMPLE 5000 ROWS")]  # fmt: skip
        base = baseline(project, ids)
        print(f"\n{'baseline, one at a time':42}{'':>9}{'median':>9}{'worst':>9}")
        for name, median, worst in base:
            print(f"{name:42}{'':>9}{median:>9.1f}{worst:>9.1f}", flush=True)
        print(f"\n{leads:,} leads, {args.users} concurrent users, {args.seconds:.0f} s per path")
        print(re.sub(r"\s+", " ", os.popen("uptime").read()).strip(), flush=True)
        server, url = serve(root)
        try:
            # printed as measured
            rows = measure(url, args.users, args.seconds, args.think, spread)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    assert rows
    print(re.sub(r"\s+", " ", os.popen("uptime").read()).strip())


if __name__ == "__main__":
    main()
