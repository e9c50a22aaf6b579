"""Price feeds against a loopback HTTP server: the shapes read, the replies refused (status, size, time,
garbage), and curtailment by price end to end with a frozen clock against the Antminer simulator:
hysteresis between the two prices, and the minimum times on and off."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from django.utils import timezone

from automation import curtailing, pricefeed
from automation.models import PriceFeed, PricePolicy
from rigs.models import AuditEntry, Curtailment
from tests.automation.test_schedules import placed
from tests.drivers.asic_helpers import FAST


class Feed:
    """A loopback HTTP server answering ``body`` with ``status``, after ``delay`` seconds per chunk."""

    def __init__(self):
        self.body, self.status, self.delay, self.hits = b"[]", 200, 0.0, 0
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                feed.hits += 1
                self.send_response(feed.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                for i in range(0, len(feed.body), 1024):
                    if feed.delay:
                        time.sleep(feed.delay)
                    try:
                        self.wfile.write(feed.body[i:i + 1024])
                    except OSError:
                        return

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/prices"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed():
    f = Feed()
    yield f
    f.close()


def iso(t):
    return datetime.fromtimestamp(t, tz=UTC).isoformat()


def test_the_shapes_read(feed):
    t = 1_800_000_000
    shapes = [
        json.dumps([{"time": iso(t), "price": 50}, {"time": iso(t + 3600), "price": "120.5"}]),
        json.dumps({"prices": [{"timestamp": t, "value": 50}, {"start": t + 3600, "price": 120.5}]}),
        json.dumps([[iso(t), 50], [t + 3600, 120.5]]),
        f"time,price\n{iso(t)},50\n{iso(t + 3600)},120.5\n",
        f"{t},50\r\n{t + 3600},120.5",
    ]
    for body in shapes:
        feed.body = body.encode()
        assert pricefeed.parse(pricefeed.fetch(feed.url)) == [(t, 50.0), (t + 3600, 120.5)], body
    points = [(t, 50.0), (t + 3600, 120.5)]
    assert pricefeed.price_at(points, t - 1) is None
    assert pricefeed.price_at(points, t + 3599) == 50.0
    assert pricefeed.price_at(points, t + 3600 + pricefeed.MAX_AGE + 1) is None  # too old to go by


def test_replies_refused_say_why(feed):
    feed.status = 500
    with pytest.raises(pricefeed.FeedError, match="HTTP 500"):
        pricefeed.fetch(feed.url)
    feed.status, feed.body = 200, b"[{" + b"x" * 5000
    with pytest.raises(pricefeed.FeedError, match="larger than 4096 bytes"):
        pricefeed.fetch(feed.url, max_bytes=4096)
    with pytest.raises(pricefeed.FeedError, match="not valid JSON"):
        pricefeed.parse(pricefeed.fetch(feed.url))
    feed.body = json.dumps([{"time": "yesterday", "price": "NaN"}, {"price": 3}, "x", None]).encode()
    with pytest.raises(pricefeed.FeedError, match="no time and price"):
        pricefeed.parse(pricefeed.fetch(feed.url))
    feed.body, feed.delay = b"[" + b" " * 8192 + b"]", 0.3  # a trickle
    began = time.monotonic()
    with pytest.raises(pricefeed.FeedError, match="longer than|cannot fetch"):
        pricefeed.fetch(feed.url, timeout=1.0)
    assert time.monotonic() - began < 3
    with pytest.raises(pricefeed.FeedError, match="http:// or https://"):
        pricefeed.fetch("file:///etc/passwd")


@pytest.mark.django_db
def test_a_failed_fetch_keeps_the_prices_and_says_why(feed):
    now = timezone.now()
    feed.body = json.dumps([{"time": iso(now.timestamp() - 60), "price": 40}]).encode()
    f = PriceFeed.objects.create(name="grid", url=feed.url, every_minutes=5)
    assert pricefeed.refresh(f, now) and f.points and f.error == ""
    assert not pricefeed.refresh(f, now + timedelta(minutes=1))  # not due yet
    assert feed.hits == 1
    feed.status = 503
    assert not pricefeed.refresh(f, now + timedelta(minutes=6))
    f.refresh_from_db()
    assert f.error == "HTTP 503" and f.points[0][1] == 40


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_price_hysteresis_and_minimum_times_with_a_frozen_clock(bg, feed):
    sim, rig, site, rack = placed("antminer", bg)
    t0 = timezone.now().replace(second=0, microsecond=0)
    prices = {0: 50, 15: 120, 30: 90, 40: 70, 50: 130}  # minutes from t0: price per MWh
    feed.body = json.dumps([{"time": iso(t0.timestamp() + m * 60), "price": p} for m, p in prices.items()]).encode()
    f = PriceFeed.objects.create(name="grid", url=feed.url, every_minutes=1)
    PricePolicy.objects.create(site=site, feed=f, curtail_above=100, resume_below=80, min_on_minutes=15,
                               min_off_minutes=30)
    assert pricefeed.refresh(f, t0)

    def tick(minutes):
        return curtailing.tick(t0 + timedelta(minutes=minutes))

    assert tick(1) == {"curtailed": [], "resumed": []}  # 50: running
    assert tick(16) == {"curtailed": [rig.pk], "resumed": []} and sim.sleeping  # 120 > 100
    assert Curtailment.objects.get(ended_at=None).reason == "price: Texas"
    assert tick(31)["resumed"] == []  # 90: between the two prices, stays curtailed (hysteresis)
    assert tick(41)["resumed"] == []  # 70 < 80, but curtailed only 25 minutes (min off 30)
    assert tick(47) == {"curtailed": [], "resumed": [rig.pk]} and not sim.sleeping  # 31 minutes: resumes
    assert tick(51)["curtailed"] == []  # 130 > 100, but running only 4 minutes (min on 15)
    assert tick(61)["curtailed"] == []  # 14 minutes
    assert tick(63) == {"curtailed": [rig.pk], "resumed": []} and sim.sleeping  # 16 minutes: curtails again
    policy = PricePolicy.objects.get()
    assert policy.curtailed and policy.price == 130 and policy.changed_at == t0 + timedelta(minutes=63)
    assert [e.username for e in AuditEntry.objects.order_by("id")] == ["price: Texas"] * 3
