"""What the Overview's Rigs table says of a curtailed rig among its reasons, from its open Curtailment
row (rigs/models.py, written by rigs/control/curtail.py for schedules, prices, automation and people):
how, why (the reason as recorded: "schedule: evening peak", "price: Oslo", "manual: demand response",
"automation: rule hot", "from the rig page"), since when and until when. Read for a batch's rigs in one
indexed query."""

from datetime import datetime

from rigs.models import Curtailment

CHUNK = 500  # rig ids per query (SQLite's limit on parameters)


def open_of(ids):
    """{rig id: (how, value, reason, started_at, until)} of the rigs of ``ids`` curtailed now (the latest
    open row of each)."""
    ids, out = list(ids), {}
    for start in range(0, len(ids), CHUNK):
        rows = Curtailment.objects.filter(rig_id__in=ids[start:start + CHUNK], ended_at__isnull=True)
        for rig_id, *row in rows.order_by("started_at").values_list("rig_id", "how", "value", "reason", "started_at",
                                                                      "until"):
            out[rig_id] = tuple(row)
    return out


def when(at, z, now):
    """A time as the rows say it: "17:02" today, "2026-05-01 17:02" another day (in the panel's zone)."""
    local = at.astimezone(z)
    return f"{local:%H:%M}" if local.date() == now.astimezone(z).date() else f"{local:%Y-%m-%d %H:%M}"


def text_of(found, z, now):
    """"curtailed: asleep, schedule: evening peak, since 17:02, until 21:00" ("" for a rig not curtailed)."""
    if not found:
        return ""
    how, value, reason, started_at, until = found
    way = "asleep" if how == "sleep" else f"power {value}{' W' if str(value).isdigit() else ''}".strip()
    parts = [way, str(reason or "").strip() or "curtailed", f"since {when(started_at, z, now)}",
             f"until {when(until, z, now)}" if isinstance(until, datetime) else "until resumed"]
    return "curtailed: " + ", ".join(parts)
