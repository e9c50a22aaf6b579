"""Sending notifications through apprise, off the poll path: a daemon thread (started by `serve` and
`pollrigs` beside the poller) takes the due
Notification rows, sends each, and on failure tries again later (NOTIFY_RETRIES times, backoff
doubling from NOTIFY_BACKOFF seconds). A destination's last error is kept and shown in the admin.
Destination URLs carry secrets: they are never logged (apprise's own log is captured, not printed).
A notification of a rig in maintenance (farm.scope) is not sent: it is closed with the reason."""

import logging
import threading
from datetime import timedelta

import apprise
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from farm.scope import in_maintenance

from . import notify_limits
from .models import Notification

log = logging.getLogger("minerpanel.notify")
_started = threading.Lock()
_thread = None


def send(url, title, body):
    """Send one message to one apprise URL; returns "" when sent, else why not (no URL in it). What the
    destination's reply may cost is bounded (notify_limits)."""
    ap = apprise.Apprise()
    if not ap.add(url):
        return "not an apprise URL this panel understands"
    with (apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured,
          notify_limits.bounded() as limits):
        ok = ap.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
    if limits.expired:
        return f"no whole answer within {notify_limits.TIMEOUT:g} s"
    if ok:
        return ""
    lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    why = next((line for line in reversed(lines) if "http" not in line.lower() and "://" not in line), "")
    return (why or "the destination refused the message")[:300]


def backoff(attempts):
    return timedelta(seconds=settings.NOTIFY_BACKOFF * 2 ** max(0, attempts - 1))


def send_due(limit=50):
    """Send the notifications whose time has come; returns how many were sent."""
    now = timezone.now()
    sent = 0
    due = list(Notification.objects.filter(done=False, next_try__lte=now).select_related("destination", "alert")
               .order_by("next_try")[:limit])
    held = in_maintenance(now) if due else set()
    for n in due:
        if n.alert is not None and n.alert.rig_id in held:  # queued before the rig went into maintenance
            Notification.objects.filter(id=n.id, done=False).update(done=True,
                                                                     error="not sent: the rig is in maintenance")
            continue
        # claim it (several workers stay safe): only the one whose update matches sends
        claimed = Notification.objects.filter(id=n.id, done=False, attempts=n.attempts).update(
            attempts=n.attempts + 1, next_try=now + backoff(n.attempts + 1))
        if not claimed:
            continue
        d = n.destination
        error = send(d.url, n.title, n.body) if d.enabled else "destination disabled"
        n.attempts += 1
        if not error:
            n.done, n.sent_at, n.error = True, timezone.now(), ""
            d.last_ok_at, d.last_error = n.sent_at, ""
            d.save(update_fields=["last_ok_at", "last_error"])
            sent += 1
        else:
            n.error = error
            n.done = n.attempts > settings.NOTIFY_RETRIES
            d.last_error, d.last_error_at = error, timezone.now()
            d.save(update_fields=["last_error", "last_error_at"])
            log.warning("notification %s to destination %r failed (attempt %d): %s", n.id, d.name, n.attempts, error)
        n.save(update_fields=["attempts", "done", "sent_at", "error"])
    return sent


def loop(stop, every=2.0):
    while not stop.wait(every):
        try:
            close_old_connections()  # this thread's connection, between rounds
            send_due()
        except Exception:
            log.exception("sending notifications failed; trying again")


def start():
    """Start the sender thread once per process."""
    global _thread
    with _started:
        if _thread is None:
            _thread = threading.Thread(target=loop, args=(threading.Event(),), name="notify", daemon=True)
            _thread.start()
