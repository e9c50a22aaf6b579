"""Each ready table's totals per single scope (one site, one rack, one tag: scopes.py), kept by the writer
as the farm's are (ready.py, shares.py): a view filtered to one of them reads its counts and Σ rows in one
indexed query (ReadyScope), whatever the farm's size; with two or three chosen (site AND tag) the view
still adds up the chosen rigs' shares (ready_read.scoped_sums).

A rig's part (ReadyPart) keeps, beside its share of a table, the scopes it was counted in
(``[generation, share, digest, [scope, ...]]``): a rig that moved (another site or rack, tagged or
untagged) takes its old share out of its old scopes and adds its new one to its new scopes when it is
written again (the farm app marks it: ready.moved). Every READY_EXACT_EVERY the scopes' sums are added up
afresh from the parts with the farm's (exact()), and rigs whose scopes changed with no mark (a write that
sent no signal) are marked (stray()).
"""

from rigs.models import ReadyPart, ReadyScope
from rigs.polling.upsert import upsert

from . import scopes, shares

IN_LIST = 2000  # more scopes than this: every scope of the tables is read (no long IN list)


def recorded(entry):
    """The scopes a part's entry ([generation, share, digest, scopes]) was counted in."""
    return entry[3] if len(entry) > 3 and isinstance(entry[3], list) else []


class Kept:
    """The scopes' sums a write reads, changes and saves: {(table, scope): sums}."""

    def __init__(self, keys, wanted):
        """Read the sums of tables ``keys`` in scopes ``wanted`` (a set)."""
        found = ReadyScope.objects.filter(table__in=list(keys))
        if len(wanted) <= IN_LIST:
            found = found.filter(scope__in=list(wanted))
        self.sums = {(table, scope): sums or {} for table, scope, sums in found.values_list("table", "scope", "sums")}
        self.changed = set()
        self.reset_keys = set()

    def slot(self, key, scope):
        slot = self.sums.get((key, scope))
        if slot is None:
            slot = self.sums[(key, scope)] = {}
        return slot

    def move(self, key, was, now, old, new):
        """A rig's share of table ``key`` going from ``old`` in scopes ``was`` to ``new`` in ``now``; True
        when a largest value may have gone down in one of them (then exact())."""
        if was == now and old == new:
            return False
        lowered = False
        for scope in was:
            if scope not in now:
                lowered = shares.apply(self.slot(key, scope), old, None) or lowered
                self.changed.add((key, scope))
        for scope in now:
            lowered = shares.apply(self.slot(key, scope), old if scope in was else None, new) or lowered
            self.changed.add((key, scope))
        return lowered

    def exact(self, key, generation):
        """Add up table ``key``'s sums afresh from every part of ``generation``, the farm's and each
        scope's (one read of the parts); returns (the farm's sums, {rig id: scopes recorded})."""
        found = ReadyPart.objects.filter(**{f"sums__{key}__0": generation}).values_list(
            "rig_id", f"sums__{key}__1", f"sums__{key}__3")
        farm, by_scope, where = {}, {}, {}
        for rig_id, share, places in found:
            if not isinstance(share, dict):
                continue
            shares.apply(farm, None, share)
            places = places if isinstance(places, list) else []
            for scope in places:
                shares.apply(by_scope.setdefault(scope, {}), None, share)
            where[rig_id] = places
        for pair in [pair for pair in self.sums if pair[0] == key]:
            del self.sums[pair]
        self.sums.update({(key, scope): sums for scope, sums in by_scope.items()})
        self.reset_keys.add(key)
        return farm, where

    def save(self):
        """Write the sums changed; a scope left with no rig goes (a deleted site's, a rack emptied)."""
        if self.reset_keys:  # added up afresh: every scope of these tables written again
            ReadyScope.objects.filter(table__in=list(self.reset_keys)).delete()
        pairs = self.changed | {pair for pair in self.sums if pair[0] in self.reset_keys}
        gone = [pair for pair in pairs if not self.sums.get(pair) and pair[0] not in self.reset_keys]
        for key, scope in gone:
            ReadyScope.objects.filter(table=key, scope=scope).delete()
        upsert(ReadyScope, [{"table": key, "scope": scope, "sums": self.sums[(key, scope)]}
                            for key, scope in sorted(pairs) if self.sums.get((key, scope))],
               ["sums"], unique=["table", "scope"])


def stray(where):
    """The rigs whose scopes recorded (``where``: {rig id: scopes}) are no longer theirs: moved by a write
    that sent no signal."""
    now = scopes.scopes_of(list(where))
    return [rig_id for rig_id, places in where.items() if sorted(places) != sorted(now.get(rig_id, []))]


def of(key, scope):
    """The kept sums of table ``key`` over ``scope``'s rigs ({}: no rig of it is in the table)."""
    return ReadyScope.objects.filter(table=key, scope=scope).values_list("sums", flat=True).first() or {}


def drop(scope):
    """A site, rack or tag deleted: its sums go at once (its rigs, marked, are written again)."""
    ReadyScope.objects.filter(scope=scope).delete()
