"""Profile group commits of the ingest path in-process (no HTTP): where a commit's time goes.

    .venv/bin/python bench/profile_ingest.py --small              # 10,000 leads
    .venv/bin/python bench/profile_ingest.py --store DIR --size 100
    .venv/bin/python bench/profile_ingest.py --size 5000 --groups 30 --sql --checkpoint-mib 256

Copies ``bench_api.py``'s store, then commits ``--groups`` groups of ``--size`` random events
(each a request of its own, as the batcher hands them over) with :func:`commit_group`, the
first ``--warm`` unprofiled, the rest under cProfile; prints the mean commit time and the top
of the profile by cumulative time. ``--checkpoint-mib`` sets DuckDB's checkpoint threshold as
the server does (``[api] checkpoint_wal_mib``; without it, DuckDB's 16 MiB): with
``--sql``, the commits' and the ``COMMIT`` statements' median and slowest show what the
threshold costs (``api/checkpoints.py``). ``--busy 0.2`` runs a thread beside the writer that
holds the interpreter lock that share of the time in pure Python (2 ms at a time), as the
server's event loop does while it reads bodies: a step that gives the lock up (a DuckDB
statement, a long NumPy or Arrow call) may then wait for it to come back.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import re
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: A literal list of ids (``IN ('a', 'b')``): one statement whatever the ids.
_LITERALS = re.compile(r"IN \('[^)]*\)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--store", type=Path, help="a built store (default: bench_api's)")
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--groups", type=int, default=10)
    ap.add_argument("--warm", type=int, default=3)
    ap.add_argument("--no-rollups", action="store_true")
    ap.add_argument("--top", type=int, default=35)
    ap.add_argument("--sort", default="cumulative", help="cProfile's order (tottime: own time)")
    ap.add_argument("--sql", action="store_true", help="time each statement (no cProfile)")
    ap.add_argument("--checkpoint-mib", type=int, help="DuckDB's checkpoint threshold")
    ap.add_argument("--plan-leads", type=int, default=1000,
                    help="[api] plan_leads: a group touching this many is planned")  # fmt: skip
    ap.add_argument("--behind", action="store_true",
                    help="decide each group for the write-behind journal and never flush: "
                         "the writer thread's own share of a commit")  # fmt: skip
    ap.add_argument("--busy", type=float, default=0.0,
                    help="share of the time a Python thread beside the writer runs")  # fmt: skip
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    import bench_api  # type: ignore[import-not-found]

    from leadgate.api.behind import Behind
    from leadgate.api.group import Pending, commit_group
    from leadgate.api.inputs import check_events
    from leadgate.api.live import LiveScores
    from leadgate.project import Project

    base = args.store or bench_api.base_store(args.small, Path("/work/bigdata"))
    run, _key, leads = bench_api.prepare_run(base, rollups=not args.no_rollups)
    project = Project.open(run)
    live = LiveScores(plan_leads=args.plan_leads)
    rng = random.Random(11)
    compiled = live.compiled(project)
    now = project.clock.now().replace(tzinfo=None)
    groups = []
    for g in range(args.warm + args.groups):
        events = bench_api.make_events(leads, args.size, f"p{g}", rng)
        checked = check_events({"events": events}, compiled.event_types, now,
                               dt_skew(), args.size)  # fmt: skip
        groups.append([Pending("events", checked)])
    profile = cProfile.Profile()
    times = []
    spent: dict[str, list[float]] = {}
    if args.sql:
        from leadgate.store import Store

        plain = Store.execute

        def timed(self, sql, params=None):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            out = plain(self, sql, params)
            key = _LITERALS.sub("IN (...)", " ".join(sql.split()))[:90]
            spent.setdefault(key, []).append(time.perf_counter() - started)
            return out

        Store.execute = timed  # type: ignore[method-assign]
    stop_busy = threading.Event()
    if args.busy > 0:
        threading.Thread(target=_busy, args=(args.busy, stop_busy), daemon=True).start()
    with project.serving():
        behind = None
        if args.behind:
            behind = Behind(project.store_path, max_events=1 << 60, max_age=1e9,
                            flush_idle=False)  # fmt: skip
            behind.start(project.store())
        if args.checkpoint_mib:
            project.store().execute(f"SET checkpoint_threshold = '{args.checkpoint_mib}MiB'")
        for g, group in enumerate(groups):
            started = time.perf_counter()
            if g == args.warm:
                spent.clear()
            if g >= args.warm and not args.sql:
                profile.enable()
            report = commit_group(project, live, group, behind)
            profile.disable()
            times.append(time.perf_counter() - started)
            assert report.answers[0].status == 200, report.answers[0].body
            # the first group reads the held store: it is committed at once
            assert report.deferred or not args.behind or g == 0, "not taken by the journal"
        if behind is not None:
            behind.flush(project.store())
            behind.close()
    stop_busy.set()
    measured = times[args.warm :]
    print(f"warm-up commits: {', '.join(f'{t * 1000:.0f}' for t in times[: args.warm])} ms")
    mean = sum(measured) / len(measured)
    print(f"measured: mean {mean * 1000:.1f} ms a commit of {args.size} events "
          f"({args.size / mean:,.0f} events/s); median {statistics.median(measured) * 1000:.1f}, "
          f"slowest {max(measured) * 1000:.1f} ms")  # fmt: skip
    if args.sql:
        commits = spent.get("COMMIT", [0.0])
        print(f"COMMIT: median {statistics.median(commits) * 1000:.1f}, slowest "
              f"{max(commits) * 1000:.1f} ms (a checkpoint runs inside it)")  # fmt: skip
        runs = sum(len(took) for took in spent.values())
        print(f"statements: {runs / len(measured):.1f} a commit")
        for sql, took in sorted(spent.items(), key=lambda kv: -sum(kv[1]))[: args.top]:
            print(f"{sum(took) / len(measured) * 1000:8.1f} ms a commit, {len(took):4} runs: {sql}")
    else:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    shutil.rmtree(run, ignore_errors=True)


def _busy(share: float, stop: threading.Event) -> None:
    """Pure Python for 2 ms, then asleep, so that it runs ``share`` of the time."""
    idle = 0.002 * max(0.0, 1 - share) / share
    while not stop.is_set():
        until = time.perf_counter() + 0.002
        while time.perf_counter() < until:
            sum(range(100))
        time.sleep(idle)


def dt_skew():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.timedelta(minutes=5)


if __name__ == "__main__":
    main()
