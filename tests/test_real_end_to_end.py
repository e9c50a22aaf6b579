"""A real machine's replies end to end: the replay rig (tests/replay.py) serves the Whatsminer M20S 20200917
capture (tests/fixtures/real/SOURCES.md) on loopback, the poller polls and stores it, and the rig page and the
API read it back as a healthy machine."""

import asyncio

import pytest
from django.contrib.auth.models import Group, User

from minerpanel.models import ApiToken
from rigs import poller
from rigs.models import Rig, Snapshot
from tests.conftest import free_port
from tests.replay import Replay, serve

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_poller_stores_a_real_whatsminer_and_the_page_and_api_read_it_ok(bg, client):
    replay = Replay("whatsminer/foreman-apps-m20s-20200917")
    port = free_port()
    bg.run(serve(replay, "127.0.0.1", port))
    rig = Rig.objects.create(name="m20s", host="127.0.0.1", port=port, kind="whatsminer")
    asyncio.run(poller.poll_once())
    snap = Snapshot.objects.get(rig=rig)
    assert snap.error == "" and snap.brief["health"] == {"state": "ok", "reasons": []}
    assert snap.sections["SUMMARY"][0]["Firmware Version"] == "'20200917.22.REL'"
    assert len(snap.sections["DEVS"]) == 3 and len(snap.sections["POOLS"]) == 2

    user = User.objects.create_user("bob", password="x")
    user.groups.add(Group.objects.get_or_create(name="usr")[0])
    client.force_login(user)
    page = client.get(f"/rigs/{rig.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "64.14 TH/s" in html and "us-east.stratum.slushpool.com" in html and "20200917.22.REL" in html

    _, text = ApiToken.issue(user, "e2e")
    rigs = client.get("/api/rigs/", HTTP_AUTHORIZATION=f"Bearer {text}").json()
    mine = next(r for r in (rigs.get("rigs") if isinstance(rigs, dict) else rigs) if r["name"] == "m20s")
    assert mine["health"] == "ok" and mine["reasons"] == []
    assert mine["figures"]["hashrate_now_hs"] == pytest.approx(64143777.95e6)
    assert mine["figures"]["max_temp"] == 72.0 and mine["figures"]["max_chip_temp"] == 87.7
    summary = client.get(f"/api/rigs/{rig.pk}/summary/", HTTP_AUTHORIZATION=f"Bearer {text}")
    assert summary.status_code == 200 and "SUMMARY" in summary.content.decode()
