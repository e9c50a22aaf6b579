"""The questions other code asks about where rigs are and which are in maintenance.

    rigs_in(site=None, rack=None, tag=None)   the rigs of a site, a rack, a tag (or all three at once)
    places_of(rig_ids)                        {rig id: {"site", "rack", "position", "tags"}} in two queries
    in_maintenance(now)                       the ids of the rigs in maintenance now (rack and site windows expanded)
    rigs_in_maintenance(now)                  the same as a lazy Rig queryset (a subquery of another query)
    maintenance_of(rig_id, now)               who put the rig in maintenance, why, until when (or None)
    maintenance_by_rig(now, rig_ids)          the same for many rigs at once

A site, rack or tag is given as its model instance, its primary key (an int) or its name (a str; a
rack's name alone matches that name in every site, with ``site`` it is the rack of that site). Alerts,
notifications, the rack map, the API, automation and curtailment read these; nothing here
writes.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.db.models import F, Q, Value
from django.utils import timezone

from rigs.models import Rig
from rigs.web import scopes

from .models import Maintenance, Placement, Rack, Site, Tag

# Above this many ids, places_of reads every placement (one query) rather than an IN list of them:
# SQLite refuses more than 32,766 parameters, and a whole small table is cheaper than a long list.
IN_LIST = 2000


class Place(TypedDict):
    site: str
    rack: str
    position: str  # "row,column", or "" without a slot
    tags: list[str]


@dataclass(frozen=True)
class Window:
    """An active maintenance window as it applies to a rig."""

    pk: int
    scope: str  # "rig", "rack" or "site"
    label: str  # "rack Oslo / A1"
    reason: str
    by: str
    starts: datetime
    ends: datetime

    @property
    def text(self) -> str:
        until = timezone.localtime(self.ends)
        return f"in maintenance until {until:%Y-%m-%d %H:%M} ({self.label}, {self.by}: {self.reason})"


def _match(value: Any, model: Any, prefix: str) -> Q:
    """The filter on ``prefix`` (a path to ``model``) for an instance, a primary key or a name."""
    if isinstance(value, model):
        return Q(**{prefix: value})
    if isinstance(value, int) and not isinstance(value, bool):
        return Q(**{f"{prefix}__pk": value})
    return Q(**{f"{prefix}__name": str(value)})


def rigs_in(site: Any = None, rack: Any = None, tag: Any = None) -> Any:
    """A queryset of the rigs in ``site``, in ``rack`` and tagged ``tag`` (each optional: every rig
    without any). The result is a plain Rig queryset: filter, order and slice it further."""
    rigs = Rig.objects.all()
    if site is not None:
        rigs = rigs.filter(_match(site, Site, "placement__site"))
    if rack is not None:
        rigs = rigs.filter(_match(rack, Rack, "placement__rack"))
    if tag is not None:
        rigs = rigs.filter(_match(tag, Tag, "tags"))
    return rigs.distinct() if tag is not None else rigs


def empty_place() -> Place:
    return {"site": "", "rack": "", "position": "", "tags": []}


def places_of(rig_ids: Iterable[int]) -> dict[int, Place]:
    """Each rig's site, rack, position and tags (every id asked is in the answer; "" and [] where a rig
    has none), in two queries however many rigs are asked."""
    wanted = set(rig_ids)
    out: dict[int, Place] = {i: empty_place() for i in wanted}
    if not wanted:
        return out
    placements = Placement.objects.all()
    links = Tag.rigs.through.objects.all()
    if len(wanted) <= IN_LIST:
        placements = placements.filter(rig_id__in=wanted)
        links = links.filter(rig_id__in=wanted)
    for rig_id, site, rack, row, column in placements.values_list("rig_id", "site__name", "rack__name", "row",
                                                                  "column").order_by():
        place = out.get(rig_id)
        if place is not None:
            place["site"], place["rack"] = site, rack or ""
            place["position"] = f"{row},{column}" if rack and row and column else ""
    for rig_id, name in links.values_list("rig_id", "tag__name").order_by("tag__name"):
        place = out.get(rig_id)
        if place is not None:
            place["tags"].append(name)
    return out


def active(now: datetime | None = None) -> Any:
    """The maintenance windows in force at ``now``."""
    now = now or timezone.now()
    return Maintenance.objects.filter(starts__lte=now, ends__gt=now)


def maintenance_by_rig(now: datetime | None = None, rig_ids: Iterable[int] | None = None) -> dict[int, Window]:
    """{rig id: the window that keeps it in maintenance longest} at ``now``, for ``rig_ids`` (every rig
    without): one query for the windows, one more when a window is for a rack or a site."""
    windows = list(active(now).select_related("rig", "rack__site", "site").order_by("ends"))
    if not windows:
        return {}
    wanted = set(rig_ids) if rig_ids is not None else None
    by_rack: dict[int, list[Window]] = {}
    by_site: dict[int, list[Window]] = {}
    out: dict[int, Window] = {}
    for m in windows:  # in the order they end: a later end replaces an earlier one
        w = Window(pk=m.pk, scope="rig" if m.rig_id else "rack" if m.rack_id else "site", label=m.scope_label,
                   reason=m.reason, by=m.by, starts=m.starts, ends=m.ends)
        if m.rig_id:
            if wanted is None or m.rig_id in wanted:
                out[m.rig_id] = later(out.get(m.rig_id), w)
        elif m.rack_id:
            by_rack.setdefault(m.rack_id, []).append(w)
        else:
            by_site.setdefault(m.site_id, []).append(w)
    if by_rack or by_site:
        rows = Placement.objects.filter(Q(rack_id__in=list(by_rack)) | Q(site_id__in=list(by_site)))
        if wanted is not None and len(wanted) <= IN_LIST:
            rows = rows.filter(rig_id__in=wanted)
        for rig_id, rack_id, site_id in rows.values_list("rig_id", "rack_id", "site_id").order_by():
            if wanted is not None and rig_id not in wanted:
                continue
            for w in by_rack.get(rack_id, []) + by_site.get(site_id, []):
                out[rig_id] = later(out.get(rig_id), w)
    return out


def later(a: Window | None, b: Window) -> Window:
    return b if a is None or b.ends > a.ends else a


def rigs_in_maintenance(now: datetime | None = None) -> Any:
    """The rigs in maintenance at ``now`` as a Rig queryset, not yet run: ``.exclude(rig__in=...)`` in
    another query costs no query of its own."""
    windows = active(now)
    return Rig.objects.filter(Q(maintenance__in=windows) | Q(placement__rack__maintenance__in=windows)
                              | Q(placement__site__maintenance__in=windows)).values("id")


def in_maintenance(now: datetime | None = None) -> set[int]:
    """The ids of every rig in maintenance at ``now``: its own window, its rack's or its site's."""
    return set(maintenance_by_rig(now))


def maintenance_of(rig_id: int, now: datetime | None = None) -> Window | None:
    """Why, by whom and until when one rig is in maintenance at ``now``; None when it is not."""
    return maintenance_by_rig(now, [rig_id]).get(rig_id)


class Scopes:
    """The provider rigs.web.scopes asks (the audit log's filters, Bulk's targets, the ready rows' writer)."""

    def choices(self) -> dict[str, list[str]]:
        """The names of the sites (in their order), racks and tags, in one query (every page's filter bar
        asks)."""
        sites = Site.objects.annotate(k=Value("site"), o=F("order")).values_list("k", "o", "name")
        racks = Rack.objects.annotate(k=Value("rack"), o=Value(0)).values_list("k", "o", "name")
        tags = Tag.objects.annotate(k=Value("tag"), o=Value(0)).values_list("k", "o", "name")
        found: dict[str, set[tuple[int, str]]] = {"site": set(), "rack": set(), "tag": set()}
        for key, order, name in sites.order_by().union(racks.order_by(), tags.order_by(), all=True):
            found[key].add((order, name))
        return {key: [name for _, name in sorted(names)] for key, names in found.items()}

    def rig_ids(self, site: str = "", rack: str = "", tag: str = "") -> Any:
        return rigs_in(site or None, rack or None, tag or None).values("id")

    def scopes_of(self, rig_ids: Iterable[int]) -> dict[int, list[str]]:
        """Each rig's site, rack and tags as the single scopes rig_ids() selects by one name (a rack's
        name alone is that name in every site); rigs in none are left out. Two queries."""
        out: dict[int, list[str]] = {}
        for rig_id, place in places_of(rig_ids).items():
            found = [scopes.key("site", place["site"])] if place["site"] else []
            if place["rack"]:
                found.append(scopes.key("rack", place["rack"]))
            found += [scopes.key("tag", name) for name in place["tags"]]
            if found:
                out[rig_id] = found
        return out
