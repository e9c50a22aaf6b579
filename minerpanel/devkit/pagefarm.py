"""benchpages' two sides, each a process of its own over one database: the *writer* (the poller's side:
a farm of N rigs with snapshots made from the simulator's replies, a batch that changes every rig,
its ready rows written) and the *viewer* (a web process that only serves views: its times and its
peak memory are the web's alone). rigs/management/commands/benchpages.py drives them, a JSON line
each way per step.
"""

import contextlib
import cProfile
import io
import json
import os
import pstats
import resource
import sys
import time

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from minerpanel.devkit.bench import cpu_seconds, peak_reset, snapshot_of
from minerpanel.devkit.loadgen import peak_rss_mb
from rigs.polling.upsert import upsert

SHAPES = 1000  # distinct simulated rigs; a bigger farm repeats them
# what a poll 10 s later changes in a cgminer rig's reply (its counters and times): a batch adds to them,
# so every rig's rows change as they do in a real round, and the writer has every cell to draw again
TICKING = {"Elapsed": 10, "Device Elapsed": 10, "Accepted": 3, "Difficulty Accepted": 3 * 4096.0, "Getworks": 5,
           "Diff1 Work": 12288, "Diff1 Shares": 12288, "Total MH": 1.1e7, "Last Share Time": 10,
           "Last getwork": 10, "Last Valid Work": 10, "Local Work": 50, "Temperature": 0.5, "MHS 5s": 1e4}
FARM = {}  # the writer's shapes, kept from setup for its batches
BATCH = 1000  # rigs per write: about what one of the poller's half-second batches holds at 100,000 rigs
ACROSS_PAGE = "pools"  # a page with a section grouped across rigs (POOL+STATS by URL)
PAGES = [("/", "/?custom-3-page=2"), ("/overview/", "/overview/?devices-page=2"),
         (f"/pages/{ACROSS_PAGE}/", f"/pages/{ACROSS_PAGE}/?custom-2-page=2")]
# benchpages --sites: the rigs in two sites, every other one in each, and the pages filtered to one
SITES = ("A", "B")
FILTERED = [("/?site=A", "/?site=A&custom-3-page=2"), ("/overview/?site=A", "/overview/?site=A&devices-page=2")]


def served(env, paths, views):
    """Each of ``paths`` served by one `serve --no-poller` (daphne, as deployed) over the database of ``env``,
    one request at a time over loopback: {path: (ms of the process's CPU a view, median ms a view)}. The
    first three views of each are not counted."""
    import asyncio
    import statistics
    import tempfile
    from pathlib import Path

    from django.conf import settings

    from minerpanel.devkit import loadgen

    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    with tempfile.TemporaryDirectory(prefix="benchpages-serve-") as tmp:
        env = {**env, "MINERPANEL_VAR": tmp, "EMBEDDED_POLLER": "false", "DEMO_RIGS": "false", "HTTPS": "false",
               "LOG_LEVEL": "WARNING"}
        [(port, proc)] = loadgen.start_web(manage, env, 1, tmp)
        try:
            async def run():
                cookie = await loadgen.login(port, "bench", "bench-password-1")
                out = {}
                for path in paths:
                    for _ in range(3):
                        await loadgen.http(port, "GET", path, [f"Cookie: {cookie}"])
                    cpu, times = loadgen.cpu_of(proc.pid), []
                    for _ in range(views):
                        status, _, _, seconds = await loadgen.http(port, "GET", path, [f"Cookie: {cookie}"])
                        assert status == 200, (path, status)
                        times.append(seconds * 1000)
                    out[path] = ((loadgen.cpu_of(proc.pid) - cpu) / views * 1000, statistics.median(times))
                return out

            return asyncio.run(run())
        finally:
            loadgen.stop_all([proc])


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(handler):
    """Answer the driver's requests (a JSON line each) until it closes our stdin."""
    for line in sys.stdin:
        request = json.loads(line)
        send(handler(request))


# ---------------------------------------------------------------- the writer


def setup(n, sites=False):
    """A fresh farm of ``n`` rigs with snapshots (``sites``: every other one in each of SITES), and the
    bench user; returns what it holds."""
    from rigs.models import Rig, Snapshot
    from rigs.polling import poller
    from rigs.readings.brief import make_brief
    from rigs.simulators.cgminer import make_rigs

    call_command("migrate", verbosity=0)
    poller.settle()  # as the poller readies its process (the garbage collector spares what lives on)
    shapes = [snapshot_of(sim) for sim in make_rigs(min(n, SHAPES), seed=3, flavour=None)]
    briefs = [make_brief(sections, statuses) for sections, statuses in shapes]
    FARM.update(shapes=shapes, ticks=0)
    now = timezone.now()
    for start in range(0, n, 5000):
        rigs = Rig.objects.bulk_create([Rig(name=f"rig{i:06d}", host="127.0.0.1", port=10000 + i % 50000,
                                            path=str(i)) for i in range(start, min(n, start + 5000))])
        Snapshot.objects.bulk_create([Snapshot(rig=rig, sections=shapes[i % len(shapes)][0],
                                               statuses=shapes[i % len(shapes)][1], brief=briefs[i % len(briefs)],
                                               polled_at=now, last_ok_at=now)
                                      for i, rig in enumerate(rigs, start)], batch_size=500)
    if sites:
        from farm.models import Placement, Site

        found = [Site.objects.create(name=name) for name in SITES]
        ids = Rig.objects.order_by("id").values_list("id", flat=True)
        Placement.objects.bulk_create([Placement(rig_id=i, site=found[k % len(found)]) for k, i in enumerate(ids)],
                                      batch_size=2000)
    User.objects.filter(username="bench").delete()
    User.objects.create_user("bench", password="bench-password-1")
    devices = sum(len(shapes[i % len(shapes)][0].get("DEVS") or []) for i in range(n))
    pools = sum(len(shapes[i % len(shapes)][0].get("POOLS") or []) for i in range(n))
    attention = sum(1 for i in range(n)
                    if (briefs[i % len(briefs)].get("health") or {}).get("state") in ("warn", "err"))
    first = Rig.objects.order_by("id").values_list("id", flat=True).first()
    return {"rigs": n, "devices": devices, "pools": pools, "attention": attention, "rig_page": f"/rigs/{first}/"}


def full_batch(profile=False, same=False):
    """A batch that changed every rig: their snapshots stored anew, then their ready rows written, a
    poller's batch at a time, and the sections across rigs computed (as the poller does when due).
    ``profile``: the writer's and the sections' cProfile, their costliest functions, in "profile".
    ``same``: the rigs answered as in the last batch (only their poll times move)."""
    from custompages import across
    from rigs.models import Rig, Snapshot
    from rigs.web import ready

    ids = list(Rig.objects.values_list("id", flat=True))
    FARM["ticks"] += 0 if same else 1
    shapes = [ticked(sections, statuses, FARM["ticks"]) for sections, statuses in FARM["shapes"]]
    prof = cProfile.Profile() if profile else contextlib.nullcontext()
    rows_cpu, wall = 0.0, time.perf_counter()
    for start in range(0, len(ids), BATCH):
        chunk, now = ids[start:start + BATCH], timezone.now()
        upsert(Snapshot, [{"rig": rig, **shapes[i % len(shapes)], "error": "", "error_kind": "", "polled_at": now,
                           "last_ok_at": now}  # as the poller stores it
                          for i, rig in enumerate(chunk, start)], ["sections", "statuses", "brief", "polled_at",
                                                                   "last_ok_at"])
        cpu = cpu_seconds()
        with prof:
            ready.write(chunk, now=now)  # what the poller's after_batch hook runs
        rows_cpu += cpu_seconds() - cpu
    out = {"cpu": rows_cpu, "wall": time.perf_counter() - wall}
    cpu2, held = cpu_seconds(), peak_reset() and peak_rss_mb(os.getpid())
    across_prof = cProfile.Profile() if profile else contextlib.nullcontext()
    with across_prof:
        across.refresh(timezone.now(), force=True)
    out["across_cpu"] = cpu_seconds() - cpu2
    if held:  # what computing them took of memory beyond what the writer held before
        out["across_mb"] = peak_rss_mb(os.getpid()) - held
    if profile:
        out["profile"] = {"writer": stats_text(prof), "across": stats_text(across_prof)}
    return out


def ticked(sections, statuses, k):
    """A rig's reply ``k`` polls later (TICKING): its snapshot's fields, brief included."""
    from rigs.readings.brief import make_brief

    def tick(record):
        return {f: v + k * TICKING[f] if f in TICKING and type(v) in (int, float) else v for f, v in record.items()}

    sections = {name: [tick(r) if isinstance(r, dict) else r for r in records] if isinstance(records, list)
                else records for name, records in sections.items()}
    statuses = {cmd: tick(st) if isinstance(st, dict) else st for cmd, st in statuses.items()}
    statuses = {cmd: {**st, "When": st["When"] + 10 * k} if isinstance(st, dict) and type(st.get("When")) is int
                else st for cmd, st in statuses.items()}
    return {"sections": sections, "statuses": statuses, "brief": make_brief(sections, statuses)}


def stats_text(prof, top=35):
    """The costliest functions of a profile (by their own time, then with what they call)."""
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return text.getvalue()


def keep_pages():
    """The pages measured, built and marked as viewed (so the poller's side keeps them), here: the viewer
    builds nothing."""
    from custompages import page_read
    from custompages.models import CustomPage
    from custompages.ready import specs_of

    with override_settings(READY_BUILD_IN_VIEW=10**9):  # built here, not left to the writer's first batch
        for page in CustomPage.objects.filter(slug__in=["summary", ACROSS_PAGE]):
            page_read.ready_tables(specs_of(page), timezone.now())
    from rigs.web import ready_read

    ready_read.ready_tables(("rigs", "summary", "devs", "pools"), timezone.now())


def writer(request):
    if request["do"] == "setup":
        out = setup(request["rigs"], request.get("sites", False))
        cpu = cpu_seconds()
        keep_pages()
        out["first_build_cpu"] = cpu_seconds() - cpu
        return out
    if request["do"] == "batch":
        return full_batch(request.get("profile", False), request.get("same", False))
    raise ValueError(request)


# ---------------------------------------------------------------- the viewer


def viewer(request):
    """Each page and its page 2 viewed ``views`` times: their server times (ms), sizes, and this
    process's peak RSS so far."""
    client = Client(SERVER_NAME="localhost")
    client.login(username="bench", password="bench-password-1")
    out, profiles = {}, {}
    for pair in PAGES + (FILTERED if request.get("sites") else []):
        for path in pair:
            times = []
            prof = cProfile.Profile() if request.get("profile") else contextlib.nullcontext()
            for _ in range(request.get("views", 1)):
                t0 = time.perf_counter()
                with prof:
                    r = client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (path, r.status_code)
            out[path] = {"ms": times, "bytes": len(r.content)}
            if request.get("profile"):
                profiles[path] = stats_text(prof, top=25)
    connection.close()
    return {"pages": out, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "profile": profiles}
