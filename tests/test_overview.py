"""The Overview's fixed tables: what they read after a batch, and their totals."""

from unittest import mock

from rigs.models import Rig, Snapshot, make_brief

from .base import BaseTestCase
from .test_pages import summary


class OverviewTests(BaseTestCase):
    def test_the_overview_reads_again_only_the_snapshots_stored_since_and_forgets_deleted_rigs(self):
        from datetime import timedelta

        from django.utils import timezone

        from rigs import pages

        a, b = (Rig.objects.create(name=n, host=f"10.3.0.{i}") for i, n in enumerate(("rig-aa", "rig-bb")))
        self.snapshot(rig=a, sections={"SUMMARY": [summary(Accepted=111)]})
        self.snapshot(rig=b, sections={"SUMMARY": [summary(Accepted=222)]})
        self.client.force_login(self.bob)
        page = self.client.get("/overview/").content.decode()
        assert ">111<" in page and ">222<" in page
        later = timezone.now() + timedelta(seconds=5)  # the poller stores rig-aa again
        sections = {"SUMMARY": [summary(Accepted=333)]}
        Snapshot.objects.filter(rig=a).update(sections=sections, brief=make_brief(sections, {}), polled_at=later,
                                              last_ok_at=later)
        read = []
        real = Snapshot.objects.filter

        def spy(*args, **kw):
            read.append(kw.get("rig_id__in"))
            return real(*args, **kw)

        with mock.patch.object(Snapshot.objects, "filter", spy):
            page = self.client.get("/overview/").content.decode()
        assert ">333<" in page and ">222<" in page and ">111<" not in page
        assert [ids for ids in read if ids is not None] == [[a.id]]  # only the rig stored since
        b.delete()
        pages.rigs_with_snapshots()
        assert b.id not in pages._BRIEFS

    def test_the_totals_count_shares_in_whole_numbers(self):
        for i, accepted in enumerate((1000, 2345)):
            rig = Rig.objects.create(name=f"tot-{i}", host=f"10.4.0.{i}")
            self.snapshot(rig=rig, sections={"SUMMARY": [summary(Accepted=accepted)]})
        self.client.force_login(self.bob)
        page = self.client.get("/overview/").content.decode()
        assert ">3,345<" in page and "3,345.0" not in page


class HugeNumberTests(BaseTestCase):
    def test_numbers_beyond_a_floats_range_neither_fail_the_batch_nor_the_pages(self):
        """10**400 is valid JSON: kept as an int, every float() of it raised, in the brief (the whole
        batch of rigs went unwritten) and in the pages. A rig's integer no float holds is None."""
        import json

        from rigs import poller
        from rigs.drivers.cgminer import stored
        from rigs.drivers.cgminer.protocol import parse_reply

        big = "1" + "0" * 400

        def part(name, records):
            return [{"STATUS": [{"STATUS": "S", "When": 1, "Code": 1, "Msg": name}], name.upper(): records, "id": 1}]

        reply = json.dumps({
            "summary": part("summary", [summary(Accepted="-BIG", **{"MHS av": "BIG"})]),
            "devs": part("devs", [{"ASC": 0, "Status": "Alive", "Temperature": "BIG", "MHS av": "BIG",
                                   "Last Share Time": "BIG"}]),
            "pools": part("pools", [{"POOL": 0, "Status": "Alive", "Priority": "BIG", "Accepted": "BIG"}]),
            "stats": part("stats", [{"STATS": 0, "ID": "X", "temp1": "BIG", "temp2_1": "-BIG"}]), "id": 1})
        reply = reply.replace('"BIG"', big).replace('"-BIG"', "-" + big)
        sections, statuses = stored(parse_reply(reply.encode() + b"\0", "summary+devs+pools+stats"))
        assert sections["DEVS"][0]["Temperature"] is None and sections["SUMMARY"][0]["Accepted"] is None
        odd, fine = (Rig.objects.create(name=n, host=f"10.4.0.{i}") for i, n in enumerate(("rig-odd", "rig-fine")))
        poller.store([poller.Result(odd.id, True, sections=sections, statuses=statuses),
                      poller.Result(fine.id, True, sections={"SUMMARY": [summary(Accepted=444)]})])
        assert Snapshot.objects.get(rig=odd).brief["figures"]["accepted"] is None
        assert Snapshot.objects.get(rig=fine).brief["figures"]["accepted"] == 444
        self.client.force_login(self.bob)
        for url in ("/", "/overview/", f"/rigs/{odd.id}/"):
            assert self.client.get(url).status_code == 200, url
        assert ">444<" in self.client.get("/overview/").content.decode()
