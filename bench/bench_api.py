"""HTTP ingest against a real ``leadgate serve``, beside DuckDB appending the same events.

    .venv/bin/python bench/bench_api.py            # 1M leads, 50M events (bench/.data)
    .venv/bin/python bench/bench_api.py --small    # 10,000 leads, 500,000 events

A loopback load generator (one asyncio process, several connections) posts to a ``leadgate
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
import gc
import http.client
import json
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
TYPES = ["page_view", "pricing_page", "blog_view", "email_click", "webinar_attended",
         "content_download", "demo_request"]  # fmt: skip


def base_store(small: bool, bigdata: Path) -> Path:
    """The project to copy for a run, with the events indexes built once: at full size,
    ``bigdata/api-1m-50m``, built once from ``bigdata/gen-1m-50m`` (``gen_data.py``)."""
    sys.path.insert(0, str(HERE))
    import bench_score  # type: ignore[import-not-found]

    if small:
        base = Path(bench_score.ensure_store(10_000, 500_000))
    else:
        base = bigdata / "api-1m-50m"
        if not (base / "built.json").exists():
            files = bigdata / "gen-1m-50m"
            if not (files / "events.parquet").exists():
                subprocess.run([sys.executable, str(HERE / "gen_data.py"), "--out", str(files)],
                               check=True)  # fmt: skip
            started = time.perf_counter()
            bench_score.build_store(base, files)
            print(f"store built in {time.perf_counter() - started:.1f}s", flush=True)
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


#: The lock on the run's copy, held until this process exits (see :func:`_hold_run`).
_RUN_LOCKS: list[Any] = []


def _hold_run(run: Path) -> None:
    """Take the copy for this process, or stop: a second benchmark started before the first
    ended (its DuckDB-alone baseline still appending) would copy the store over the one
    the first is using, and both would measure errors of their own making."""
    import fcntl

    lock = run.with_name(run.name + ".lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"another benchmark is using {run}; run this one after it") from None
    _RUN_LOCKS.append(lock)


def prepare_run(
    base: Path, rollups: bool = True, api: list[str] | None = None
) -> tuple[Path, str, list[str]]:
    """A fresh copy of ``base`` (its ``[api]`` table with ``api``'s ``key = value`` lines),
    an ingest key, and the stored lead ids."""
    from leadgate.project import Project

    run = base.parent / f"{base.name}-run"  # a copy per run, beside the kept store
    _hold_run(run)
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
        out.write("\n[api]\ndeliver = false\n" + "".join(f"{line}\n" for line in api or []))
    project = Project.open(run)
    key = project.create_key("bench", "ingest").key
    with project.store() as store:
        leads = [r[0] for r in store.execute("SELECT lead_id FROM leads").fetchall()]
    return run, key, leads


def start_server(run: Path) -> tuple[subprocess.Popen[str], str]:
    """``leadgate serve`` on the run's copy; its log (warnings and errors) in
    ``server.log`` beside the copy, named in the results when a request failed."""
    from leadgate.api.local import running_server

    with (run / "server.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "leadgate", "-C", str(run), "serve", "--port", "0",
             "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT, text=True,
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


def post_all(
    url: str,
    key: str,
    bodies: list[bytes],
    rate: float | None,
    in_flight: int,
    seconds: float | None = None,
    timeline: Path | None = None,
) -> dict[str, Any]:
    """POST ``bodies`` to ``/v1/events`` over ``in_flight`` keep-alive connections, so at
    most that many requests are in flight, and each latency is the server's (from the
    request's first byte written to its answer read whole). With ``rate``, connection
    ``k`` of ``n`` sends its share on a fixed schedule of ``rate / n`` a second (open loop:
    one that falls behind sends at once and the achieved rate shows it); without, each
    connection sends its next request as soon as it has the answer (closed loop). With
    ``seconds``, no request leaves after that long (a slow server is measured for the time
    asked, and the requests not sent show in ``not_sent``). With ``timeline``, each request's
    send time and latency go to that CSV file (where in the run the slow ones were).

    One process, one event loop (uvloop), a minimal HTTP/1.1 client over asyncio streams:
    about 50 µs of CPU a request, so the generator takes little of the two cores it shares
    with the server it measures (64 threads of ``http.client`` in two processes, before,
    took a third of a core at 500 requests/s and added their scheduling to the tail)."""
    import uvloop

    parsed = urllib.parse.urlsplit(url)
    assert parsed.hostname is not None and parsed.port is not None
    # The generator's own full garbage collections (its bodies and latencies are many
    # objects) would pause it mid-run and show as the server's latency: none while it runs.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return uvloop.run(_post_all(parsed.hostname, parsed.port, key, bodies, rate, in_flight,
                                    seconds, timeline))  # fmt: skip
    finally:
        gc.enable()
        gc.unfreeze()


async def _post_all(
    host: str,
    port: int,
    key: str,
    bodies: list[bytes],
    rate: float | None,
    n: int,
    seconds: float | None,
    timeline: Path | None,
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start_at = loop.time() + 0.5
    stop_at = None if seconds is None else start_at + seconds
    head = (f"POST /v1/events HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer "
            f"{key}\r\nContent-Type: application/json\r\nContent-Length: ").encode()  # fmt: skip
    timed: list[tuple[float, float]] = []  # each request's send time (perf_counter), latency
    counts = {"errors": 0, "stored": 0}
    first_error: list[str] = []  # the first failed request's status and body, to say why
    ended = [start_at]

    async def connection(k: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        for i, body in enumerate(bodies[k::n]):
            due = start_at + (k + i * n) / rate if rate else start_at
            await asyncio.sleep(max(0.0, due - loop.time()))
            if stop_at is not None and loop.time() > stop_at:
                break
            sent = time.perf_counter()
            try:
                writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
                status, data = await _answer(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                timed.append((sent, time.perf_counter() - sent))
                counts["errors"] += 1
                if not first_error:
                    first_error.append(f"connection: {exc!r}")
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            timed.append((sent, time.perf_counter() - sent))
            if status == 200:
                counts["stored"] += json.loads(data)["stored"]
            else:
                counts["errors"] += 1
                if not first_error:
                    first_error.append(f"{status}: {data[:300]!r}")
        ended[0] = max(ended[0], loop.time())
        writer.close()

    await asyncio.gather(*(connection(k) for k in range(n)))
    sent = len(timed)
    took = ended[0] - start_at
    if timeline is not None:  # each request: seconds since the first was sent, ms
        first = min((t for t, _ in timed), default=0.0)
        timeline.write_text("".join(f"{t - first:.4f},{lat * 1000:.2f}\n"
                                    for t, lat in sorted(timed)))  # fmt: skip
        # when the first was sent (Unix time), to place a slow second in a server's log
        wall = time.time() - time.perf_counter() + first
        timeline.with_suffix(".start").write_text(f"{wall:.3f}\n")
    return {"requests": sent, "not_sent": len(bodies) - sent, "events": counts["stored"],
            "seconds": took, "rate": counts["stored"] / took, "requests_per_s": sent / took,
            "errors": counts["errors"], "first_error": first_error[0] if first_error else None,
            **percentiles([lat for _, lat in timed])}  # fmt: skip


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 answer: its status and body (the server sends a Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next(int(line.split(":", 1)[1]) for line in lines[1:]
                  if line.lower().startswith("content-length:"))  # fmt: skip
    return status, await reader.readexactly(length)


def bodies_of(events: list[dict[str, Any]], size: int) -> list[bytes]:
    """The request bodies, encoded before the clock starts (one event alone, or a batch)."""
    if size == 1:
        return [json.dumps(e).encode() for e in events]
    return [json.dumps({"events": events[i : i + size]}).encode()
            for i in range(0, len(events), size)]  # fmt: skip


def timeline(folder: Path | None, size: int) -> Path | None:
    """Where a workload's requests are written (``--timelines``), if asked: each one's send
    time (seconds since the first) and latency (ms), and beside it (``.start``) the first
    one's send time as Unix time."""
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"requests-of-{size}.csv"


def percentiles(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000}


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def duckdb_alone(store: Path, events: list[dict[str, Any]], size: int) -> dict[str, Any]:
    """The baseline: the same rows appended by DuckDB, one transaction per ``size``, each
    chunk an Arrow table inserted whole (the fastest append DuckDB's Python API offers)."""
    import pyarrow as pa

    chunks = []
    for i in range(0, len(events), size):  # built before the clock starts
        chunk = events[i : i + size]
        chunks.append(pa.table({
            "event_id": [e["event_id"] + "-db" for e in chunk],
            "lead_id": [e["lead_id"] for e in chunk],
            "type": [e["type"] for e in chunk],
            "ts": pa.array([dt.datetime.fromisoformat(e["ts"]) for e in chunk],
                           pa.timestamp("us", "UTC")),
        }))  # fmt: skip
    con = duckdb.connect(str(store))
    con.execute("SET TimeZone = 'UTC'")
    latencies = []
    started = time.perf_counter()
    for chunk in chunks:
        sent = time.perf_counter()
        con.execute("BEGIN")
        con.register("chunk", chunk)
        con.execute("INSERT INTO events (event_id, lead_id, type, ts) "
                    "SELECT event_id, lead_id, type, ts FROM chunk")  # fmt: skip
        con.unregister("chunk")
        con.execute("COMMIT")
        latencies.append(time.perf_counter() - sent)
    seconds = time.perf_counter() - started
    con.close()
    return {"events": len(events), "seconds": seconds, "rate": len(events) / seconds,
            **percentiles(latencies)}  # fmt: skip


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="10,000 leads, 500,000 events")
    ap.add_argument("--connections", type=int, default=4, help="batches in flight")
    ap.add_argument("--events-1000", type=int, default=200_000, help="events sent in 1,000s")
    ap.add_argument("--events-100", type=int, default=50_000, help="events sent in 100s")
    ap.add_argument("--rate", type=float, default=500.0, help="single events a second")
    ap.add_argument("--seconds", type=float, default=20.0, help="of single events")
    # at most this many single events in flight: 500/s answered in 50 ms needs about 25
    # (Little's law); with 16 (before session 11) the generator capped the rate at
    # 16 / latency, whatever the server could do
    ap.add_argument("--in-flight", type=int, default=64, help="single events in flight, at most")
    ap.add_argument("--only", choices=["1000", "100", "1"], action="append",
                    help="run only these workloads (by batch size); repeatable")  # fmt: skip
    ap.add_argument("--bigdata", type=Path, default=Path("/work/bigdata"),
                    help="where the full-size store is built once and kept")  # fmt: skip
    ap.add_argument("--no-rollups", action="store_true", help="a definition without account reads")
    ap.add_argument("--api", action="append", default=[], metavar="KEY=VALUE",
                    help="a line of the server's [api] table, e.g. write_behind=false")  # fmt: skip
    ap.add_argument("--timelines", type=Path, metavar="DIR",
                    help="write each workload's requests (send, latency) as CSV here")  # fmt: skip
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `timeout`: stop the server too
    if args.small:
        args.events_1000, args.events_100 = (
            min(args.events_1000, 50_000),
            min(args.events_100, 20_000),
        )
    rng = random.Random(7)
    base = base_store(args.small, args.bigdata)
    run, key, leads = prepare_run(base, rollups=not args.no_rollups, api=args.api)
    from leadgate.project import Project

    reader = Project.open(run).create_key("bench-metrics", "read").key
    print(f"store: {len(leads):,} leads; server starting ...", flush=True)
    workloads = {
        "batches of 1,000": (make_events(leads, args.events_1000, "k", rng), 1000),
        "batches of 100": (make_events(leads, args.events_100, "h", rng), 100),
        "single events": (make_events(leads, int(args.rate * args.seconds), "s", rng), 1),
    }
    workloads = {k: v for k, v in workloads.items() if not args.only or str(v[1]) in args.only}
    bodies = {name: bodies_of(events, size) for name, (events, size) in workloads.items()}
    print(f"load before: {uptime()}", flush=True)
    server, url = start_server(run)
    results: dict[str, dict[str, Any]] = {}
    try:
        for name, (_, size) in workloads.items():
            before = group_stats(url, reader)
            if size > 1:
                results[name] = post_all(url, key, bodies[name], None, args.connections,
                                         timeline=timeline(args.timelines, size))  # fmt: skip
            else:
                results[name] = post_all(url, key, bodies[name], args.rate, args.in_flight,
                                         args.seconds, timeline(args.timelines, size))  # fmt: skip
            results[name]["groups"] = groups_between(before, group_stats(url, reader),
                                                     results[name]["seconds"])  # fmt: skip
            print(f"  {name}: {json.dumps(rounded(results[name]))}", flush=True)
            if results[name]["errors"]:
                print(f"  the server's log: {run / 'server.log'}", flush=True)
        health = http.client.HTTPConnection(*urllib.parse.urlsplit(url).netloc.split(":"))
        health.request("GET", "/health")
        metrics = json.loads(health.getresponse().read())
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
    print(f"load after: {uptime()}", flush=True)
    report(results, baseline, rss)


def group_stats(url: str, key: str) -> dict[str, float]:
    """The server's group-commit counters (``GET /metrics``): commits, and the sums of
    their requests, events and seconds."""
    conn = http.client.HTTPConnection(*urllib.parse.urlsplit(url).netloc.split(":"))
    conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {key}"})
    text = conn.getresponse().read().decode()
    conn.close()
    wanted = {"leadgate_group_commits_total": "commits",
              "leadgate_group_commit_requests_sum": "requests",
              "leadgate_group_commit_rows_sum": "events",
              "leadgate_group_commit_seconds_sum": "seconds",
              "leadgate_group_commit_cpu_seconds_total": "cpu"}  # fmt: skip
    out = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            out[wanted[name]] = float(value)
        elif name.startswith(_THREAD_CPU):  # a server from session 23 on
            out["thread " + name[len(_THREAD_CPU) : -2]] = float(value)
    return out


_THREAD_CPU = 'leadgate_thread_cpu_seconds_total{thread="'


def groups_between(before: dict[str, float], after: dict[str, float], took: float) -> str:
    """How the server grouped a workload's requests: commits, their mean size and time,
    the share of the workload's time the writer spent committing, and the share of that
    its thread spent on a core (the rest it waited, mostly for the interpreter lock)."""
    d = {k: after[k] - before.get(k, 0.0) for k in after}
    n = max(d["commits"], 1)
    on_core = (
        ""
        if "cpu" not in d  # a server before session 22 does not count it
        else f", on a core {d['cpu'] / max(d['seconds'], 1e-9):.0%} of that"
    )
    return (f"{d['commits']:.0f} commits of {d['requests'] / n:.2f} requests "
            f"({d['events'] / n:,.0f} events), {d['seconds'] / n * 1000:.0f} ms each; "
            f"writer committing {d['seconds'] / took:.0%} of the time{on_core}"
            f"{threads_between(d, took)}")  # fmt: skip


#: The server's threads, by the names ``/metrics`` gives them, as the report names them.
_THREADS = {"MainThread": "event loop", "leadgate-writer_0": "writer", "leadgate-flush": "flush",
            "other": "DuckDB's threads"}  # fmt: skip


def threads_between(d: dict[str, float], took: float) -> str:
    """The server's threads' time on a core over the workload, as shares of one core (the
    machine has two): the event loop, the writer, the write-behind flush, DuckDB's own
    threads, and the readers together. Empty for a server that does not count them."""
    shares: dict[str, float] = {}
    for name, seconds in d.items():
        if name.startswith("thread "):
            thread = name[len("thread ") :]
            shown = (
                "readers" if thread.startswith("leadgate-reader") else _THREADS.get(thread, thread)
            )
            shares[shown] = shares.get(shown, 0.0) + seconds / took
    if not shares:
        return ""
    listed = ", ".join(f"{name} {share:.0%}" for name, share in
                       sorted(shares.items(), key=lambda kv: -kv[1]) if share >= 0.005)  # fmt: skip
    return f"; on the cores: {listed} (of one core each; {sum(shares.values()):.0%} in all)"


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
        single = name == "single events"
        # single events are sent at the target's rate: a run ends a little under it (500
        # sent a second, 499.9 counted); batches are sent as fast as they are answered
        ok = got["rate"] >= targets[name] * (0.98 if single else 1.0) and got["errors"] == 0
        ok = ok and (got["p99"] < 50 or not single)
        print(f"| {name} | {got['rate']:,.0f} events/s; p50 {got['p50']:.1f} / p95 "
              f"{got['p95']:.1f} / p99 {got['p99']:.1f} ms a request; {got['errors']} errors "
              f"| {base['rate']:,.0f} events/s; p50 {base['p50']:.2f} / p99 {base['p99']:.2f} "
              f"ms a transaction | {got['rate'] / base['rate']:.3f}× | ≥ {targets[name]:,}/s"
              f"{', p99 < 50 ms' if single else ''} {'✔' if ok else '✘'} |")  # fmt: skip
    print(f"\nserver peak RSS: {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
