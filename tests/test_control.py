"""Privileged commands against the simulator: state changes, refusals, audit, bulk."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings

from rigs.models import AuditEntry, Rig, Snapshot
from rigs.simulators.cgminer import SimRig
from tests.base import whole_sections_reads

pytestmark = pytest.mark.django_db(transaction=True)
FAST = {"RIG_TIMEOUT": 1.0, "RIG_CONNECT_TIMEOUT": 1.0}


@pytest.fixture
def users():
    sys_user = User.objects.create_user("alice", password="alice-password")
    sys_user.groups.add(Group.objects.get_or_create(name="sys")[0])
    usr = User.objects.create_user("bob", password="bob-password")
    return sys_user, usr


def rigs_for(f):
    import asyncio

    from rigs.polling import poller

    rigs = [Rig.objects.create(name=f"r{i}", host="127.0.0.1", port=f.port(i)) for i in range(len(f.rigs))]
    asyncio.run(poller.poll_once())
    return rigs


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def active_url(rig):
    from rigs.readings.records import active_pool

    return active_pool(Snapshot.objects.get(rig=rig).sections["POOLS"])["URL"]


@override_settings(**FAST)
def test_switchpool_moves_the_active_pool(farm, users):
    sim = SimRig(flavour="cgminer", pools=3, devices=1)
    for p in sim.pools:
        p["dead"] = False
    f = farm(sim)
    (rig,) = rigs_for(f)
    assert active_url(rig) == sim.pools[0]["url"]
    r = client_for(users[0]).post(f"/rigs/{rig.pk}/command/", {"command": "switchpool", "pool": "2"}, follow=True)
    assert "Switching to pool 2" in r.content.decode()
    assert active_url(rig) == sim.pools[2]["url"]  # re-polled at once
    entry = AuditEntry.objects.get()
    assert (entry.username, entry.command, entry.params, entry.outcome, entry.code) == (
        "alice", "switchpool", {"pool": 2}, "S", 27)
    assert entry.address == "127.0.0.1"
    access = re.search(r"<p>Access:(.*?)</p>", r.content.decode(), re.S).group(1)  # the rig's access, not the reply
    assert "granted" in access and "Switching" not in access and "switchpool was accepted" in access


@override_settings(**FAST)
def test_disabled_device_stops(farm, users):
    sim = SimRig(flavour="cgminer", pools=1, devices=2)
    f = farm(sim)
    (rig,) = rigs_for(f)
    client_for(users[0]).post(f"/rigs/{rig.pk}/command/", {"command": "ascdisable", "device": "1"})
    assert sim.devices[1]["enabled"] is False
    dev = Snapshot.objects.get(rig=rig).sections["DEVS"][1]
    assert dev["Enabled"] == "N" and dev["MHS 5s"] == 0


@override_settings(**FAST)
def test_addpool_then_removepool_with_the_password_redacted(farm, users):
    sim = SimRig(flavour="bfgminer", pools=1, devices=1)
    f = farm(sim)
    (rig,) = rigs_for(f)
    c = client_for(users[0])
    c.post(f"/rigs/{rig.pk}/command/", {"command": "addpool", "url": "stratum+tcp://new.example:3333",
                                        "user": "w,1", "password": "s3cret\\x"})
    assert sim.pools[1]["user"] == "w,1" and sim.pools[1]["pass"] == "s3cret\\x"  # escaped on the wire
    entry = AuditEntry.objects.get(command="addpool")
    assert entry.params["password"] == "•••" and "s3cret" not in str(entry.params) + entry.message
    assert len(Snapshot.objects.get(rig=rig).sections["POOLS"]) == 2
    c.post(f"/rigs/{rig.pk}/command/", {"command": "removepool", "pool": "1", "confirm": "yes"})
    assert len(sim.pools) == 1


@override_settings(**FAST)
def test_bad_values_never_reach_the_rig(farm, users):
    sim = SimRig(flavour="cgminer", pools=2, devices=1)
    f = farm(sim)
    (rig,) = rigs_for(f)
    c = client_for(users[0])
    before = [p["priority"] for p in sim.pools]
    r = c.post(f"/rigs/{rig.pk}/command/", {"command": "switchpool", "pool": "99"}, follow=True)
    assert "the rig has no pool 99" in r.content.decode()
    r = c.post(f"/rigs/{rig.pk}/command/", {"command": "addpool", "url": "ftp://x", "user": "u", "password": "p"},
               follow=True)
    assert "a pool URL such as" in r.content.decode()
    assert [p["priority"] for p in sim.pools] == before and len(sim.pools) == 2
    assert list(AuditEntry.objects.values_list("outcome", flat=True)) == ["invalid", "invalid"]


@override_settings(**FAST)
def test_dangerous_commands_need_confirmation(farm, users):
    sim = SimRig(flavour="cgminer")
    f = farm(sim)
    (rig,) = rigs_for(f)
    r = client_for(users[0]).post(f"/rigs/{rig.pk}/command/", {"command": "restart"}, follow=True)
    assert "tick &#x27;I am sure&#x27;" in r.content.decode()
    assert AuditEntry.objects.get().outcome == "refused"


@override_settings(**FAST)
def test_access_denied_is_explained(farm, users):
    f = farm(SimRig(flavour="cgminer", access="R", pools=2))
    (rig,) = rigs_for(f)
    c = client_for(users[0])
    r = c.post(f"/rigs/{rig.pk}/command/", {"command": "switchpool", "pool": "1"}, follow=True)
    body = r.content.decode()
    assert "--api-allow W:127.0.0.1" in body
    r = c.post(f"/rigs/{rig.pk}/access/", follow=True)
    assert "refused" in r.content.decode()
    rig.refresh_from_db()
    assert rig.access_ok is False and "W:127.0.0.1" in rig.access_msg
    assert [e.code for e in AuditEntry.objects.order_by("id")] == [45, 45]


@override_settings(**FAST)
def test_refusals_are_audited(farm, users):
    sim = SimRig(flavour="cgminer", pools=2)
    f = farm(sim)
    (rig,) = rigs_for(f)
    url = f"/rigs/{rig.pk}/command/"
    data = {"command": "switchpool", "pool": "1"}
    assert client_for(users[1]).post(url, data).status_code == 403          # usr
    assert Client().post(url, data).status_code == 302                        # anonymous -> login
    assert client_for(users[0]).get(url, data).status_code == 405             # GET
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users[0])
    assert strict.post(url, data).status_code == 403                          # no CSRF token
    with override_settings(READONLY=True):
        assert client_for(users[0]).post(url, data).status_code == 403
    Rig.objects.filter(pk=rig.pk).update(readonly=True)
    assert client_for(users[0]).post(url, data).status_code == 403
    assert [p["priority"] for p in sim.pools] == [0, 1]                       # nothing was sent
    outcomes = list(AuditEntry.objects.order_by("id").values_list("outcome", "message"))
    assert len(outcomes) == 6 and all(o == "refused" for o, _ in outcomes)
    assert "CSRF" in outcomes[3][1]


@override_settings(**FAST)
def test_usr_sees_no_controls(farm, users):
    f = farm(SimRig(pools=1))
    (rig,) = rigs_for(f)
    assert 'id="controls"' not in client_for(users[1]).get(f"/rigs/{rig.pk}/").content.decode()
    page = client_for(users[0]).get(f"/rigs/{rig.pk}/").content.decode()
    assert 'id="controls"' in page and "Switch to" in page and "Add pool" in page
    assert client_for(users[1]).get("/audit/").status_code == 403


@override_settings(**FAST)
def test_bulk_with_mixed_outcomes(farm, users):
    sims = [SimRig(flavour="cgminer"), SimRig(fault="refuse"), SimRig(fault="hang"), SimRig(flavour="bfgminer"),
            SimRig(access="R")]
    f = farm(*sims)
    rigs = [Rig.objects.create(name=f"r{i}", host="127.0.0.1", port=f.port(i)) for i in range(len(sims))]
    r = client_for(users[0]).post("/bulk/run/", {"command": "setconfig", "name": "queue", "value": "3",
                                                 "target": "selected", "rigs": [str(x.pk) for x in rigs]})
    body = r.content.decode()
    assert r.status_code == 200
    assert body.count("Set config &#x27;queue&#x27; to 3") == 2
    assert "connection refused" in body and "no reply within 1 s" in body and "--api-allow W:" in body
    assert sims[0].config["queue"] == 3 and sims[3].config["queue"] == 3
    assert sorted(AuditEntry.objects.values_list("outcome", flat=True)) == ["E", "S", "S", "error", "error"]


@override_settings(**FAST)
def test_bulk_by_active_pool(farm, users):
    a, b = SimRig(flavour="cgminer", pools=1), SimRig(flavour="cgminer", pools=1)
    b.pools[0]["url"] = "stratum+tcp://other.example:3333"
    f = farm(a, b)
    rigs_for(f)
    client_for(users[0]).post("/bulk/run/", {"command": "hotplug", "seconds": "0", "target": "pool",
                                             "pool_url": a.pools[0]["url"]})
    assert a.config["hotplug"] == 0 and b.config["hotplug"] == 5


def test_bulk_reads_each_rigs_pools_and_devices_not_its_whole_snapshot(users):
    """Bulk read every enabled rig's snapshot whole (gigabytes in a web process at 100,000 rigs) for the
    pools it offers and the rigs with a sick device."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from rigs.web.views import bulk_targets

    now = timezone.now()
    for i, (url, status) in enumerate([("stratum+tcp://a.example:3333", "Alive"), ("stratum+tcp://b.example:3333",
                                                                                   "Sick")]):
        rig = Rig.objects.create(name=f"r{i}", host="127.0.0.1", port=4028 + i)
        sections = {"POOLS": [{"POOL": 0, "URL": url, "Status": "Alive", "Stratum Active": True, "Priority": 0}],
                    "DEVS": [{"ASC": 0, "Name": "BTB", "ID": 0, "Status": status}],
                    "STATS": [{"ID": f"BTB{j}", "Big": "x" * 1000} for j in range(5)]}
        Snapshot.objects.create(rig=rig, sections=sections, polled_at=now, last_ok_at=now)
    with CaptureQueriesContext(connection) as seen:
        page = client_for(users[0]).get("/bulk/").content.decode()
        sick = bulk_targets({"target": "sick"})
        by_pool = bulk_targets({"target": "pool", "pool_url": "stratum+tcp://a.example:3333"})
    assert "stratum+tcp://a.example:3333" in page and "stratum+tcp://b.example:3333" in page
    assert [r.name for r in sick] == ["r1"] and [r.name for r in by_pool] == ["r0"]
    assert whole_sections_reads(seen.captured_queries) == []

def test_the_audit_log_filters_past_the_latest_500(users):
    from rigs.models import AuditEntry

    AuditEntry.objects.bulk_create([AuditEntry(username="alice", rig_name="r1", command="switchpool", outcome="S",
                                               message="ok") for _ in range(600)])
    AuditEntry.objects.create(username="carol", rig_name="r2", command="restart", outcome="refused",
                              message="the rig is read-only")
    for _ in range(3):
        AuditEntry.objects.create(username="alice", rig_name="r2", command="quit", outcome="E", message="Access denied")
    c = client_for(users[0])
    page = c.get("/audit/").content.decode()
    assert "the latest 500 of 604" in page and page.count('<tr class="outcome-') == 500
    page = c.get("/audit/?user=carol").content.decode()
    assert page.count('<tr class="outcome-') == 1 and "the rig is read-only" in page and "1 entry matching" in page
    page = c.get("/audit/?rig=r2&outcome=E").content.decode()
    assert page.count('<tr class="outcome-E"') == 3 and "carol" not in page.split("<tbody>")[1]
    page = c.get("/audit/?command=quit&q=denied").content.decode()
    assert page.count('<tr class="outcome-') == 3
    assert c.get("/audit/?q=nothing-like-this").content.decode().count("No entry matches.") == 1


def test_bulk_lists_only_the_rigs_a_command_applies_to(users):
    Rig.objects.create(name="cg", host="127.0.0.1", port=4028)
    Rig.objects.create(name="xm", host="127.0.0.1", port=8080, kind="xmrig")
    page = client_for(users[0]).get("/bulk/").content.decode()
    pause = page.split("Pause mining")[1].split("</details>")[0]
    assert "> xm</label>" in pause and "> cg</label>" not in pause
    zero = page.split("<summary>Zero")[1].split("</details>")[0] if "<summary>Zero" in page else ""
    assert "> cg</label>" in zero and "> xm</label>" not in zero
    # sending to "all" leaves the other kinds out rather than failing on them
    r = client_for(users[0]).post("/bulk/run/", {"command": "pause", "target": "selected",
                                                  "rigs": [str(Rig.objects.get(name="cg").pk)]})
    assert r.status_code == 302 and not AuditEntry.objects.filter(command="pause").exists()


def test_a_pool_url_needs_a_real_port():
    from rigs.control import commands, params

    c = commands.COMMANDS["addpool"]
    values = {"user": "u", "password": "p"}
    for good in ("stratum+tcp://pool.example.org:3333", "stratum+tcp://pool.example.org", "stratum+ssl://[::1]:443",
                 "stratum+tcp://[2001:db8::1]"):
        assert params.clean(c, {**values, "url": good}, {})["url"] == good
    for bad in ("stratum+tcp://pool.example.org:99999", "stratum+tcp://pool.example.org:0", "stratum+tcp://h.example:x"):
        with pytest.raises(params.Invalid, match="url: the port must be a number from 1 to 65535"):
            params.clean(c, {**values, "url": bad}, {})


def test_a_commands_parameters_are_one_django_form_for_the_page_and_the_checks():
    from django import forms as django_forms

    from rigs.control import commands, params

    gpufan = commands.COMMANDS["gpufan"]
    form_class = params.form_class(gpufan)
    assert issubclass(form_class, django_forms.Form) and list(form_class.base_fields) == ["device", "percent"]
    percent = form_class.base_fields["percent"]
    assert (percent.required, percent.widget.input_type, percent.widget.attrs) == (
        True, "number", {"min": 0, "max": 100, "step": "1"})
    sections = {"DEVS": [{"GPU": 0}, {"GPU": 2}, {"ASC": 1}]}
    bound = form_class({"device": "2", "percent": "40"}, sections)
    assert bound.is_valid() and bound.cleaned_data == {"device": 2, "percent": 40}
    assert bound.fields["device"].widget.choices == [("0", "GPU 0"), ("2", "GPU 2")]  # offered from the snapshot
    refused = form_class({"device": "1", "percent": "101"}, sections)
    assert not refused.is_valid()
    assert refused.first_errors() == {"device": "the rig has no GPU 1", "percent": "must be between 0 and 100"}


def test_bulk_lists_at_most_300_rigs_one_by_one_and_says_how_to_reach_the_others(users):
    """Every command's form had a box per rig: 1.5 million boxes on a page at 100,000 rigs."""
    Rig.objects.bulk_create([Rig(name=f"r{i:03d}", host="127.0.0.1", port=10000 + i) for i in range(305)])
    page = client_for(users[0]).get("/bulk/").content.decode()
    form = page.split("<summary>Restart")[1].split("</details>")[0]
    assert form.count('name="rigs"') == 300 and "> r299</label>" in form and "> r300</label>" not in form
    assert "and 5 more rigs, not listed one by one" in form
    small = Client()
    Rig.objects.filter(name__gte="r010").delete()
    small.force_login(users[0])
    assert "not listed one by one" not in small.get("/bulk/").content.decode()
