"""Groups of rigs that an app above the pages defines (the farm app: sites, racks and tags), for the
pages of this room that filter or target rigs by them (the audit log, Bulk, the Overview, the Summary and
custom pages: ``?site=&rack=&tag=``). This room imports no
such app: the app registers a provider from its AppConfig.ready(), as the poller's hooks are.

A provider has three methods:

    choices() -> {"site": [names], "rack": [names], "tag": [names]}
    rig_ids(site, rack, tag) -> a queryset (or set) of rig ids, or None when no filter is given
    scopes_of(rig_ids) -> {rig id: ["site:Oslo", "rack:A1", "tag:hot"]}   each rig's single scopes, named
                                          by key(): what rig_ids() of that one name selects

The ready rows' writer keeps every table's totals per single scope (scope_sums.py), so a view filtered
to one site, one rack or one tag reads them (kept()) instead of adding up its rigs' shares.

Without a provider (the farm app not installed) there are no choices and nothing is filtered.
"""

from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import urlencode

KEYS = ("site", "rack", "tag")


class Provider(Protocol):
    def choices(self) -> dict[str, list[str]]: ...

    def rig_ids(self, site: str = "", rack: str = "", tag: str = "") -> Any: ...

    def scopes_of(self, rig_ids: Iterable[int]) -> dict[int, list[str]]: ...


_provider: list[Provider] = []


def register(provider: Provider) -> None:
    _provider[:] = [provider]


def choices() -> dict[str, list[str]]:
    return _provider[0].choices() if _provider else {}


def chosen(params: Any) -> dict[str, str]:
    """The site, rack and tag a request's GET or POST names (each at most 64 characters)."""
    return {key: str(params.get(key, "")).strip()[:64] for key in KEYS if str(params.get(key, "")).strip()}


def key(kind: str, name: str) -> str:
    """A single scope as the writer keeps its totals: "site:Oslo"."""
    return f"{kind}:{name}"


def rig_ids(params: Any) -> Any:
    """The ids of the rigs the request's site, rack and tag select, or None when it names none. When it
    names exactly one, the queryset carries that scope's key (kept() reads it)."""
    picked = chosen(params)
    if not picked or not _provider:
        return None
    found = _provider[0].rig_ids(**picked)
    if len(picked) == 1 and hasattr(found, "query"):  # a queryset (a set of ids is filtered, not kept)
        found.kept_scope = key(*next(iter(picked.items())))
    return found


def kept(ids: Any) -> str | None:
    """The single scope (site, rack or tag) whose totals the writer keeps, of a query of rig ids that
    rig_ids() made; None for no filter, or two or three chosen (site AND tag)."""
    return getattr(ids, "kept_scope", None)


def scopes_of(ids: Iterable[int]) -> dict[int, list[str]]:
    """{rig id: the keys of its single scopes} ({} without a provider: no scope is kept)."""
    return _provider[0].scopes_of(ids) if _provider else {}


def context(params: Any, count: int | None = None) -> dict[str, Any]:
    """What templates/_scope_filters.html shows: each key with its names and the one chosen, and the
    chosen ones (empty without a provider or when there is nothing to choose); for the pages' filter bar
    (templates/_scope_bar.html) the choice in words ("site Oslo · tag hot"), as a query string for their
    other links, and ``count``: how many rigs it holds (None: not counted)."""
    picked = chosen(params) if _provider else {}
    found = choices()
    options = [(key, found.get(key) or [], picked.get(key, "")) for key in KEYS]
    return {"options": [o for o in options if o[1]], "chosen": picked,
            "label": " · ".join(f"{key} {value}" for key, value in picked.items()),
            "query": urlencode(picked), "count": count}
