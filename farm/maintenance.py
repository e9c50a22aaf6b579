"""Starting and ending maintenance windows: what the form may say, and the writes (the views audit).

A window is for one rig, one rack or one site (``target``: "rig:ID", "rack:ID" or "site:ID"), has a
reason and an end (a number of hours from its start, or a time), and may start later than now.
Ending one early sets its end to now (an upcoming one is cancelled: its end becomes its start) and
records who ended it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from rigs.models import Rig

from .models import Maintenance, Rack, Site

HOURS = (1, 2, 4, 8, 12, 24, 48, 72, 168)
LONGEST = timedelta(days=366)


@dataclass
class Request:
    target: object  # the Rig, Rack or Site
    reason: str
    starts: datetime
    ends: datetime


def target_of(value):
    """The rig, rack or site "rig:12" names, or None."""
    kind, _, pk = str(value).partition(":")
    model = {"rig": Rig, "rack": Rack, "site": Site}.get(kind)
    if model is None or not pk.isdigit():
        return None
    return model.objects.filter(pk=int(pk)).first()


def when(text, field, errors):
    """A datetime-local value ("2026-05-01T14:30") in the panel's time zone, or None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        errors[field] = f"'{text[:30]}' is not a date and time (YYYY-MM-DD HH:MM)."
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def parse(post, now=None):
    """(Request, {}) or (None, {field: error}) from a form's values."""
    now = now or timezone.now()
    errors = {}
    target = target_of(post.get("target", ""))
    if target is None and post.get("rig_name", "").strip():
        target = Rig.objects.filter(name=post["rig_name"].strip()[:64]).first()
        if target is None:
            errors["target"] = f"No rig is named '{post['rig_name'].strip()[:64]}'."
    if target is None and "target" not in errors:
        errors["target"] = "Choose a rig, a rack or a site."
    reason = " ".join(str(post.get("reason", "")).split())
    if not reason:
        errors["reason"] = "Say why (the reason is shown to everyone and kept)."
    elif len(reason) > 300:
        errors["reason"] = "At most 300 characters."
    starts = when(post.get("starts"), "starts", errors) or now
    ends = when(post.get("until"), "until", errors)
    if ends is None and "until" not in errors:
        hours = str(post.get("hours", ""))
        if hours.isdigit() and int(hours) in HOURS:
            ends = starts + timedelta(hours=int(hours))
        else:
            errors["until"] = "Give an end: a number of hours, or a date and time."
    if ends is not None and "until" not in errors:
        if ends <= max(starts, now):
            errors["until"] = "The end must be later than the start and than now."
        elif ends - starts > LONGEST:
            errors["until"] = "At most a year: maintenance always ends by itself."
    if errors:
        return None, errors
    return Request(target, reason, starts, ends), {}


def start(req: Request, user) -> Maintenance:
    scope = {"rig": None, "rack": None, "site": None}
    scope[type(req.target).__name__.lower()] = req.target
    return Maintenance.objects.create(**scope, reason=req.reason, starts=req.starts, ends=req.ends,
                                      by=user.get_username())


def end(window: Maintenance, user, now=None) -> bool:
    """End a window now (cancel it when it has not begun); False when it is over already."""
    now = now or timezone.now()
    if window.ends <= now:
        return False
    window.ends = max(now, window.starts)
    window.ended_by = user.get_username()
    window.save(update_fields=["ends", "ended_by"])
    return True


def targets():
    """The sites and racks a window can be for, for the form's select."""
    return [(f"site:{s.pk}", f"site {s.name}") for s in Site.objects.all()] + [
        (f"rack:{r.pk}", f"rack {r.site.name} / {r.name}") for r in Rack.objects.select_related("site")]
