"""A view filtered to one site, rack or tag reads the totals the writer keeps for it (issue 25:
rigs/web/scope_sums.py): the same sums the database adds up from the chosen rigs' shares, after rigs move,
are retagged or deleted, and after a site is deleted; no share is added up at view time."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from custompages.models import CustomPage, PageSection
from farm.csvplan import import_csv
from farm.models import Placement, Rack, Site, Tag
from farm.scope import Scopes
from rigs.models import ReadyPart, ReadyScope, ReadyTable, Rig
from rigs.web import ready, ready_read, scope_sums, scopes
from tests.base import BaseTestCase
from tests.farm.test_table_filters import rows_of
from tests.test_pages import summary


def same_sums(kept, added):
    """Two tables' sums equal: the same names, contributors and float contributors, totals to rounding."""
    assert set(kept) == set(added)
    for name, (total, n, floats) in added.items():
        assert kept[name][1:] == [n, floats], name
        assert kept[name][0] == pytest.approx(total, rel=1e-9), name


def adds_up(sql):
    """Whether a query adds up shares from the parts (ready_read.scoped_sums: SQLite's or PostgreSQL's)."""
    return "json_each" in sql or "jsonb_each" in sql


class KeptScopeSumsTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.oslo, self.bergen = Site.objects.create(name="Oslo"), Site.objects.create(name="Bergen")
        self.a1 = Rack.objects.create(site=self.oslo, name="A1", rows=4, columns=4)
        self.b1 = Rack.objects.create(site=self.bergen, name="A1", rows=4, columns=4)  # the same name elsewhere
        self.b = Rig.objects.create(name="rig-b", host="10.0.0.6")
        self.c = Rig.objects.create(name="rig-c", host="10.0.0.7")
        Placement.objects.create(rig=self.rig, site=self.oslo, rack=self.a1, row=1, column=1)
        Placement.objects.create(rig=self.b, site=self.bergen, rack=self.b1)
        self.hot = Tag.objects.create(name="hot")
        self.hot.rigs.add(self.rig, self.c)
        for r, accepted, mhs in ((self.rig, 100, 1000.5), (self.b, 20, 2000), (self.c, 3, 0.25)):
            sections = {"SUMMARY": [summary(mhs=mhs, Accepted=accepted)],
                        "DEVS": [{"ASC": 0, "Name": "X", "ID": 0, "Enabled": "Y", "MHS av": mhs,
                                  "Status": "Sick" if r == self.c else "Alive"}],  # rig-c needs attention
                        "POOLS": [{"POOL": 0, "URL": f"stratum+tcp://{r.name}:3333", "Status": "Alive"}]}
            self.snapshot(rig=r, sections=sections)
        page = CustomPage.objects.create(name="Accepted", slug="acc")
        PageSection.objects.create(page=page, order=0, section="SUMMARY", fields="Accepted", totals="Accepted")
        self.client.force_login(self.bob)
        self.client.get("/overview/")
        self.client.get("/pages/acc/")

    def check(self):
        """Every kept table's sums over every single scope are what the database adds up from the shares
        of the rigs the scope holds now (once the rigs marked are written: the next read)."""
        ready.refresh_turned()
        chosen = Scopes().choices()
        tables = dict(ReadyTable.objects.exclude(generation="").values_list("key", "generation"))
        assert {"rigs", "summary", "devs", "pools"} <= set(tables) and any(k.startswith("page:") for k in tables)
        for kind, names in chosen.items():
            for name in [*names, "nowhere"]:
                ids = Scopes().rig_ids(**{kind: name})
                kept = self.kept(kind, name)
                for key, generation in tables.items():
                    same_sums(scope_sums.of(key, f"{kind}:{name}"), ready_read.scoped_sums(key, generation, ids))
                    table = ReadyTable.objects.get(key=key)  # the counts: the kept ones are the rows counted
                    counted = ready_read.scoped(table, None, ids, totals=False)
                    shown = ready_read.scoped(table, None, kept, totals=False)
                    assert (shown.rows, shown.problems, shown.bad_rows) == (
                        counted.rows, counted.problems, counted.bad_rows), (key, kind, name)
        assert not ReadyScope.objects.filter(sums={}).exists()

    @staticmethod
    def kept(kind, name):
        """A single scope's query of rig ids, as scopes.rig_ids() makes it for ``?kind=name``."""
        return scopes.rig_ids({kind: name})

    def summary_foot(self, query):
        page = self.client.get(f"/overview/?{query}").content.decode()
        table = page.split('id="summary"')[1].split("</section>")[0]
        return rows_of(page, "rigs"), table.split("<tfoot>")[1] if "<tfoot>" in table else ""

    def test_the_kept_sums_are_the_added_up_ones_and_the_view_shows_them(self):
        self.check()
        hot = ready_read.scoped(ReadyTable.objects.get(key="devs"), None, self.kept("tag", "hot"), totals=False)
        assert (hot.rows, hot.problems, hot.bad_rows) == (2, 1, 1)  # rig-c's device
        assert ReadyScope.objects.filter(table="summary", scope="rack:A1").exists()  # both sites' A1
        assert scope_sums.of("summary", "rack:A1")["#rows"] == [2, 2, 0]
        rigs, foot = self.summary_foot("site=Oslo")
        assert rigs == ["rig-a"] and "<td>100</td>" in foot
        rigs, foot = self.summary_foot("tag=hot")
        assert rigs == ["rig-a", "rig-c"] and "<td>103</td>" in foot

    def test_a_rig_moved_to_another_site_counts_there_at_the_next_read(self):
        place = Placement.objects.get(rig=self.rig)
        place.site, place.rack, place.row, place.column = self.bergen, None, None, None
        place.save()
        rigs, foot = self.summary_foot("site=Bergen")
        assert rigs == ["rig-a", "rig-b"] and "<td>120</td>" in foot
        rigs, _ = self.summary_foot("site=Oslo")
        assert rigs == []
        assert not ReadyScope.objects.filter(scope="site:Oslo").exists()  # no rig left in it
        self.check()
        Placement.objects.filter(rig=self.c).delete()  # (none: nothing to take out)
        Placement.objects.create(rig=self.c, site=self.oslo)
        rigs, foot = self.summary_foot("site=Oslo")
        assert rigs == ["rig-c"] and "<td>3</td>" in foot
        self.check()

    def test_a_retagged_rig_moves_between_tags(self):
        self.hot.rigs.remove(self.rig)
        self.b.tags.add(self.hot)
        cold = Tag.objects.create(name="cold")
        cold.rigs.add(self.rig)
        rigs, foot = self.summary_foot("tag=hot")
        assert rigs == ["rig-b", "rig-c"] and "<td>23</td>" in foot
        self.check()
        self.c.tags.clear()
        rigs, foot = self.summary_foot("tag=hot")
        assert rigs == ["rig-b"] and "<td>20</td>" in foot
        self.check()

    def test_a_deleted_rig_leaves_its_scopes(self):
        self.rig.delete()
        assert scope_sums.of("summary", "site:Oslo") == {}
        rigs, foot = self.summary_foot("tag=hot")
        assert rigs == ["rig-c"] and "<td>3</td>" in foot
        self.check()

    def test_a_deleted_site_rack_or_tag_takes_its_sums_and_renamed_ones_follow(self):
        self.bergen.delete()  # its rack and its rigs' places with it
        assert not ReadyScope.objects.filter(scope="site:Bergen").exists()
        assert scope_sums.of("summary", "rack:A1")["#rows"][0] in (1, 2)  # Oslo's A1 stays
        self.check()
        assert scope_sums.of("summary", "rack:A1")["#rows"] == [1, 1, 0]
        self.hot.save()  # saved, not renamed: nothing to write again
        assert not ReadyPart.objects.filter(turns_at=ready.DUE).exists()
        self.hot.name = "warm"
        self.hot.save()
        assert ReadyPart.objects.filter(turns_at=ready.DUE).count() == 2
        rigs, foot = self.summary_foot("tag=warm")
        assert rigs == ["rig-a", "rig-c"] and "<td>103</td>" in foot
        assert not ReadyScope.objects.filter(scope="tag:hot").exists()
        self.check()
        self.a1.delete()  # its rigs stay in their site
        assert not ReadyScope.objects.filter(scope="rack:A1").exists()
        self.check()
        Tag.objects.all().delete()
        assert not ReadyScope.objects.filter(scope__startswith="tag:").exists()
        self.check()

    def test_a_move_that_sent_no_signal_is_healed_by_the_exact_pass(self):
        Placement.objects.filter(rig=self.b).update(site=self.oslo, rack=None)  # (no signal)
        with override_settings(READY_EXACT_EVERY=0):
            ready.write([self.c.pk])  # the exact pass finds rig-b counted where it no longer is
        assert ReadyPart.objects.get(rig=self.b).turns_at == ready.DUE
        self.check()
        rigs, foot = self.summary_foot("site=Oslo")
        assert rigs == ["rig-a", "rig-b"] and "<td>120</td>" in foot

    def test_the_csv_import_moves_rigs(self):
        data = b"rig,site,rack,row,column,tags\nrig-c,Bergen,A1,,,cold\n"
        assert not import_csv(data).errors
        rigs, foot = self.summary_foot("site=Bergen")
        assert rigs == ["rig-b", "rig-c"] and "<td>23</td>" in foot
        self.check()

    def test_a_single_scope_view_adds_up_no_share_and_two_scopes_still_do(self):
        self.client.get("/overview/?site=Oslo")
        with CaptureQueriesContext(connection) as one:
            self.client.get("/overview/?site=Oslo")
        sql = [q["sql"].lower() for q in one.captured_queries]
        # no share added up, no row counted
        assert not [q for q in sql if adds_up(q) or "rigs_readyrow" in q and "count(" in q]
        assert sum("rigs_readyscope" in q for q in sql) == 4  # each table's kept sums: one indexed query
        for i in range(20):
            rig = Rig.objects.create(name=f"y{i}", host=f"10.2.0.{i}")
            Placement.objects.create(rig=rig, site=self.oslo)
            self.snapshot(rig=rig, sections={"SUMMARY": [summary()]})
        self.client.get("/overview/?site=Oslo")
        with CaptureQueriesContext(connection) as more:
            page = self.client.get("/overview/?site=Oslo").content.decode()
        assert len(more.captured_queries) == len(one.captured_queries) and "(21 rigs)" in page
        with CaptureQueriesContext(connection) as two:
            page = self.client.get("/overview/?site=Oslo&tag=hot").content.decode()
        assert any(adds_up(q["sql"].lower()) for q in two.captured_queries)  # the fallback: site AND tag
        assert rows_of(page, "rigs") == ["rig-a"]

    def test_a_page_edited_takes_its_tables_scope_sums_with_them(self):
        page = CustomPage.objects.get(slug="acc")
        keys = list(ReadyTable.objects.filter(key__startswith=f"page:{page.pk}:").values_list("key", flat=True))
        assert ReadyScope.objects.filter(table__in=keys, scope="tag:hot").exists()
        page.sections.first().save()
        assert not ReadyScope.objects.filter(table__in=keys).exists()
        self.client.get("/pages/acc/?tag=hot")  # built again, with its scopes
        self.check()
