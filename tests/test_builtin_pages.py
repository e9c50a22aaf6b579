"""miner.php's built-in pages over two rigs with known values: each expected cell is what
miner.php shows for these replies, worked out from its fmt(), docalc() and the pages'
definitions ($syspage, $kanogenpage, $poolspage, ...)."""

import re

from django.test import override_settings

from custompages.models import CustomPage

from .base import BaseTestCase

WHEN = 1700000000  # 22:13:20 14-Nov-2023 UTC


def summary(elapsed, mhs, da, wu, lgw):
    return {"Elapsed": elapsed, "MHS av": mhs, "MHS 5m": mhs, "Found Blocks": 0, "Accepted": 10,
            "Difficulty Accepted": da, "Difficulty Rejected": 0.0, "Difficulty Stale": 0.0, "Hardware Errors": 3,
            "Work Utility": wu, "Utility": 1.0, "Network Blocks": 7, "Total MH": 133882804806.79,
            "Best Share": 123456, "Device Hardware%": 0.0, "Device Rejected%": 1.815, "Pool Rejected%": 0.0,
            "Pool Stale%": 0.0, "Last getwork": lgw}


def pool(n, url, acc, da, prio, status="Alive"):
    return {"POOL": n, "URL": url, "Status": status, "Priority": prio, "Quota": 1, "Getworks": 5,
            "Accepted": acc, "Diff1 Shares": 100, "Difficulty Accepted": da, "Difficulty Rejected": 0.0,
            "Difficulty Stale": 0.0, "Last Share Difficulty": 1024.0, "Last Share Time": WHEN - 60,
            "Best Share": 999, "Pool Rejected%": 0.0, "Pool Stale%": 0.0, "Has Stratum": True,
            "Stratum Active": True, "Has GBT": False}


def stats(n, sent, recv):
    return {"STATS": n, "ID": f"POOL{n}", "Times Sent": 2, "Bytes Sent": sent, "Net Bytes Sent": sent,
            "Times Recv": 3, "Bytes Recv": recv, "Net Bytes Recv": recv, "Max Diff": 1024.0}


def device(i, temp, mhs, last_share):
    return {"ASC": i, "Name": "BTB", "ID": i, "Enabled": "Y", "Status": "Alive", "Temperature": temp,
            "MHS av": mhs, "MHS 5s": mhs, "MHS 5m": mhs, "Accepted": 5, "Difficulty Accepted": 5120.0,
            "Difficulty Rejected": 0.0, "Last Share Time": last_share, "Last Share Difficulty": 1.0,
            "Last Valid Work": WHEN, "Device Elapsed": 357884, "Last Share Pool": 0}


RIG_A = {
    "SUMMARY": [summary(116841, 1000.5, 3056.0, 14.0, WHEN - 1)],
    "POOLS": [pool(0, "stratum+tcp://pool-a:3333", 3, 3056.0, 0), pool(1, "stratum+tcp://pool-b:3333", 0, 0.0, 1)],
    "STATS": [stats(0, 1000, 2000), stats(1, 10, 0)],
    "DEVS": [device(0, 74.46, 500.25, WHEN - 1), device(1, 0, 500.25, WHEN - 100)],
    "NOTIFY": [{"NOTIFY": 0, "Name": "BTB", "ID": 0, "Last Not Well": 0},
               {"NOTIFY": 1, "Name": "BTB", "ID": 1, "Last Not Well": WHEN - 7}],
    "DEVDETAILS": [{"DEVDETAILS": 0, "Name": "BTB", "ID": 0, "Device Path": "1:5"}],
    "COIN": [{"Hash Method": "sha256", "Current Block Time": 1699999869.123456, "Network Difficulty": 1e12}],
    "CONFIG": [{"ASC Count": 2, "PGA Count": 0, "Pool Count": 2, "Strategy": "Failover", "OS": "Linux",
                "Failover-Only": False}],
    "VERSION": [{"CGMiner": "4.11.1", "API": "3.7"}],
}
RIG_B = {
    "SUMMARY": [summary(3725, 2000.0, 2037.3242, 28.0, WHEN)],
    "POOLS": [pool(0, "stratum+tcp://pool-a:3333", 2, 2037.3242, 0)],
    "STATS": [stats(0, 500, 1500)],
    "COIN": [{"Hash Method": "sha256", "Current Block Time": 1699999869.0, "Network Difficulty": 1e12}],
    "VERSION": [{"CGMiner": "4.11.1", "API": "3.7"}],
}
STATUSES = {c: {"STATUS": "S", "When": WHEN, "Msg": c} for c in ("summary", "devs", "pools")}


def table(body, index):
    """[[cell text]] of the page's table number ``index`` (header row first, then rows, then Σ)."""
    start = body.index(f'id="custom-{index}"' if isinstance(index, int) else f'id="{index}"')
    html = body[start:body.index("</table>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.DOTALL)
    out = []
    for row in rows:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
        out.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells])
    return out


def column(rows, header):
    i = rows[0].index(header)
    return [r[i] for r in rows[1:]]


@override_settings(TIME_ZONE="UTC")
class BuiltinPagesTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        from rigs.models import Rig

        self.snapshot(sections=RIG_A, statuses=STATUSES)
        self.snapshot(rig=Rig.objects.create(name="rig-b", host="10.0.0.6"), sections=RIG_B, statuses=STATUSES)
        self.client.force_login(self.bob)

    def test_all_of_miner_phps_pages_are_there(self):
        names = list(CustomPage.objects.values_list("name", flat=True))
        for name in ("Summary", "Kano", "Mobile", "Stats", "Pools", "DevNot", "DevDet", "Proto"):
            self.assertIn(name, names)
            body = self.client.get(f"/pages/{name.lower()}/").content.decode()
            self.assertIn("Date: ", body)
            self.assertNotIn('class="banner err"', body, name)

    def test_the_default_page_is_the_summary_page(self):
        body = self.client.get("/").content.decode()
        self.assertRegex(body, r"Date: \d\d:\d\d:\d\d \d{1,2}-[A-Z][a-z]{2}-\d{4} UTC\+00:00")
        s = table(body, 2)
        self.assertEqual(s[0][:5], ["Rig", "#", "Elapsed", "MHS av", "MHS 5m"])
        self.assertEqual(column(s, "Elapsed"), ["1day 08h 27m 21s", "1h 02m 05s", ""])
        self.assertEqual(column(s, "#"), ["1", "1", "2"])           # '#' is always totalled
        self.assertEqual(column(s, "Last getwork"), ["-1s", "0s", ""])
        self.assertEqual(column(s, "Dev Rej%"), ["1.82%", "1.82%", ""])
        self.assertEqual(column(s, "Total MH"), ["133,882,804,806.79", "133,882,804,806.79", "267,765,609,613.58"])
        self.assertEqual(column(s, "DiffA"), ["3,056.00", "2,037.32", "5,093.32"])
        self.assertEqual(column(s, "HW"), ["3", "3", "6"])
        self.assertEqual(column(s, "Best Share")[:2], ["123,456", "123,456"])
        self.assertEqual(column(s, "MHS av")[2], "3.00 GH/s")
        # Utility 1/m against 1000.5 MH/s at 305.6 difficulty per share: the rate is 'lo' (miner.php's classes)
        self.assertIn('<td class="lo" title="1,000.5 MH/s">1.00 GH/s</td>', body)
        self.assertIn('title="1,000.5 MH/s"', body)                 # miner.php's figure on hover
        d = table(body, 3)
        self.assertEqual(column(d, "Temp"), ["74.46°C", "", ""])  # as sent; 0 is blank
        self.assertEqual(column(d, "Device Elapsed"), ["4days 03h 24m 44s", "4days 03h 24m 44s", ""])
        self.assertEqual(column(d, "Last Valid Work"), ["0s", "0s", ""])
        # expected every 2^32 / 500.25e6 = 8.6 s at difficulty 1: 100 s is more than 8x, less than 12x
        self.assertEqual(column(d, "Late Share"), ["", "⚠ late", ""])
        self.assertIn('<tr class="lst-warn">', body)
        self.assertEqual(column(d, "Last Share Time"), ["22:13:19", "22:11:40", ""])
        self.assertIn('<td class="warn">22:11:40</td>', body)
        p = table(body, 4)
        self.assertEqual(column(p, "In Use"), ["▶ in use", "", "▶ in use", ""])
        self.assertEqual(column(p, "Last Share Time")[:2], ["22:12:20 14-Nov", "22:12:20 14-Nov"])
        self.assertEqual(column(p, "Last Share Difficulty")[:1], ["1,024.00"])
        r = table(body, "rigs")                                       # RIGS: state and data age
        self.assertEqual(column(r, "State"), ["⚠ warning", "ok"])  # its late share
        self.assertEqual(column(r, "Data age"), ["0s", "0s"])

    def test_the_summary_page_is_editable(self):
        page = CustomPage.objects.get(slug="summary")
        section = page.sections.get(section="POOL")
        section.fields = "URL\nStatus"
        section.save()
        p = table(self.client.get("/").content.decode(), 4)
        self.assertEqual(p[0], ["Rig", "URL", "Status"])              # the in-use marker left out
        CustomPage.objects.filter(slug="summary").delete()
        self.assertContains(self.client.get("/"), 'id="summary"')   # without it: the overview

    def test_pools_avshr_works_because_accepted_is_summed(self):
        p = table(self.client.get("/pages/pools/").content.decode(), 3)
        self.assertEqual(p[0][0], "URL")           # grouped: no rig column (miner.php: an empty one)
        self.assertEqual(column(p, "URL"), ["stratum+tcp://pool-a:3333", ""])  # pool-b received nothing
        self.assertEqual(column(p, "AvShr"), ["1,018.66", ""])        # round(5093.3242/5*100)/100
        self.assertEqual(column(p, "BRecv"), ["3,500", "3,500"])
        self.assertEqual(column(p, "DiffA"), ["5,093.32", "5,093.32"])

    def test_kano_gen_fields_are_formatted_by_name(self):
        body = self.client.get("/pages/kano/").content.decode()
        k = table(body, 2)
        self.assertEqual(k[0][:6], ["Rig", "Elapsed", "Block%", "GH/s Acc", "GH/s av", "GH/s 5m"])
        self.assertEqual(column(k, "Block%"), ["0.000%", "0.000%", "0.000%"])
        # round(2^32 * 3056 / 116841 / 10^7) / 100 = round(11.23) / 100; 2^32 * 2037.3242 / 3725 / 10^7 = 234.9
        self.assertEqual(column(k, "GH/s Acc"), ["0.11", "2.35", "2.46"])
        self.assertEqual(column(k, "GH/s av"), ["1.00", "2.00", "3.00"])  # 1000.5/1000 -> 1.0005 -> 1.00
        self.assertEqual(column(k, "GH/s WU"), ["1.00", "2.00", "3.00"])  # round(2^32 * 14 / 60 / 10^7) / 100
        p = table(body, 3)
        self.assertEqual(column(p, "Pool Acc%"), ["100.00%", "0.00%", ""])
        self.assertEqual(column(p, "Pool Rej%"), ["0.00%", "0.00%", ""])

    def test_stats_devnot_devdet_proto(self):
        body = self.client.get("/pages/stats/").content.decode()
        coin = table(body, 3)
        self.assertEqual(column(coin, "Current Block Time"), ["22:11:09 14-Nov-2023 UTC+00:00"] * 2)
        self.assertEqual(column(table(body, 4), "Max Diff")[:1], ["1,024.0"])
        devnot = table(self.client.get("/pages/devnot/").content.decode(), 2)
        self.assertEqual(column(devnot, "Last Not Well"), ["Never", "22:13:13", ""])
        devdet = table(self.client.get("/pages/devdet/").content.decode(), 2)
        self.assertEqual(column(devdet, "Device"), ["1:5", ""])
        proto = self.client.get("/pages/proto/").content.decode()
        self.assertEqual(column(table(proto, 2), "ASCs"), ["2"])
        pools = table(proto, 4)
        self.assertEqual(column(pools, "Acc"), ["5", "5"])            # a sum of integers prints as one
        self.assertEqual(column(pools, "Max Work Diff")[:1], ["1,024.0"])


def test_joined_rows_get_no_comparing_classes():
    """miner.php's fmt() looks for 'MHS av', 'Utility'... in the row; a joined row has them as
    'DEVS.MHS av', so hi/lo and late-share classes never show in joins."""
    from custompages.engine import build_section
    from custompages.render import to_table

    dev = {"ASC": 0, "Name": "BTB", "ID": 0, "MHS av": 1000.0, "Difficulty Accepted": 100.0, "Accepted": 100,
           "Utility": 1.0, "Last Share Time": WHEN - 600, "Last Share Difficulty": 1.0}
    rigs = [{"name": "a", "sections": {"DEVS": [dev], "NOTIFY": [{"NOTIFY": 0, "Name": "BTB", "ID": 0}]},
             "when": WHEN}]
    plain = to_table(build_section({"section": "DEVS", "fields": ["MHS av", "Last Share Time"]}, rigs),
                     0, "DEVS", {"a": rigs[0]}, None)
    assert [c[1] for c in plain.rows[0].cells[1:]] == ["hi", "err"]
    joined = to_table(build_section({"section": "DEVS+NOTIFY", "fields": ["DEVS.MHS av", "DEVS.Last Share Time"]},
                                    rigs), 0, "DEVS+NOTIFY", {"a": rigs[0]}, None)
    assert [c[1] for c in joined.rows[0].cells[1:]] == ["", ""]


@override_settings(TIME_ZONE="UTC")
class FormatsTestCase(BaseTestCase):
    def test_named_formats_replace_the_usual_formatting(self):
        from custompages.models import PageSection

        self.snapshot(sections=RIG_A, statuses=STATUSES)
        page = CustomPage.objects.create(name="Fmt", slug="fmt")
        PageSection.objects.create(
            page=page, section="SUMMARY", fields="MHS av\nElapsed\nGEN.Part\nDevice Rejected%\nLast getwork\nTotal MH",
            totals="MHS av", gen="Part=Difficulty Accepted / 305600",
            formats="MHS av=mhs\nElapsed=integer\nGEN.Part=percent\nDevice Rejected%=decimals3\n"
                    "Last getwork=date\nTotal MH=bytes")
        self.client.force_login(self.bob)
        t = table(self.client.get("/pages/fmt/").content.decode(), 0)
        self.assertEqual(t[1][1:], ["1,000.5", "116,841", "1.00%", "1.815", "22:13:19 14-Nov-2023 UTC+00:00",
                                    "124.69 GiB"])
        self.assertEqual(t[2][1], "1,000.5")  # the Σ row too
        PageSection.objects.filter(page=page).update(formats="MHS av=php")
        from custompages.checks import validate
        from custompages.definition import PageError

        with self.assertRaisesMessage(PageError, "unknown format 'php'"):
            validate(page.sections.first().definition())
