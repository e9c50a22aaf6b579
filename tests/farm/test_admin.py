"""The admin: a rig's place and tags on its own page, actions on many rigs, sites with their racks, and the
CSV page (sys only, POST with CSRF, a dry run first, audited)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from farm.models import Maintenance, Placement, Rack, Site, Tag
from rigs.models import AuditEntry, Rig
from tests.base import BaseTestCase


class AdminTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.site = Site.objects.create(name="Oslo")
        self.rack = Rack.objects.create(site=self.site, name="A1", rows=2, columns=2)
        self.client.force_login(self.root)

    def rig_form(self, **extra):
        page = self.client.get(f"/admin/rigs/rig/{self.rig.pk}/change/")
        form = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
        form.update({"place_site": "", "place_rack": "", "place_row": "", "place_column": "", "place_tags": "",
                     **extra})
        return form

    def test_a_rigs_place_and_tags_are_set_on_its_page_and_checked(self):
        page = self.client.get(f"/admin/rigs/rig/{self.rig.pk}/change/").content.decode()
        assert "Site, rack and slot" in page and 'name="place_tags"' in page
        url = f"/admin/rigs/rig/{self.rig.pk}/change/"
        bad = self.client.post(url, self.rig_form(place_site=self.site.pk, place_rack=self.rack.pk, place_row=3,
                                                  place_column=1))
        assert bad.status_code == 200 and "Rack A1 has 2 row(s): row 3 is outside it." in bad.content.decode()
        half = self.client.post(url, self.rig_form(place_rack=self.rack.pk))
        assert "Choose the site of the rack" in half.content.decode()
        ok = self.client.post(url, self.rig_form(place_site=self.site.pk, place_rack=self.rack.pk, place_row=2,
                                                 place_column=1, place_tags="hot; S19 | hot"))
        assert ok.status_code == 302
        assert Placement.objects.get(rig=self.rig).position == "2,1"
        assert sorted(self.rig.tags.values_list("name", flat=True)) == ["S19", "hot"]
        listing = self.client.get("/admin/rigs/rig/").content.decode()
        assert "Oslo / A1 / row 2, column 1" in listing
        form = self.client.get(url).content.decode()
        assert 'value="hot; S19"' in form or 'value="S19; hot"' in form
        # a submission without the place's fields (a script that knows only the rig's) leaves it as it is
        plain = {k: v for k, v in self.rig_form().items() if not k.startswith("place_")}
        assert self.client.post(url, {**plain, "description": "renamed"}).status_code == 302
        assert Placement.objects.get(rig=self.rig).position == "2,1" and self.rig.tags.count() == 2
        # and one that empties them takes the rig out of its site, its tags off
        assert self.client.post(url, self.rig_form()).status_code == 302
        assert not Placement.objects.filter(rig=self.rig).exists() and self.rig.tags.count() == 0

    def test_actions_on_selected_rigs_place_tag_untag_and_unplace_them_audited(self):
        other = Rig.objects.create(name="rig-b", host="10.0.0.6")
        picked = {"_selected_action": [self.rig.pk, other.pk]}
        ask = self.client.post("/admin/rigs/rig/", {"action": "place_rigs", **picked})
        assert ask.status_code == 200 and "Set the site and rack" in ask.content.decode()
        done = self.client.post("/admin/rigs/rig/", {"action": "place_rigs", "apply": 1, "site": self.site.pk,
                                                     "rack": self.rack.pk, **picked})
        assert done.status_code == 302
        assert set(Placement.objects.values_list("rig__name", "rack__name")) == {("rig-a", "A1"), ("rig-b", "A1")}
        other_site = Site.objects.create(name="Bergen")
        wrong = self.client.post("/admin/rigs/rig/", {"action": "place_rigs", "apply": 1, "site": other_site.pk,
                                                      "rack": self.rack.pk, **picked})
        assert "Rack A1 is in site Oslo." in wrong.content.decode()
        self.client.post("/admin/rigs/rig/", {"action": "tag_rigs", "apply": 1, "tag": "immersion", **picked})
        assert sorted(Tag.objects.get(name="immersion").rigs.values_list("name", flat=True)) == ["rig-a", "rig-b"]
        bad_tag = self.client.post("/admin/rigs/rig/", {"action": "tag_rigs", "apply": 1, "tag": "a;b", **picked})
        assert "without ; or |" in bad_tag.content.decode()
        tag = Tag.objects.get(name="immersion")
        self.client.post("/admin/rigs/rig/", {"action": "untag_rigs", "apply": 1, "tag": tag.pk,
                                              "_selected_action": [other.pk]})
        assert list(tag.rigs.values_list("name", flat=True)) == ["rig-a"]
        self.client.post("/admin/rigs/rig/", {"action": "unplace_rigs", "_selected_action": [other.pk]})
        assert list(Placement.objects.values_list("rig__name", flat=True)) == ["rig-a"]
        assert list(AuditEntry.objects.order_by("id").values_list("command", "username")) == [
            ("farm-place", "root"), ("farm-tag", "root"), ("farm-untag", "root"), ("farm-unplace", "root")]

    def test_sites_with_their_racks_and_maintenance_read_only(self):
        page = self.client.get(f"/admin/farm/site/{self.site.pk}/change/").content.decode()
        assert 'name="racks-0-name"' in page and 'value="A1"' in page
        assert self.client.get("/admin/farm/maintenance/add/").status_code == 403
        assert self.client.get(f"/admin/farm/rack/?site__id__exact={self.site.pk}").status_code == 200
        assert Maintenance.objects.count() == 0

    def test_a_sys_user_not_superuser_edits_the_farm(self):
        from django.contrib.auth.models import User

        from minerpanel.tiers import join_tier
        erin = User.objects.create_user("erin", password="erin-password", is_staff=True)
        join_tier(erin, "sys")
        self.client.force_login(erin)
        assert self.client.get("/admin/farm/site/").status_code == 200
        assert self.client.get(f"/admin/farm/site/{self.site.pk}/change/").status_code == 200


class CsvPageTests(BaseTestCase):
    CSV = b"rig;site;rack;row;column;tags\r\nrig-a;Oslo;A1;1;2;hot\r\n"

    def upload(self, client=None, data=None, **extra):
        return (client or self.client).post("/admin/farm/import/", {
            "file": SimpleUploadedFile("farm.csv", data or self.CSV, content_type="text/csv"), **extra})

    def test_only_sys_users_with_csrf_and_a_dry_run_first_then_the_import_audited(self):
        assert self.client.get("/admin/farm/import/").status_code == 302
        self.client.force_login(self.bob)
        assert self.client.get("/admin/farm/import/").status_code == 403
        assert self.upload().status_code == 403
        self.client.force_login(self.alice)
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(self.alice)
        assert self.upload(strict).status_code == 403
        dry = self.upload()
        page = dry.content.decode()
        assert dry.status_code == 200 and "nothing written yet" in page and "line 2: rig-a: site — → Oslo" in page
        assert not Placement.objects.exists() and not AuditEntry.objects.filter(command="farm-import").exists()
        digest = dry.context["digest"]
        done = self.client.post("/admin/farm/import/", {"digest": digest, "name": "farm.csv"})
        assert done.status_code == 200 and "Imported farm.csv" in done.content.decode()
        assert Placement.objects.get().position == "1,2"
        entry = AuditEntry.objects.get(command="farm-import")
        assert entry.username == "alice" and entry.outcome == "S" and entry.params == {"file": "farm.csv", "rigs": 1}
        gone = self.client.post("/admin/farm/import/", {"digest": "0" * 64, "name": "farm.csv"})
        assert gone.status_code == 400 and "choose it again" in gone.content.decode()

    def test_errors_are_listed_with_their_lines_and_escaped(self):
        self.client.force_login(self.alice)
        r = self.upload(data=b"rig,site\n<script>x</script>,Oslo\n", now="1")
        page = r.content.decode()
        assert r.status_code == 400 and "line 2: no rig named or at &#x27;&lt;script&gt;x&lt;/script&gt;&#x27;" in page
        assert "<script>x</script>" not in page
        entry = AuditEntry.objects.get(command="farm-import")
        assert entry.outcome == "invalid" and "line 2" in entry.message and not Site.objects.exists()

    def test_the_export_is_a_csv_for_excel(self):
        Placement.objects.create(rig=self.rig, site=Site.objects.create(name="Oslo"))
        self.client.force_login(self.bob)
        assert self.client.get("/admin/farm/export.csv").status_code == 403
        self.client.force_login(self.alice)
        r = self.client.get("/admin/farm/export.csv?sep=;")
        assert r["Content-Type"] == "text/csv; charset=utf-8" and "attachment" in r["Content-Disposition"]
        assert r.content.decode("utf-8").splitlines() == ["\ufeffrig;site;rack;row;column;tags", "rig-a;Oslo;;;;"]
