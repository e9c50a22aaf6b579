"""The HTTP JSON API: tokens, snapshot reads in the miner's layout, fresh reads, control."""

import json
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings

from custompages.models import CustomPage, PageSection
from minerpanel.devkit.bench import snapshot_of
from minerpanel.models import ApiToken
from rigs.models import AuditEntry, Rig, Snapshot
from rigs.readings.brief import make_brief
from rigs.simulators.cgminer import SimRig
from tests.base import whole_sections_reads

pytestmark = pytest.mark.django_db(transaction=True)
FAST = {"RIG_TIMEOUT": 1.0, "RIG_CONNECT_TIMEOUT": 1.0}


@pytest.fixture
def people():
    alice = User.objects.create_user("alice", password="x")
    alice.groups.add(Group.objects.get_or_create(name="sys")[0])
    bob = User.objects.create_user("bob", password="x")
    return alice, bob


def auth(text):
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def stored_rig(name="rig-a", host="10.0.0.5", port=4028, sim=None):
    rig = Rig.objects.create(name=name, host=host, port=port)
    sections, statuses = snapshot_of(sim or SimRig(flavour="cgminer", devices=2, pools=2))
    from django.utils import timezone

    now = timezone.now()
    Snapshot.objects.create(rig=rig, sections=sections, statuses=statuses, brief=make_brief(sections, statuses),
                            polled_at=now, last_ok_at=now)
    return rig


def test_tokens_are_required_and_stored_hashed(people):
    token, text = ApiToken.issue(people[1], "script")
    assert text.startswith("mp_") and token.digest != text
    assert not ApiToken.objects.filter(digest__contains=text[8:]).exists()
    c = Client()
    assert c.get("/api/rigs/").status_code == 401
    assert c.get("/api/rigs/", **auth("mp_wrong")).status_code == 401
    r = c.get("/api/rigs/", **auth(text))
    assert r.status_code == 200 and r.json() == {"rigs": []}
    token.delete()
    assert c.get("/api/rigs/", **auth(text)).json()["error"].startswith("a valid token")


def test_rigs_and_commands_from_the_snapshot(people):
    _, text = ApiToken.issue(people[1], "script")
    stored_rig()
    c = Client()
    rigs = c.get("/api/rigs/", **auth(text)).json()["rigs"]
    assert rigs[0]["name"] == "rig-a" and rigs[0]["state"] == "ok" and rigs[0]["summary"]["Accepted"] > 0
    joined = c.get("/api/rigs/rig-a/summary+pools/", **auth(text)).json()
    assert list(joined) == ["summary", "pools", "id"]  # the real miners' join layout
    assert joined["pools"][0]["POOLS"][1]["POOL"] == 1 and joined["summary"][0]["STATUS"][0]["Code"] == 11
    single = c.get("/api/rigs/rig-a/devs/", **auth(text)).json()
    assert len(single["DEVS"]) == 2 and single["id"] == 1
    root = c.get("/api/rigs/rig-a/", **auth(text)).json()
    assert set(root) == {"summary", "devs", "id"}
    assert c.get("/api/rigs/nope/summary/", **auth(text)).status_code == 404
    assert c.get("/api/rigs/rig-a/bogus/", **auth(text)).status_code == 400


def test_the_list_of_rigs_reads_two_sections_of_each_snapshot_in_a_constant_number_of_queries(people):
    """/api/rigs/ read every snapshot whole (all its sections: gigabytes in the web process at 100,000
    rigs) for the VERSION and SUMMARY it shows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, text = ApiToken.issue(people[1], "script")
    rigs = [stored_rig(name=f"rig-{i}", host=f"10.0.0.{i + 5}") for i in range(3)]
    c = Client()
    with CaptureQueriesContext(connection) as few:
        listed = c.get("/api/rigs/", **auth(text)).json()["rigs"]
    for rig, shown in zip(rigs, listed):
        snap = Snapshot.objects.get(rig=rig)
        assert shown["summary"] == snap.sections["SUMMARY"][0]
        assert shown["miner"] == "cgminer " + snap.sections["VERSION"][0]["CGMiner"]
    assert whole_sections_reads(few.captured_queries) == []
    stored_rig(name="rig-9", host="10.0.0.99")
    with CaptureQueriesContext(connection) as more:
        assert len(c.get("/api/rigs/", **auth(text)).json()["rigs"]) == 4
    assert len(more.captured_queries) == len(few.captured_queries)


def test_reachability_and_health_are_two_words(people):
    """A rig that answers, with a dead board: reachable ("ok"), unhealthy ("err"); `state` is the old
    name of reachability. A rig never polled: "new", no health yet."""
    _, text = ApiToken.issue(people[1], "script")
    rig = Rig.objects.create(name="rig-d", host="10.0.0.6", port=4028)
    sections, statuses = snapshot_of(SimRig(flavour="cgminer", devices=2, pools=2))
    sections["DEVS"][0]["Status"] = "Dead"
    from django.utils import timezone

    now = timezone.now()
    Snapshot.objects.create(rig=rig, sections=sections, statuses=statuses, brief=make_brief(sections, statuses),
                            polled_at=now, last_ok_at=now)
    Rig.objects.create(name="rig-n", host="10.0.0.7", port=4028)
    rigs = {r["name"]: r for r in Client().get("/api/rigs/", **auth(text)).json()["rigs"]}
    dead = rigs["rig-d"]
    assert (dead["reachability"], dead["health"], dead["state"]) == ("ok", "err", "ok")
    assert any(r["level"] == "err" and "Dead" in r["text"] for r in dead["reasons"])
    assert (rigs["rig-n"]["reachability"], rigs["rig-n"]["health"], rigs["rig-n"]["state"]) == ("new", None, "new")


@override_settings(**FAST)
def test_fresh_reads_ask_the_rig(farm, people):
    _, text = ApiToken.issue(people[1], "script")
    sim = SimRig(flavour="sgminer", devices=2, pools=1)
    f = farm(sim)
    stored_rig(host="127.0.0.1", port=f.port(0), sim=sim)
    c = Client()
    gpu = c.get("/api/rigs/rig-a/gpu/1", **auth(text)).json()
    assert gpu["GPU"][0]["GPU"] == 1
    fresh = c.get("/api/rigs/rig-a/summary/?fresh=1", **auth(text)).json()
    assert fresh["STATUS"][0]["Msg"] == "Summary"
    Rig.objects.create(name="gone", host="127.0.0.1", port=1)
    r = c.get("/api/rigs/gone/summary/?fresh=1", **auth(text))
    assert r.status_code == 502 and "refused" in r.json()["error"]


@override_settings(HIDE_FIELDS=["POOL.User", "POOL.URL", "STATUS.Description", "ASC.Temperature"], **FAST)
def test_hidden_fields_are_hidden_on_fresh_reads_too(farm, people):
    _, text = ApiToken.issue(people[1], "script")
    sim = SimRig(flavour="cgminer", devices=2, pools=2)
    f = farm(sim)
    stored_rig(host="127.0.0.1", port=f.port(0), sim=sim)
    c = Client()
    pools = c.get("/api/rigs/rig-a/pools/?fresh=1", **auth(text)).json()
    assert len(pools["POOLS"]) == 2 and all("User" not in p and "URL" not in p for p in pools["POOLS"])
    assert all("Stratum URL" in p for p in pools["POOLS"])  # only the fields named
    assert "Description" not in pools["STATUS"][0]
    edevs = c.get("/api/rigs/rig-a/edevs/", **auth(text)).json()  # not stored: asked now, hidden too
    assert edevs["DEVS"] and all("Temperature" not in d for d in edevs["DEVS"])


@override_settings(**FAST)
def test_control_needs_a_control_token_and_post(farm, people):
    alice, bob = people
    sim = SimRig(flavour="cgminer", devices=1, pools=2)
    for p in sim.pools:
        p["dead"] = False
    f = farm(sim)
    stored_rig(host="127.0.0.1", port=f.port(0), sim=sim)
    _, read_text = ApiToken.issue(alice, "read")
    _, bob_control = ApiToken.issue(bob, "bob", can_control=True)  # bob is usr: control is not honoured
    _, control_text = ApiToken.issue(alice, "ops", can_control=True)
    c = Client()
    assert c.get("/api/rigs/rig-a/switchpool/1", **auth(control_text)).status_code == 405
    body = json.dumps({"pool": 1})
    assert c.post("/api/rigs/rig-a/switchpool/", body, content_type="application/json",
                  **auth(read_text)).status_code == 403
    assert c.post("/api/rigs/rig-a/switchpool/", body, content_type="application/json",
                  **auth(bob_control)).status_code == 403
    r = c.post("/api/rigs/rig-a/switchpool/", body, content_type="application/json", **auth(control_text))
    assert r.status_code == 200 and r.json()["code"] == 27
    assert sim.pools[1]["priority"] == 0
    r = c.post("/api/rigs/rig-a/switchpool/", json.dumps({"pool": 9}), content_type="application/json",
               **auth(control_text))
    assert r.status_code == 400 and "no pool 9" in r.json()["message"]
    r = c.post("/api/rigs/rig-a/quit/", "{}", content_type="application/json", **auth(control_text))
    assert r.status_code == 400 and "confirm" in r.json()["error"]
    outcomes = list(AuditEntry.objects.order_by("id").values_list("username", "outcome"))
    assert outcomes == [("alice", "refused"), ("bob", "refused"), ("alice", "S"), ("alice", "invalid")]


def test_custom_page_as_json(people):
    _, text = ApiToken.issue(people[1], "script")
    stored_rig()
    page = CustomPage.objects.create(name="Mine", slug="mine")
    PageSection.objects.create(page=page, section="POOL", fields="URL=Pool\nAccepted", totals="Accepted")
    c = Client()
    assert c.get("/api/pages/mine/").status_code == 401
    data = c.get("/api/pages/mine/", **auth(text)).json()
    assert data["tables"][0]["columns"] == ["Rig", "Pool", "Accepted"]
    assert len(data["tables"][0]["rows"]) == 2 and data["tables"][0]["totals"]["Accepted"]
    CustomPage.objects.filter(pk=page.pk).update(public=True)
    assert Client().get("/api/pages/mine/").status_code == 200


def test_token_page(people):
    alice, bob = people
    c = Client()
    c.force_login(bob)
    r = c.post("/tokens/", {"name": "grafana", "can_control": "on"})
    assert "shown only now" in r.content.decode()
    token = ApiToken.objects.get(user=bob)
    assert token.can_control is False  # usr users cannot make control tokens
    c.post("/tokens/", {"revoke": token.pk})
    assert not ApiToken.objects.filter(user=bob).exists()


def test_a_flood_of_requests_for_a_whole_page_computes_it_once_while_it_is_recent(people, monkeypatch):
    """The API computes a page from every rig in the web process (30 s at 100,000 rigs): each request did,
    so a public page could be asked into a web process's every core. Now it is computed once and shared
    for SHARE times what that took; while one request computes it, another gets the result before, or
    503 with Retry-After when there is none yet."""
    from django.core.cache import cache

    from rigs.api import views as api_views
    from rigs.web import recent

    stored_rig()
    page = CustomPage.objects.create(name="Mine", slug="mine", public=True)
    PageSection.objects.create(page=page, section="POOL", fields="URL=Pool\nAccepted", totals="Accepted")
    computed = []
    real = api_views.page_tables

    def slow(*args):
        computed.append(args)
        clock[0] += 10.0  # the computation "took" 10 s: shared for 40 s
        return real(*args)

    clock = [1_000_000.0]
    monkeypatch.setattr(api_views, "page_tables", slow)
    monkeypatch.setattr(recent.time, "time", lambda: clock[0])
    monkeypatch.setattr(recent.time, "monotonic", lambda: clock[0])
    first = Client().get("/api/pages/mine/").json()
    assert len(computed) == 1 and len(first["tables"][0]["rows"]) == 2
    for _ in range(20):
        assert Client().get("/api/pages/mine/").json() == first
    assert len(computed) == 1
    clock[0] += 35  # 35 s after it was computed: still recent
    assert Client().get("/api/pages/mine/").json() == first and len(computed) == 1
    clock[0] += 10  # 45 s: computed again
    assert Client().get("/api/pages/mine/").json() == first and len(computed) == 2
    # due again while another process computes it (its mark in the shared cache): the one before meanwhile
    clock[0] += 50
    class ComputedElsewhere:  # the shared cache as another process marked it: computing
        def __init__(self):
            self.marks = []

        def __getattr__(self, name):
            return getattr(cache, name)

        def add(self, key, *args, **kw):
            self.marks.append(key)
            return False

    elsewhere = ComputedElsewhere()
    with mock.patch.object(recent, "cache", elsewhere):
        assert Client().get("/api/pages/mine/").json() == first and len(computed) == 2
        assert elsewhere.marks and elsewhere.marks[0].endswith(":computing")
        # ... and a page computed by nobody before: 503, ask again
        other = CustomPage.objects.create(name="Other", slug="other", public=True)
        PageSection.objects.create(page=other, section="POOL", fields="URL")
        r = Client().get("/api/pages/other/")
        assert r.status_code == 503 and r["Retry-After"] == "10" and "ask again" in r.json()["error"]
    assert Client().get("/api/pages/other/").status_code == 200 and len(computed) == 3


def test_a_whole_page_for_the_api_reads_one_rig_at_a_time(people, monkeypatch):
    """Like the sections across rigs (custompages/across.py): not every rig's sections beside the engine's copies."""
    import gc

    from custompages import render
    from rigs.web.rigdata import RigData

    for i in range(6):
        stored_rig(name=f"rig-{i}", host=f"10.0.2.{i}")
    page = CustomPage.objects.create(name="Mine", slug="mine", public=True)
    PageSection.objects.create(page=page, section="POOL", fields="URL=Pool\nAccepted", totals="Accepted")
    held = []
    real = render.engine_rig

    def counting(rig, *args):
        held.append(sum(1 for o in gc.get_objects() if type(o) is RigData))
        return real(rig, *args)

    monkeypatch.setattr(render, "engine_rig", counting)
    data = Client().get("/api/pages/mine/").json()
    assert len(data["tables"][0]["rows"]) == 12  # two pools a rig
    assert len(held) == 6 and max(held) <= 2, held
