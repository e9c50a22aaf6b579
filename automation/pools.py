"""Pools for a group (issue 26 §7): one pool list for the rigs of a site, a rack or a tag, each rig's worker
name made from a template, planned (the preview: what changes on each rig), then applied through each
kind's own pool write path and read back from the POOLS section after the re-poll.

The write paths, as a person's commands (``control.run``: validated, audited with the passwords redacted):
- ``setpools`` where the kind takes it (Antminer, VNish, Whatsminer): the three slots replaced at once;
- ``addpool`` + ``switchpool`` + ``removepool`` for the cgminer family and LuxOS: each pool not there is
  added, the first is switched to, and the pools not in the list are removed;
- other kinds (Braiins, Avalon, xmrig...) are listed as "cannot": their API gives the panel no pool write.

The rigs of a group are written concurrently (apply_all: at most WORKERS at once, each rig's steps in
order), so a hung rig costs its own timeouts, not everyone's.
"""

import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import connection

from rigs.control import run
from rigs.control.commands import COMMANDS
from rigs.control.running import database_turns
from rigs.drivers.cgminer.protocol import as_number
from rigs.models import Rig

PLACEHOLDERS = ("site", "rack", "row", "col", "name")
FIELD = re.compile(r"\{([^{}]*)\}")
MAX_POOLS = 3
MAX_RIGS = 2000
WORKERS = 16  # rigs written at once
log = logging.getLogger("minerpanel.automation")


class TemplateError(ValueError):
    pass


def check_template(text):
    """Raise TemplateError for a placeholder that is not one of PLACEHOLDERS, or unbalanced braces."""
    for name in FIELD.findall(text):
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise TemplateError(f"unknown placeholder {{{name[:20]}}}: use {known}")
    if "{" in FIELD.sub("", text) or "}" in FIELD.sub("", text):
        raise TemplateError("a { without its } (or the reverse)")


def render(text, values):
    """The template with each placeholder replaced; TemplateError when the rig lacks one it uses."""
    def one(m):
        value = values.get(m.group(1), "")
        if value in ("", None):
            raise TemplateError(f"the rig has no {m.group(1)}")
        return re.sub(r"\s+", "-", str(value))
    out = FIELD.sub(one, text)
    if len(out) > 200 or any(ord(c) < 32 for c in out):
        raise TemplateError("the worker name would be longer than 200 characters")
    return out


def path_of(kind):
    """"setpools", "addpool" or None: how the panel writes this kind's pools."""
    for name in ("setpools", "addpool"):
        command = COMMANDS.get(name)
        if command is not None and kind in command.rig_kinds:
            return name
    return None


def current_pools(rig):
    snap = getattr(rig, "snapshot", None)
    pools = snap.sections.get("POOLS") if snap is not None and isinstance(snap.sections, dict) else None
    rows = [p for p in pools or [] if isinstance(p, dict)]
    rows.sort(key=lambda p: (as_number(p.get("Priority")) or 0, as_number(p.get("POOL")) or 0))
    return [(str(p.get("URL", "")), str(p.get("User", ""))) for p in rows]


@dataclass
class RigPlan:
    rig: Rig
    path: str | None
    before: list
    after: list = field(default_factory=list)  # [(url, user)]
    problem: str = ""

    @property
    def changes(self):
        return not self.problem and self.path and self.before != self.after


def plan(rigs, pools, places):
    """[RigPlan] for ``pools`` ([(url, user template, password)]) on ``rigs``; ``places``: farm.scope.places_of."""
    out = []
    for rig in rigs:
        place = places.get(rig.pk) or {}
        row, _, col = (place.get("position") or "").partition(",")
        values = {"site": place.get("site"), "rack": place.get("rack"), "row": row, "col": col, "name": rig.name}
        p = RigPlan(rig, path_of(rig.kind), current_pools(rig))
        if p.path is None:
            p.problem = f"{rig.kind}: the panel has no pool write path for this kind"
        try:
            p.after = [(url, render(user, values)) for url, user, _ in pools]
        except TemplateError as exc:
            p.problem = p.problem or str(exc)
        out.append(p)
    return out


@dataclass
class Result:
    rig: Rig
    ok: bool
    steps: list  # ["addpool: S: ...", ...]
    read_back: str


def apply(p, pools, user, address):
    """Write one rig's pools through its kind's path; the Result with what the POOLS section reads back."""
    steps, ok = [], True
    secrets = [pw for _, _, pw in pools]
    if p.path == "setpools":
        values = {}
        for i, ((url, worker), password) in enumerate(zip(p.after, secrets), start=1):
            values.update({f"url{i}": url, f"user{i}": worker, f"password{i}": password})
        (o,) = run([p.rig], "setpools", values, user, address)
        steps.append(f"setpools: {o.letter}: {o.message}")
        ok = o.ok
    else:
        present = current_pools(p.rig)
        for (url, worker), password in zip(p.after, secrets):
            if (url, worker) in present:
                continue
            (o,) = run([p.rig], "addpool", {"url": url, "user": worker, "password": password}, user, address)
            steps.append(f"addpool {url}: {o.letter}: {o.message}")
            ok = ok and o.ok
        rig = fresh(p.rig)
        ids = pool_ids(rig)
        first = ids.get(p.after[0]) if p.after else None
        if ok and first is not None:
            (o,) = run([rig], "switchpool", {"pool": first}, user, address)
            steps.append(f"switchpool {first}: {o.letter}: {o.message}")
            ok = o.ok
            rig = fresh(rig)
            for key, pool in sorted(pool_ids(rig).items(), key=lambda kv: -kv[1]):
                if key not in p.after:
                    (o,) = run([rig], "removepool", {"pool": pool}, user, address)
                    steps.append(f"removepool {pool}: {o.letter}: {o.message}")
                    ok = ok and o.ok
                    rig = fresh(rig)
        elif ok:
            ok = False
            steps.append("the added pool is not listed after the re-poll: not switched, nothing removed")
    return Result(p.rig, ok, steps, read_back(fresh(p.rig), p.after))


def apply_all(plans, pools, user, address, workers=WORKERS):
    """[Result] of each plan, in the plans' order, written at most ``workers`` rigs at once (their
    database work in turns: rigs.control.database_turns). A rig whose write fails unexpectedly gets a
    failed Result saying so (logged once); the others go on."""
    turns = threading.Lock()

    def one(p):
        try:
            with database_turns(turns):
                return apply(p, pools, user, address)
        except Exception as exc:  # noqa: BLE001 (one rig's failure is its own result)
            log.warning("group pools: %s failed: %s", p.rig.name, exc)
            return Result(p.rig, False, [f"failed: {str(exc)[:200]}"], "unknown: the write failed")
        finally:
            connection.close()  # this thread's own connection

    if not plans:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(plans))), thread_name_prefix="pools") as pool:
        return list(pool.map(one, plans))


def fresh(rig):
    return Rig.objects.select_related("snapshot").get(pk=rig.pk)


def pool_ids(rig):
    """{(url, user): pool number} from the rig's POOLS section."""
    snap = getattr(rig, "snapshot", None)
    out: dict[tuple[str, str], int] = {}
    for pool in (snap.sections.get("POOLS") if snap is not None else None) or []:
        if isinstance(pool, dict) and as_number(pool.get("POOL")) is not None:
            out.setdefault((str(pool.get("URL", "")), str(pool.get("User", ""))), int(as_number(pool["POOL"])))
    return out


def read_back(rig, wanted):
    """"matches", "differs: ...", or why it cannot be said, from the POOLS section after the re-poll."""
    got = current_pools(rig)
    if not got:
        return "unknown: the firmware lists no pools"
    if all(not user for _, user in got):
        urls = [u for u, _ in got][:len(wanted)]
        return "matches (URLs; the firmware lists no users)" if urls == [u for u, _ in wanted] else \
            f"differs: {', '.join(urls)}"
    if got[:len(wanted)] == list(wanted):
        return "matches"
    return "differs: " + ", ".join(f"{u} {w}" for u, w in got)[:300]
