"""Price feeds: fetch an admin-set URL (bounded in time and size, the reply never trusted), read its prices
per MWh over time, and say the price in force at a moment.

The shapes read (README: Curtailment):

    [{"time": "2026-05-01T17:00:00Z", "price": 87.5}, ...]       a JSON array of objects
    {"prices": [...]}                                            the same array under "prices"
    [["2026-05-01T17:00:00Z", 87.5], ...]                        an array of pairs
    time,price\n2026-05-01T17:00:00Z,87.5\n...                   CSV, the header line optional

A time is ISO 8601 (without a zone: UTC) or Unix seconds; "t", "timestamp" and "start" are taken for
"time", "value" for "price". A price holds from its time until the next one, for at most MAX_AGE.
"""

import csv
import io
import json
import logging
import math
import time
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone

log = logging.getLogger("minerpanel.automation")

MAX_POINTS = 5000
KEEP = 2 * 86400  # seconds of points kept either side of now
MAX_AGE = 3 * 3600  # a price older than this is no current price
TIME_KEYS = ("time", "t", "timestamp", "start")
PRICE_KEYS = ("price", "value")


class FeedError(Exception):
    pass


def fetch(url, timeout=None, max_bytes=None):
    """The reply's bytes: HTTP(S) only, no redirect, at most ``max_bytes``, all within ``timeout`` seconds."""
    timeout = settings.PRICE_FEED_TIMEOUT if timeout is None else timeout
    max_bytes = settings.PRICE_FEED_MAX_BYTES if max_bytes is None else max_bytes
    if not str(url).lower().startswith(("http://", "https://")):
        raise FeedError("the URL must start with http:// or https://")
    deadline = time.monotonic() + timeout
    try:
        with requests.get(url, timeout=(min(timeout, 5.0), timeout), stream=True, allow_redirects=False,
                          headers={"Accept": "application/json, text/csv"}) as reply:
            if reply.status_code != 200:
                raise FeedError(f"HTTP {reply.status_code}")
            body = bytearray()
            for chunk in reply.iter_content(16384):
                body += chunk
                if len(body) > max_bytes:
                    raise FeedError(f"the reply is larger than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise FeedError(f"the reply took longer than {timeout:g} s")
            return bytes(body)
    except requests.RequestException as exc:
        raise FeedError(f"cannot fetch: {type(exc).__name__}") from None


def when(value):
    """Unix seconds from an ISO 8601 text or a number; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) and 0 < value < 1e11 else None
    text = str(value).strip()[:40]
    try:
        return float(text) if 0 < float(text) < 1e11 else None
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def number(value):
    if isinstance(value, bool):
        return None
    try:
        n = float(str(value).strip()[:40]) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        return None
    return n if math.isfinite(n) else None


def pair(item):
    if isinstance(item, dict):
        t = next((item[k] for k in TIME_KEYS if k in item), None)
        p = next((item[k] for k in PRICE_KEYS if k in item), None)
    elif isinstance(item, (list, tuple)) and len(item) >= 2:
        t, p = item[0], item[1]
    else:
        return None
    t, p = when(t), number(p)
    return (t, p) if t is not None and p is not None else None


def parse(body):
    """[(unix seconds, price)] sorted by time, from any of the shapes; FeedError when none is there."""
    text = body.decode("utf-8-sig", errors="replace").strip()
    items = None
    if text[:1] in "[{":
        try:
            data = json.loads(text)
        except ValueError:
            raise FeedError("the reply is not valid JSON") from None
        items = data.get("prices") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise FeedError('JSON: expected an array, or an object with "prices"')
    else:
        items = list(csv.reader(io.StringIO(text)))
    points = {}
    for item in items[: MAX_POINTS * 4]:
        got = pair(item)
        if got:
            points[got[0]] = got[1]
    if not points:
        raise FeedError("no time and price found (see the shapes in the README)")
    return sorted(points.items())


def price_at(points, now):
    """The price in force at ``now`` (Unix seconds): the latest at or before it, if not older than MAX_AGE."""
    found = None
    for t, p in points:
        if t > now:
            break
        found = (t, p)
    return found[1] if found and now - found[0] <= MAX_AGE else None


def refresh(feed, now=None, force=False):
    """Fetch the feed when it is due (``every_minutes`` since the last try); keep its points or its error."""
    now = now or timezone.now()
    if not force and feed.fetched_at and now - feed.fetched_at < timedelta(minutes=feed.every_minutes):
        return False
    feed.fetched_at = now
    try:
        points = parse(fetch(feed.url))
    except FeedError as exc:
        feed.error = str(exc)[:300]
        log.warning("price feed %s: %s", feed.name, feed.error)
        feed.save(update_fields=["fetched_at", "error"])
        return False
    t = now.timestamp()
    kept = [[pt, p] for pt, p in points if t - KEEP <= pt <= t + KEEP][-MAX_POINTS:]
    feed.points, feed.ok_at, feed.error = kept, now, ""
    feed.save(update_fields=["fetched_at", "points", "ok_at", "error"])
    log.info("price feed %s: %d prices", feed.name, len(kept))
    return True
