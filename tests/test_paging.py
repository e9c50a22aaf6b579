"""Long farm tables: problems first, TABLE_ROWS rows a page, server-side filter; small farms whole."""

import re
from urllib.parse import parse_qs

from django.test import SimpleTestCase, override_settings

from rigs.live import render_fragment
from rigs.models import Rig
from rigs.web import paging

from .base import BaseTestCase
from .test_pages import summary


class ChooseTestCase(SimpleTestCase):
    """paging.choose over plain indices."""

    def pick(self, n, bad=(), limit=4, **choice):
        return paging.choose(n, lambda i: i in bad, lambda i: f"row {i}", paging.Choice(**choice), limit, "t",
                             {"other": "x", "t-page": "9"})

    def test_a_short_table_is_whole_and_in_its_own_order(self):
        shown, pager = self.pick(4, bad={3})
        self.assertEqual(shown, [0, 1, 2, 3])
        self.assertIsNone(pager)

    def test_a_long_table_shows_problems_first_then_a_page(self):
        shown, pager = self.pick(10, bad={7, 2})
        self.assertEqual(shown, [2, 7, 0, 1])
        self.assertEqual((pager.page, pager.pages, pager.first, pager.last, pager.problem_rows), (1, 3, 1, 4, 2))
        self.assertEqual(parse_qs(pager.next_url[1:]), {"other": ["x"], "t-page": ["2"]})
        self.assertEqual(pager.prev_url, "")
        self.assertIn("Rows 1–4 of 10; the 2 rows of rigs needing attention come first.", pager.text)
        self.assertEqual(pager.hidden, [("other", "x")])  # the other tables' choices survive the filter form

    def test_later_pages_and_a_page_past_the_end(self):
        shown, pager = self.pick(10, bad={7, 2}, page=3)
        self.assertEqual(shown, [8, 9])
        self.assertEqual(parse_qs(pager.prev_url[1:]), {"other": ["x"], "t-page": ["2"]})
        self.assertEqual(pager.next_url, "")
        self.assertEqual(self.pick(10, page=99)[0], [8, 9])

    def test_filter_and_problems_only_are_kept_in_the_links(self):
        shown, pager = self.pick(30, bad={5, 15, 25}, q="ROW 1")
        self.assertEqual(shown, [15, 1, 10, 11])  # 'row 1' in 'row 15', 'row 1', 'row 10'...: problems first
        self.assertEqual(pager.total, 12)
        self.assertEqual(parse_qs(pager.next_url[1:])["t-q"], ["ROW 1"])
        shown, pager = self.pick(3, bad={1}, problems=True)  # asked for: even a short table is filtered
        self.assertEqual(shown, [1])
        self.assertIn("t-problems=1", self.pick(30, bad=set(range(10)), problems=True)[1].next_url)

    def test_choice_of_the_query(self):
        c = paging.choice_of({"t-page": "x", "t-q": "a" * 500, "t-problems": "1"}, "t")
        self.assertEqual((c.page, len(c.q), c.problems), (1, 200, True))
        self.assertEqual(paging.choice_of({}, "t"), paging.Choice())


@override_settings(TABLE_ROWS=10)
class LongTablesTestCase(BaseTestCase):
    """15 rigs of 2 devices and 1 pool; rig-n12 has a Dead device, rig-n13 a dead pool."""

    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)
        self.snapshot(sections={"SUMMARY": [summary()]})
        for i in range(14):
            rig = Rig.objects.create(name=f"rig-n{i:02d}", host=f"10.9.0.{i}")
            devs = [{"ASC": d, "Name": "BTB", "ID": d, "Enabled": "Y", "Status": "Alive", "MHS av": 500.0,
                     "MHS 5s": 500.0, "Accepted": 10} for d in range(2)]
            pools = [{"POOL": 0, "URL": f"stratum+tcp://pool{i}.example:3333", "Status": "Alive", "Priority": 0}]
            if i == 12:
                devs[1]["Status"] = "Dead"
            if i == 13:
                pools = [{"POOL": 0, "URL": "stratum+tcp://dead.example:3333", "Status": "Dead", "Priority": 0}]
            self.snapshot(rig=rig, sections={"SUMMARY": [summary()], "DEVS": devs, "POOLS": pools})

    def table(self, html, table_id):
        start = html.index(f'<section class="table" id="{table_id}">')
        return html[start:html.index("</section>", start)]

    def test_the_summary_page_shows_problems_first_and_pages(self):
        html = self.client.get("/").content.decode()
        devs = self.table(html, "custom-3")
        body = devs[devs.index("<tbody>"):devs.index("</tbody>")]
        self.assertEqual(body.count("<tr"), 10)
        self.assertLess(body.index("rig-n12"), body.index("rig-n00"))  # the Dead device's rig first
        self.assertIn("Rows 1–10 of 28; the 4 rows of rigs needing attention come first.", devs)
        self.assertIn('href="?custom-3-page=2#custom-3"', devs)
        self.assertNotIn("rig-n11", body)
        self.assertIn("Σ", devs)  # the totals are the whole table's
        self.assertIn("28", devs[devs.index("<tfoot>"):])
        rigs = self.table(html, "rigs")
        self.assertLess(rigs.index("rig-n13"), rigs.index("rig-a"))  # the dead pool's rig first
        # page 2 of the devices: the rest, the other tables unchanged
        page2 = self.client.get("/?custom-3-page=2").content.decode()
        body2 = self.table(page2, "custom-3")
        self.assertIn("rig-n05", body2)
        self.assertNotIn("rig-n12", body2)
        self.assertIn("Rows 11–20 of 28", body2)
        self.assertIn('href="?custom-3-page=3#custom-3"', body2)
        rigs2 = self.table(page2, "rigs")
        ages = re.compile(r'(data-label="Data age">)[^<]*')  # as of each view: the clock may tick between them
        self.assertEqual(ages.sub(r"\1", rigs2[rigs2.index("<tbody>"):rigs2.index("</tbody>")]),
                         ages.sub(r"\1", rigs[rigs.index("<tbody>"):rigs.index("</tbody>")]))
        self.assertIn('href="?custom-3-page=2&amp;rigs-page=2#rigs"', rigs2)
        self.assertIn('<input type="hidden" name="custom-3-page" value="2">', rigs2)  # its filter keeps it

    def test_the_filter_searches_every_row_on_the_server(self):
        html = self.client.get("/?custom-4-q=pool7.example").content.decode()
        pools = self.table(html, "custom-4")
        self.assertIn("pool7.example", pools)
        self.assertNotIn("pool6.example", pools)
        self.assertIn("Rows 1–1 of 1 matching (of 14).", pools)
        self.assertIn('name="custom-4-q" value="pool7.example"', pools)
        only = self.table(self.client.get("/?custom-3-problems=1").content.decode(), "custom-3")
        self.assertIn("Rows 1–4 of 4", only)
        self.assertNotIn("rig-n00", only)

    def test_the_overview_pages_too(self):
        html = self.client.get("/overview/?devices-page=3").content.decode()
        devs = self.table(html, "devices")
        self.assertIn("Rows 21–28 of 28", devs)
        self.assertEqual(devs[devs.index("<tbody>"):devs.index("</tbody>")].count("<tr"), 8)
        rigs = self.table(html, "rigs")
        self.assertLess(rigs.index("rig-n12"), rigs.index("rig-n00"))
        self.assertIn("Rows 1–10 of 15", rigs)

    def test_the_live_push_renders_the_viewers_page(self):
        html = render_fragment(self.bob, "custom:summary", parse_qs("custom-3-page=3"))
        self.assertIn("Rows 21–28 of 28", self.table(html, "custom-3"))
        self.assertIn("Rows 1–10 of 28", self.table(render_fragment(self.bob, "custom:summary", {}), "custom-3"))

    def test_the_socket_and_the_polling_keep_the_query(self):
        html = self.client.get("/?custom-3-page=2").content.decode()
        self.assertIn('ws-connect="/ws/live/page/summary/?custom-3-page=2"', html)
        self.assertIn('hx-get="/?custom-3-page=2"', html)


class SmallFarmTestCase(BaseTestCase):
    def test_a_handful_of_rigs_shows_every_row_as_miner_php(self):
        self.client.force_login(self.bob)
        for i in range(3):
            rig = Rig.objects.create(name=f"small{i}", host=f"10.8.0.{i}")
            self.snapshot(rig=rig, sections={"SUMMARY": [summary()], "DEVS": [
                {"ASC": d, "Name": "BTB", "ID": d, "Status": "Alive", "MHS av": 1.0} for d in range(5)]})
        html = self.client.get("/").content.decode()
        self.assertNotIn('class="pager"', html)
        self.assertEqual(html.count("small2</a>"), 1 + 1 + 5)  # rigs, summary, five devices


class NarrowColumnsTestCase(BaseTestCase):
    def test_wide_custom_tables_mark_the_columns_that_hide_at_narrow_widths(self):
        self.client.force_login(self.bob)
        self.snapshot(sections={"SUMMARY": [summary()], "DEVS": [
            {"ASC": 0, "Name": "BTB", "ID": 0, "Enabled": "Y", "Status": "Alive", "Temperature": 60, "MHS av": 1.0,
             "MHS 5s": 1.0, "Accepted": 3, "Last Share Time": 0}]})
        html = self.client.get("/?all=1").content.decode()
        devs = html[html.index('id="custom-3"'):]
        devs = devs[:devs.index("</table>")]
        head = devs[devs.index("<thead>"):devs.index("</thead>")]
        for kept in ("Rig", "Status", "MHS av", "Last Share Time"):
            self.assertIn(f'<th scope="col">{kept}</th>', head)
        for hidden in ("#", "Enabled", "MHS 5s", "Name", "Temp"):
            self.assertIn(f'<th scope="col" class="n">{hidden}</th>', head)
        self.assertIn('<td class="n">Y</td>', devs)  # Enabled
        self.assertIn('<td class="rig"><a', devs)  # the rig stays
