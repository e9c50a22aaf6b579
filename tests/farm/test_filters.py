"""Sites, racks and tags wherever rigs are listed or targeted: the API (filters and fields), the audit log,
the alerts, Bulk, /metrics and the farm's history."""

import time

from django.contrib.auth.models import User
from django.utils import timezone

from farm.models import Placement, Rack, Site, Tag
from minerpanel.models import ApiToken
from rigs.models import AuditEntry, Rig
from tests.base import BaseTestCase
from watch import history
from watch.models import Alert


class ScopeTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.oslo = Site.objects.create(name="Oslo")
        self.bergen = Site.objects.create(name="Bergen")
        self.a1 = Rack.objects.create(site=self.oslo, name="A1", rows=2, columns=2)
        self.b = Rig.objects.create(name="rig-b", host="10.0.0.6")
        self.c = Rig.objects.create(name="rig-c", host="10.0.0.7")
        Placement.objects.create(rig=self.rig, site=self.oslo, rack=self.a1, row=2, column=1)
        Placement.objects.create(rig=self.b, site=self.bergen)
        Tag.objects.create(name="hot").rigs.add(self.rig, self.c)
        Tag.objects.create(name="s19").rigs.add(self.rig)
        for r in (self.rig, self.b, self.c):
            self.snapshot(rig=r, sections={"SUMMARY": [{"MHS av": 1000}]})

    def token(self, user):
        return {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user, 'test')[1]}"}

    def test_the_api_gives_each_rigs_place_and_filters_by_it(self):
        auth = self.token(self.bob)
        rigs = {r["name"]: r for r in self.client.get("/api/rigs/", **auth).json()["rigs"]}
        assert {k: rigs["rig-a"][k] for k in ("site", "rack", "position", "tags")} == {
            "site": "Oslo", "rack": "A1", "position": "2,1", "tags": ["hot", "s19"]}
        assert {k: rigs["rig-c"][k] for k in ("site", "rack", "position", "tags")} == {
            "site": "", "rack": "", "position": "", "tags": ["hot"]}

        def names(query):
            return sorted(r["name"] for r in self.client.get(f"/api/rigs/?{query}", **auth).json()["rigs"])

        assert names("site=Oslo") == ["rig-a"]
        assert names("site=Bergen") == ["rig-b"]
        assert names("rack=A1") == ["rig-a"]
        assert names("tag=hot") == ["rig-a", "rig-c"]
        assert names("site=Bergen&tag=hot") == []
        assert names("site=Nowhere") == []
        assert names("") == ["rig-a", "rig-b", "rig-c"]

    def test_the_audit_log_filters_by_site_rack_and_tag(self):
        for rig in (self.rig, self.b, self.c):
            AuditEntry.objects.create(user=self.alice, username="alice", rig=rig, rig_name=rig.name, command="restart",
                                      outcome="S")
        self.client.force_login(self.alice)
        page = self.client.get("/audit/").content.decode()
        assert '<select name="site"><option value="">any</option><option>Oslo</option><option>Bergen</option>' in page \
            or '<option>Bergen</option><option>Oslo</option>' in page
        oslo = self.client.get("/audit/?site=Oslo").content.decode()
        assert "<td>rig-a</td>" in oslo and "<td>rig-b</td>" not in oslo and "<td>rig-c</td>" not in oslo
        hot = self.client.get("/audit/?tag=hot").content.decode()
        assert "<td>rig-a</td>" in hot and "<td>rig-c</td>" in hot and "<td>rig-b</td>" not in hot
        assert "<option selected>hot</option>" in hot

    def test_the_alerts_filter_by_site_and_show_where_each_rig_is(self):
        for rig in (self.rig, self.b):
            Alert.objects.create(rig=rig, rule="device", key="GPU 0:Dead", text=f"{rig.name} GPU 0 Dead",
                                 state="firing", count=0, started=timezone.now())
        self.client.force_login(self.bob)
        page = self.client.get("/alerts/?site=Bergen").content.decode()
        assert "rig-b GPU 0 Dead" in page and "rig-a GPU 0 Dead" not in page
        everything = self.client.get("/alerts/").content.decode()
        assert '<small class="note">Oslo / A1</small>' in everything
        assert '<small class="note">Bergen</small>' in everything

    def test_bulk_targets_a_site_a_rack_or_a_tag(self):
        from rigs.web.views import bulk_targets

        def names(**post):
            from django.http import QueryDict

            q = QueryDict(mutable=True)
            q.update({"target": "scope", **post})
            return sorted(r.name for r in bulk_targets(q))

        assert names(site="Oslo") == ["rig-a"]
        assert names(tag="hot") == ["rig-a", "rig-c"]
        assert names(rack="A1", tag="s19") == ["rig-a"]
        assert names() == []  # a group, but none chosen: nothing
        self.client.force_login(self.alice)
        form = self.client.get("/bulk/").content.decode()
        assert 'value="scope"> every rig of' in form and "<option>Oslo</option>" in form

    def test_metrics_carry_the_site_and_maintenance(self):
        from farm.models import Maintenance
        from tests.watch.test_metrics import samples

        Maintenance.objects.create(site=self.bergen, reason="x", starts=timezone.now(),
                                   ends=timezone.now() + timezone.timedelta(hours=1), by="alice")
        m = samples(self.client.get("/metrics").content.decode())
        sites = {labels["rig"]: labels["site"] for labels, _ in m["minerpanel_rig_up"]}
        assert sites == {"rig-a": "Oslo", "rig-b": "Bergen", "rig-c": ""}
        held = {labels["rig"]: v for labels, v in m["minerpanel_rig_maintenance"]}
        assert held == {"rig-a": 0, "rig-b": 1, "rig-c": 0}

    def test_the_farms_history_per_site(self):
        now = int(time.time())
        history.record_farm(now)
        rows = {(p["site"], p["rigs"]) for p in history.FarmPoint.objects.values("site", "rigs")}
        assert rows == {("Oslo", 1), ("Bergen", 1), ("", 1)}
        self.client.force_login(self.bob)
        whole = self.client.get("/history/farm.json?range=1h").json()
        assert whole["rigs"] == [3]
        oslo = self.client.get(f"/history/sites/{self.oslo.pk}.json?range=1h").json()
        assert oslo["rigs"] == [1] and oslo["site"] == "Oslo"
        assert self.client.get("/history/sites/999999.json").status_code == 404
        charts = self.client.get(f"/charts/?site={self.oslo.pk}").content.decode()
        assert f'data-source="/history/sites/{self.oslo.pk}.json"' in charts and "Oslo over time" in charts
        assert self.client.get(f"/history/rigs/{self.rig.pk}.json").json()["site"] == "Oslo"


def test_a_usr_token_reads_places_but_api_needs_a_token(db, client):
    user = User.objects.create_user("u")
    assert client.get("/api/rigs/?site=x").status_code == 401
    assert client.get("/api/rigs/?site=x", HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 't')[1]}").json() == {
        "rigs": []}
