"""The web's one read model of a rig: a rig, what its latest snapshot says, and what the time of
reading knows (its reachability, its health with that added), read for many rigs in one query.

The ready rows' writer (ready.py) builds every farm table from it, and the custom pages' engine inputs
too; the rig page reads the Rig model itself.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F
from django.urls import reverse

from rigs.models import Rig, SectionsOf
from rigs.readings import digits
from rigs.readings.freshness import reachability, stale_after
from rigs.readings.health import with_reachability

from . import tables

RIG_FIELDS = ("id", "name", "host", "port", "description", "readonly", "order", "kind", "path", "enabled")
SNAP_FIELDS = ("polled_at", "last_ok_at", "error", "error_kind", "latency_ms")
BRIEF_FIELDS = ("snapshot__statuses", "snapshot__brief__figures", "snapshot__brief__health",
                "snapshot__digits__decimals")
CHUNK = 500  # rig ids per query (SQLite's limit on parameters)


@dataclass(slots=True)
class RigData:
    """A rig as the pages show it. ``polled``: it has a snapshot (else the snapshot's fields are empty
    and its state is "new")."""

    id: int
    name: str
    host: str
    port: int
    description: str
    readonly: bool
    order: int
    kind: str
    path: str
    enabled: bool
    polled_at: datetime | None = None
    last_ok_at: datetime | None = None
    error: str = ""
    error_kind: str = ""
    latency_ms: float | None = None
    sections: dict = field(default_factory=dict)
    statuses: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    stored_health: dict | None = None
    state: str = "new"  # reachability as of the reading
    health: dict = field(default_factory=dict)  # {"state", "reasons"}, reachability included
    href: str = ""

    @property
    def pk(self) -> int:
        return self.id

    @property
    def polled(self) -> bool:
        return self.polled_at is not None

    driver = Rig.driver
    address = Rig.address

    def age(self, now: datetime) -> float | None:
        """Seconds since the rig last answered, or None."""
        return None if self.last_ok_at is None else (now - self.last_ok_at).total_seconds()

    def turns_at(self, now: datetime) -> float | None:
        """When what the pages show of it changes with no newer poll (epoch): its data going stale.
        None: not before a poll (the ages and "since" in its rows are filled in by each view)."""
        if self.state == "ok" and self.last_ok_at is not None:
            return self.last_ok_at.timestamp() + stale_after()
        return None


def read(ids, names, now):
    """The rigs of ``ids`` (None: every rig) in the panel's order, with the sections ``names`` of
    their snapshots (their floats as the rigs wrote them: rigs/readings/digits.py)."""
    ids = None if ids is None else list(ids)
    out = list(each(ids, names, now))
    if ids is not None and len(ids) > CHUNK:
        out.sort(key=lambda r: (r.order, r.name))
    return out


def each(ids, names, now):
    """read()'s rigs one at a time, as the database gives them (in the panel's order for ``ids`` None, or
    at most CHUNK ids): who keeps only what it makes of each rig does not hold every rig's sections at once."""
    names = tuple(names)
    wanted = [*RIG_FIELDS, *(f"snapshot__{f}" for f in SNAP_FIELDS), *BRIEF_FIELDS, "shown"]
    query = Rig.objects.annotate(shown=SectionsOf(F("snapshot__sections"), names)) if names else Rig.objects
    if not names:
        wanted.pop()
    href = reverse("rig_detail", args=[987654321])  # one reverse(), not one per rig
    limit = stale_after()
    chunks = [None] if ids is None else [list(ids)[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
    for chunk in chunks:
        rows = (query if chunk is None else query.filter(id__in=chunk)).values_list(*wanted)
        for row in rows.iterator(chunk_size=CHUNK):  # not every rig's raw row held at once
            yield _rig(row, names, now, limit, href)


def _rig(row, names, now, limit, href):
    n = len(RIG_FIELDS)
    rig = RigData(*row[:n], href=href.replace("987654321", str(row[0])))
    polled_at, last_ok_at, error, error_kind, latency_ms, statuses, figs, health, decimals = row[n:n + 9]
    if polled_at is not None:
        shown = row[n + 9] if names else None
        shown = shown if isinstance(shown, list) else []
        rig.sections = digits.dress({k: v for k, v in zip(names, shown) if isinstance(v, list) and v}, decimals)
        rig.polled_at, rig.last_ok_at, rig.error, rig.error_kind = polled_at, last_ok_at, error or "", error_kind or ""
        rig.latency_ms = latency_ms
        rig.statuses = statuses if isinstance(statuses, dict) else {}
        rig.figures = figs if isinstance(figs, dict) else {}
        rig.stored_health = health if isinstance(health, dict) else None
        rig.state = reachability(polled_at, last_ok_at, error, now, limit)
    rig.health = health_of(rig, now)
    return rig


def health_of(rig, now):
    """The stored health with unreachable/stale added: {"state", "reasons"}."""
    if not rig.polled:
        return {"state": "new", "reasons": []}
    return with_reachability(rig.stored_health, rig.state, rig.error, tables.age_text(rig.age(now)), rig.error_kind)
