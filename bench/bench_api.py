"""HTTP ingest against a real ``leadgate serve``, beside DuckDB appending the same events.

    .venv/bin/python bench/bench_api.py            # 1M leads, 50M events (bench/.data)
    .venv/bin/python bench/bench_api.py --small    # 10,000 leads, 500,000 events

A loopback load generator (asyncio + httpx, several connections) posts to a ``leadgate
serve`` subprocess holding a copy of the store:

1. events in batches of 1,000, then of 100 (``--connections`` requests in flight);
2. single events at ``--rate`` requests/s for ``--seconds`` (open loop: a request leaves
   on schedule whether or not the earlier ones were answered), with the latency from
   sending the request to its answer, which comes after the transaction holding the event,
   the lead's new score and any stage change committed.

Every event names a stored lead, picked at random among all of them (a cold start: most
leads' scoring state is read back from the store on first touch). Then, in the same run,
the same events are appended to the same store by DuckDB alone (``INSERT ... SELECT
unnest(...)``, one transaction per batch of the same size; single events one transaction
each): the baseline. It does none of the checks, the lead resolution, the duplicate check,
the scoring, the stage changes or the HTTP. The server's peak RSS is read from /proc.

The store is copied from ``bench/.data/api_store_big`` (a copy of ``bench_score.py``'s
``score_store_1000000_50000000``), or built by ``bench_score.py``'s ``ensure_store`` for
``--small``; the events indexes the server builds at start are built once in that copy.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
TYPES = ["page_view", "pricing_page", "blog_view", "email_click", "webinar_attended",
         "content_download", "demo_request"]  # fmt: skip


def base_store(small: bool) -> Path:
    """The project to copy for a run, with the events indexes built once."""
    if small:
        sys.path.insert(0, str(HERE))
        from bench_score import ensure_store  # type: ignore[import-not-found]

        base = Path(ensure_store(10_000, 500_000))
    else:
        base = DATA / "api_store_big"
        if not (base / "leadgate.duckdb").exists():
            source = DATA / "score_store_1000000_50000000"
            if not (source / "leadgate.duckdb").exists():
                sys.path.insert(0, str(HERE))
                from bench_score import ensure_store

                source = Path(ensure_store(1_000_000, 50_000_000))
            shutil.copytree(source, base)
    from leadgate.api.service import ensure_indexes
    from leadgate.store import Store

    with Store(base / "leadgate.duckdb") as store:
        started = time.perf_counter()
        ensure_indexes(store)
        print(f"events indexes ready in {time.perf_counter() - started:.1f}s", flush=True)
    return base


# The store's definition reads each lead's account (engaged contacts, the account's
# engagement): every touched account is then read back whole (leadgate.api.live_exact).
# --no-rollups drops those two clauses, so each lead is rescored from its held state alone.
ROLLUP_CLAUSES = ("\n      or (grade = 'A' and engaged_contacts(30d) >= 3)",
                  " or account.engagement >= 60")  # fmt: skip


def prepare_run(base: Path, rollups: bool = True) -> tuple[Path, str, list[str]]:
    """A fresh copy of ``base``, an ingest key, and the stored lead ids."""
    from leadgate.project import Project

    run = DATA / "api_run"
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(base, run)
    if not rollups:
        definition = run / "definition.yaml"
        text = definition.read_text(encoding="utf-8")
        for clause in ROLLUP_CLAUSES:
            assert clause in text, clause
            text = text.replace(clause, "")
        definition.write_text(text, encoding="utf-8")
    with (run / "leadgate.toml").open("a", encoding="utf-8") as out:
        out.write("\n[api]\ndeliver = false\n")
    project = Project.open(run)
    key = project.create_key("bench", "ingest").key
    with project.store() as store:
        leads = [r[0] for r in store.execute("SELECT lead_id FROM leads").fetchall()]
    return run, key, leads


def start_server(run: Path) -> tuple[subprocess.Popen[str], str]:
    from leadgate.api.local import running_server

    server = subprocess.Popen(
        [sys.executable, "-m", "leadgate", "-C", str(run), "serve", "--port", "0",
         "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    for _ in range(6000):
        note = running_server(run)
        if note is not None:
            return server, note.url
        if server.poll() is not None:
            raise SystemExit("leadgate serve exited")
        time.sleep(0.05)
    server.kill()
    raise SystemExit("leadgate serve did not start")


def make_events(leads: list[str], n: int, tag: str, rng: random.Random) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.timezone.utc)
    return [
        {
            "event_id": f"bench-{tag}-{i}",
            "lead_id": rng.choice(leads),
            "type": rng.choice(TYPES),
            "ts": (now - dt.timedelta(seconds=rng.randint(60, 30 * 86400))).isoformat(),
        }
        for i in range(n)
    ]


async def batches(
    url: str, key: str, events: list[dict[str, Any]], size: int, connections: int
) -> dict[str, Any]:
    """Post ``events`` in batches of ``size``, ``connections`` requests in flight."""
    chunks = [events[i : i + size] for i in range(0, len(events), size)]
    errors = 0
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=300
    ) as client:

        async def worker() -> None:
            nonlocal errors
            while chunks:
                chunk = chunks.pop()
                answer = await client.post("/v1/events", json={"events": chunk})
                if answer.status_code != 200 or answer.json()["stored"] != len(chunk):
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - started
    return {
        "events": len(events),
        "seconds": seconds,
        "rate": len(events) / seconds,
        "errors": errors,
    }


async def singles(url: str, key: str, events: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """One event per request, sent on a fixed schedule of ``rate`` a second."""
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=60
    ) as client:

        async def one(event: dict[str, Any], at: float) -> None:
            nonlocal errors
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            sent = time.perf_counter()
            try:
                answer = await client.post("/v1/events", json=event)
                ok = answer.status_code == 200 and answer.json()["leads_scored"] == 1
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - sent)
            errors += 0 if ok else 1

        start = time.perf_counter() + 0.5
        await asyncio.gather(*(one(e, start + i / rate) for i, e in enumerate(events)))
        seconds = time.perf_counter() - start
    return {"events": len(events), "seconds": seconds, "rate": len(events) / seconds,
            "errors": errors, **percentiles(latencies)}  # fmt: skip


def percentiles(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000}


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def duckdb_alone(store: Path, events: list[dict[str, Any]], size: int) -> dict[str, Any]:
    """The baseline: the same rows appended by DuckDB, one transaction per ``size``."""
    con = duckdb.connect(str(store))
    con.execute("SET TimeZone = 'UTC'")
    latencies = []
    started = time.perf_counter()
    for i in range(0, len(events), size):
        chunk = events[i : i + size]
        sent = time.perf_counter()
        con.execute("BEGIN")
        con.execute(
            "INSERT INTO events (event_id, lead_id, type, ts) SELECT unnest(?), unnest(?), "
            "unnest(?), unnest(?::TIMESTAMPTZ[])",
            [[e["event_id"] + "-db" for e in chunk], [e["lead_id"] for e in chunk],
             [e["type"] for e in chunk], [e["ts"] for e in chunk]],
        )  # fmt: skip
        con.execute("COMMIT")
        latencies.append(time.perf_counter() - sent)
    seconds = time.perf_counter() - started
    con.close()
    out = {"events": len(events), "seconds": seconds, "rate": len(events) / seconds}
    return out | (percentiles(latencies) if size == 1 else {})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="10,000 leads, 500,000 events")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--events-1000", type=int, default=200_000, help="events sent in 1,000s")
    ap.add_argument("--events-100", type=int, default=50_000, help="events sent in 100s")
    ap.add_argument("--rate", type=float, default=500.0, help="single events a second")
    ap.add_argument("--seconds", type=float, default=20.0, help="of single events")
    ap.add_argument("--no-rollups", action="store_true", help="a definition without account reads")
    args = ap.parse_args()
    if args.small:
        args.events_1000, args.events_100 = (
            min(args.events_1000, 50_000),
            min(args.events_100, 20_000),
        )
    rng = random.Random(7)
    base = base_store(args.small)
    run, key, leads = prepare_run(base, rollups=not args.no_rollups)
    print(f"store: {len(leads):,} leads; server starting ...", flush=True)
    workloads = {
        "batches of 1,000": (make_events(leads, args.events_1000, "k", rng), 1000),
        "batches of 100": (make_events(leads, args.events_100, "h", rng), 100),
        "single events": (make_events(leads, int(args.rate * args.seconds), "s", rng), 1),
    }
    server, url = start_server(run)
    results: dict[str, dict[str, Any]] = {}
    try:
        for name, (events, size) in workloads.items():
            if size > 1:
                results[name] = asyncio.run(batches(url, key, events, size, args.connections))
            else:
                results[name] = asyncio.run(singles(url, key, events, args.rate))
            print(f"  {name}: {json.dumps(rounded(results[name]))}", flush=True)
        metrics = httpx.get(url + "/health", timeout=30).json()
        rss = peak_rss_mib(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=600)
        except subprocess.TimeoutExpired:
            server.kill()  # never leave a server holding the store behind
            raise
    print(f"server up: {metrics['status']}; peak RSS {rss:,.0f} MiB", flush=True)
    baseline = {name: duckdb_alone(run / "leadgate.duckdb", events, size)
                for name, (events, size) in workloads.items()}  # fmt: skip
    report(results, baseline, rss)


def rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in d.items()}


def report(
    results: dict[str, dict[str, Any]], baseline: dict[str, dict[str, Any]], rss: float
) -> None:
    targets = {"batches of 1,000": 20_000, "batches of 100": 5_000, "single events": 500}
    print("\n| workload | leadgate over HTTP | DuckDB alone, same run | ratio | target |")
    print("|---|---|---|---|---|")
    for name, got in results.items():
        base = baseline[name]
        ok = got["rate"] >= targets[name] * 0.98 and got["errors"] == 0
        extra = ""
        if "p99" in got:
            ok = ok and got["p99"] < 50
            extra = (f"; p50 {got['p50']:.1f} / p95 {got['p95']:.1f} / p99 {got['p99']:.1f} ms, "
                     f"{got['errors']} errors")  # fmt: skip
        base_extra = f"; p50 {base['p50']:.2f} / p99 {base['p99']:.2f} ms" if "p99" in base else ""
        print(f"| {name} | {got['rate']:,.0f} events/s{extra} | {base['rate']:,.0f} events/s"
              f"{base_extra} | {got['rate'] / base['rate']:.2f}× | ≥ {targets[name]:,}/s"
              f"{', p99 < 50 ms' if 'p99' in got else ''} {'✔' if ok else '✘'} |")  # fmt: skip
    print(f"\nserver peak RSS: {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
