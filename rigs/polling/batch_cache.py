"""What a page computes from all rigs, kept until the rigs' data changes.

The poller stores snapshots in batches, each newer than the last; a rig edited or a snapshot
saved through the ORM bumps a generation. ``signature()`` (one aggregate query) tells whether
anything changed since the last view, and ``memo()`` keeps a value until then, or until the
time it said it would turn (a rig's data going stale).
"""

from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save

_GENERATION = [0]
_MEMO = {}


def signature():
    from rigs.models import Rig

    found = Rig.objects.aggregate(n=Count("id"), polled=Max("snapshot__polled_at"), ok=Max("snapshot__last_ok_at"))
    return (found["n"], found["polled"], found["ok"], _GENERATION[0])


def memo(name, compute, now, sig=None):
    """compute(now) -> (value, valid until: a timestamp or None)."""
    sig = signature() if sig is None else sig
    found = _MEMO.get(name)
    if found is not None and found[0] == sig and (found[2] is None or now.timestamp() < found[2]):
        return found[1]
    value, until = compute(now)
    _MEMO[name] = (sig, value, until)
    return value


def changed(**kwargs):
    _GENERATION[0] += 1
    _MEMO.clear()


def connect():
    from rigs.models import Rig, Snapshot

    for model in (Rig, Snapshot):
        post_save.connect(changed, sender=model, dispatch_uid=f"batch-{model.__name__}-save")
        post_delete.connect(changed, sender=model, dispatch_uid=f"batch-{model.__name__}-delete")
