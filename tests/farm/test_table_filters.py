"""Every farm table filters by site, rack and tag (issue 26 §1): the Overview, the Summary page '/' and custom
pages read the rows of the scope's rigs only (``?site=&rack=&tag=``, the names the API and alerts use),
with counts and Σ rows of those rigs, in paging links, htmx fragments and the live push."""

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

from custompages.models import HOME, CustomPage, PageSection
from farm.models import Placement, Rack, Site, Tag
from rigs.models import Rig, Snapshot
from rigs.polling.poller import GROUP
from rigs.readings.brief import make_brief
from tests.base import BaseTestCase
from tests.test_consumers import communicator
from tests.test_pages import summary


def rows_of(page, table_id):
    """The rig names in a table's body."""
    body = page.split(f'id="{table_id}"')[1].split("</section>")[0]
    body = body.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in body else ""
    return sorted({part.split("</a>")[0].rsplit(">", 1)[-1] for part in body.split('class="rig"')[1:]})


class TableFilterTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.oslo, self.bergen = Site.objects.create(name="Oslo"), Site.objects.create(name="Bergen")
        self.a1 = Rack.objects.create(site=self.oslo, name="A1", rows=4, columns=4)
        self.b = Rig.objects.create(name="rig-b", host="10.0.0.6")
        self.c = Rig.objects.create(name="rig-c", host="10.0.0.7")
        Placement.objects.create(rig=self.rig, site=self.oslo, rack=self.a1, row=1, column=1)
        Placement.objects.create(rig=self.b, site=self.bergen)
        Tag.objects.create(name="hot").rigs.add(self.rig, self.c)
        for r, accepted in ((self.rig, 100), (self.b, 20), (self.c, 3)):
            sections = {"SUMMARY": [summary(Accepted=accepted)],
                        "DEVS": [{"ASC": 0, "Name": "X", "ID": 0, "Enabled": "Y", "Status": "Alive", "MHS av": 1.0}],
                        "POOLS": [{"POOL": 0, "URL": f"stratum+tcp://{r.name}:3333", "Status": "Alive"}]}
            self.snapshot(rig=r, sections=sections)
        self.client.force_login(self.bob)

    def test_the_overview_shows_the_rows_and_totals_of_a_site_only(self):
        page = self.client.get("/overview/?site=Oslo").content.decode()
        for table in ("rigs", "summary", "devices", "pools"):
            assert rows_of(page, table) == ["rig-a"], table
        foot = page.split('id="summary"')[1].split("</section>")[0].split("<tfoot>")[1]
        assert "Σ 1 rig<" in foot and "<td>100</td>" in foot  # rig-a's accepted alone, not the farm's 123
        assert "Only the rigs of site Oslo (1 rig): the rows, counts and Σ rows are theirs." in page
        everything = self.client.get("/overview/").content.decode()
        assert rows_of(everything, "rigs") == ["rig-a", "rig-b", "rig-c"]
        assert "<td>123</td>" in everything.split('id="summary"')[1].split("<tfoot>")[1]
        assert "Only the rigs of" not in everything
        # the filter bar: the sites, racks and tags to choose, the one chosen kept
        assert '<select name="site"><option value="">any</option>' in page and "<option selected>Oslo</option>" in page
        assert '<a href="/overview/?problems=1&amp;site=Oslo">Problems only</a>' in page

    def test_a_tag_and_a_rack_filter_as_the_api_does(self):
        hot = self.client.get("/overview/?tag=hot").content.decode()
        assert rows_of(hot, "rigs") == ["rig-a", "rig-c"]
        assert "<td>103</td>" in hot.split('id="summary"')[1].split("<tfoot>")[1]
        assert rows_of(self.client.get("/overview/?rack=A1").content.decode(), "rigs") == ["rig-a"]
        none = self.client.get("/overview/?site=Bergen&tag=hot").content.decode()
        assert rows_of(none, "rigs") == [] and "(0 rigs)" in none

    def test_an_htmx_fragment_keeps_the_filter(self):
        page = self.client.get("/overview/?site=Bergen", HTTP_HX_REQUEST="true").content.decode()
        assert page.startswith('<div id="live"') and rows_of(page, "rigs") == ["rig-b"]

    def test_paging_links_keep_the_filter(self):
        for i in range(5):
            rig = Rig.objects.create(name=f"oslo-{i}", host=f"10.0.1.{i}")
            Placement.objects.create(rig=rig, site=self.oslo)
            self.snapshot(rig=rig, sections={"SUMMARY": [summary()]})
        with override_settings(TABLE_ROWS=2):
            page = self.client.get("/overview/?site=Oslo").content.decode()
            assert "Rows 1–2 of 6." in page.split('id="rigs"')[1].split("</section>")[0]
            assert 'href="?site=Oslo&amp;rigs-page=2#rigs"' in page
            assert '<input type="hidden" name="site" value="Oslo">' in page  # the table's own filter form
            second = self.client.get("/overview/?site=Oslo&rigs-page=2").content.decode()
        assert set(rows_of(second, "rigs")) <= {"rig-a", *(f"oslo-{i}" for i in range(5))}
        assert len(rows_of(second, "rigs")) == 2

    def test_a_custom_page_filters_its_rows_and_sigma_row_and_says_what_is_over_the_whole_farm(self):
        page = CustomPage.objects.create(name="Accepted", slug="acc")
        PageSection.objects.create(page=page, order=0, section="SUMMARY", fields="Accepted", totals="Accepted")
        PageSection.objects.create(page=page, order=1, section="POOL", fields="URL", group="URL")
        PageSection.objects.create(page=page, order=2, section="RIGS")
        html = self.client.get("/pages/acc/?tag=hot").content.decode()
        first = html.split('id="custom-0"')[1].split("</section>")[0]
        assert ">rig-a<" in first and ">rig-c<" in first and ">rig-b<" not in first
        assert "<td>103</td>" in first.split("<tfoot>")[1]
        grouped = html.split('id="custom-1"')[1].split("</section>")[0]
        assert "over the whole farm" in grouped and "rig-b:3333" in grouped
        assert rows_of(html, "rigs") == ["rig-a", "rig-c"]
        assert "Only the rigs of tag hot: the rows, counts and Σ rows are theirs." in html
        whole = self.client.get("/pages/acc/").content.decode()
        assert "<td>123</td>" in whole and "over the whole farm" not in whole

    def test_the_summary_page_filters_too(self):
        home = CustomPage.objects.get_or_create(slug=HOME, defaults={"name": "Summary"})[0]
        home.sections.all().delete()
        PageSection.objects.create(page=home, order=0, section="SUMMARY", fields="Accepted", totals="Accepted")
        html = self.client.get("/?site=Bergen").content.decode()
        body = html.split('id="custom-0"')[1].split("</section>")[0]
        assert ">rig-b<" in body and ">rig-a<" not in body and "<td>20</td>" in body

    def test_a_filtered_view_costs_the_same_queries_whatever_the_farm(self):
        self.client.get("/overview/?site=Oslo")
        # the unfiltered view's 13 when it reads its rows (a filtered view's tables are drawn for it alone,
        # not kept: drawn.py), and each table's Σ rows or counts
        with self.assertNumQueries(17):
            self.client.get("/overview/?site=Oslo")
        for i in range(30):
            rig = Rig.objects.create(name=f"y{i}", host=f"10.2.0.{i}")
            Placement.objects.create(rig=rig, site=self.oslo if i % 2 else self.bergen)
            self.snapshot(rig=rig, sections={"SUMMARY": [summary()]})
        self.client.get("/overview/?site=Oslo")  # the rigs saved one by one are written by the next read
        with self.assertNumQueries(17):  # then no more with more rigs
            page = self.client.get("/overview/?site=Oslo").content.decode()
        assert "(16 rigs)" in page

    def test_no_filter_bar_without_sites_racks_or_tags(self):
        Placement.objects.all().delete()
        Rack.objects.all().delete()
        Site.objects.all().delete()
        Tag.objects.all().delete()
        page = self.client.get("/overview/").content.decode()
        assert "scope-bar" not in page


@pytest.mark.django_db(transaction=True)
def test_the_live_push_renders_each_query_for_its_sockets():
    bob = User.objects.create_user("bob", password="x")
    oslo, bergen = Site.objects.create(name="Oslo"), Site.objects.create(name="Bergen")
    now = timezone.now()
    for name, site in (("oslo-1", oslo), ("bergen-1", bergen)):
        rig = Rig.objects.create(name=name, host=f"10.0.2.{len(name)}")
        Placement.objects.create(rig=rig, site=site)
        sections = {"SUMMARY": [summary()]}
        Snapshot.objects.create(rig=rig, polled_at=now, last_ok_at=now, sections=sections,
                                brief=make_brief(sections, {}))

    async def go(path):
        comm = communicator(bob, path)
        assert (await comm.connect())[0]
        await get_channel_layer().group_send(GROUP, {"type": "rigs.updated", "rigs": []})
        html = await comm.receive_from(timeout=5)
        await comm.disconnect()
        return rows_of(html, "rigs")

    assert asyncio.run(go("/ws/live/summary/?site=Oslo")) == ["oslo-1"]
    assert asyncio.run(go("/ws/live/summary/?site=Bergen")) == ["bergen-1"]
    assert asyncio.run(go("/ws/live/summary/")) == ["bergen-1", "oslo-1"]


def test_the_engine_gives_rows_their_rigs_place_when_a_section_names_one():
    from custompages import engine

    rigs = [{"name": "a", "sections": {"SUMMARY": [{"Accepted": 5}]},
             "place": {"Site": "Oslo", "Rack": "A1", "Position": "2,1", "Tags": "hot, s19"}},
            {"name": "b", "sections": {"SUMMARY": [{"Accepted": 7}]}, "place": None}]
    result = engine.build_section({"section": "SUMMARY", "fields": ["RIGS.Site=Site", "RIGS.Tags", "Accepted"]}, rigs)
    assert [(r["RIGS.Site"], r["RIGS.Tags"], r["RIGS.Position"]) for r in result.rows] == [
        ("Oslo", "hot, s19", "2,1"), ("", "", "")]
    assert result.columns[0] == ("Site", "RIGS.Site")
    plain = engine.build_section({"section": "SUMMARY", "fields": ["*"]}, rigs)
    assert not any(k.startswith("RIGS.") for r in plain.rows for k in r)  # only where a section names them


class PlaceFieldsPageTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        oslo, bergen = Site.objects.create(name="Oslo"), Site.objects.create(name="Bergen<b>")
        a1 = Rack.objects.create(site=oslo, name="A1", rows=4, columns=4)
        self.b = Rig.objects.create(name="rig-b", host="10.0.0.6")
        self.c = Rig.objects.create(name="rig-c", host="10.0.0.7")
        Placement.objects.create(rig=self.rig, site=oslo, rack=a1, row=2, column=3)
        Placement.objects.create(rig=self.b, site=bergen)
        Placement.objects.create(rig=self.c, site=oslo)
        Tag.objects.create(name="hot").rigs.add(self.rig, self.b)
        for r, accepted in ((self.rig, 100), (self.b, 20), (self.c, 3)):
            self.snapshot(rig=r, sections={"SUMMARY": [summary(Accepted=accepted)]})
        self.client.force_login(self.bob)

    def test_a_page_shows_and_groups_by_rigs_site_and_filters_on_rigs_tags(self):
        page = CustomPage.objects.create(name="Where", slug="where")
        PageSection.objects.create(page=page, order=0, section="SUMMARY",
                                   fields="RIGS.Site=Site\nRIGS.Rack=Rack\nRIGS.Position=Slot\nRIGS.Tags=Tags\nAccepted",
                                   where="RIGS.Tags eq hot")
        PageSection.objects.create(page=page, order=1, section="SUMMARY", fields="RIGS.Site=Site\nAccepted",
                                   group="RIGS.Site", calc="Accepted=sum")
        html = self.client.get("/pages/where/").content.decode()
        shown = html.split('id="custom-0"')[1].split("</section>")[0]
        assert '<th scope="col">Site</th>' in shown and '<th scope="col">Slot</th>' in shown
        assert "<td>Oslo</td><td>A1</td><td>2,3</td><td>hot</td><td>100</td>" in shown
        assert "<td>Bergen&lt;b&gt;</td>" in shown and "Bergen<b>" not in html  # escaped
        assert ">rig-c<" not in shown  # not tagged hot
        grouped = html.split('id="custom-1"')[1].split("</section>")[0]
        assert "<td>Oslo</td><td>103</td>" in grouped and "<td>Bergen&lt;b&gt;</td><td>20</td>" in grouped
        # the API's rows (computed at the time of asking) carry them too
        from custompages.render import page_context
        blocks = page_context(self.bob, page, whole=True)["blocks"]
        assert {(r["RIGS.Site"], r["Accepted"]) for r in blocks[1]["result"].rows} == {("Oslo", 103), ("Bergen<b>", 20)}


class ScopedSumsTests(BaseTestCase):
    def test_the_database_adds_up_the_shares_as_shares_add_up_does(self):
        from rigs.models import ReadyPart
        from rigs.web import ready_read, shares

        parts = {self.rig.id: {"#rows": 2, "a|x|hs": 1.5, "max|x|best": 7, "t|": 1},
                 Rig.objects.create(name="b", host="10.0.0.8").id: {"#rows": 1, "a|x|hs": 2, "max|x|best": 9},
                 Rig.objects.create(name="c", host="10.0.0.9").id: {"#rows": 5, "a|x|hs": 100.0},
                 Rig.objects.create(name="d", host="10.0.0.10").id: {"#rows": 3}}
        ids = list(parts)
        ReadyPart.objects.all().delete()
        for i, (rig_id, share) in enumerate(parts.items()):
            generation = "old" if i == 3 else "g1"  # a share of an earlier build does not count
            ReadyPart.objects.create(rig_id=rig_id, sums={"summary": [generation, share], "rigs": ["g1", {"#rows": 1}]})
        chosen = Rig.objects.filter(id__in=ids[:2] + ids[3:]).values("id")
        got = ready_read.scoped_sums("summary", "g1", chosen)
        assert got == shares.add_up([parts[ids[0]], parts[ids[1]]])
        assert shares.total(got, "#rows") == 3 and type(shares.total(got, "#rows")) is int
        assert shares.total(got, "a|x|hs") == 3.5 and shares.total(got, "max|x|best") == 9
        assert ready_read.scoped_sums("summary", "g1", Rig.objects.none().values("id")) == {}
        assert ready_read.scoped_sums("pools", "g1", chosen) == {}
