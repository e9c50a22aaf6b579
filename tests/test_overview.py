"""The Overview's fixed tables: what they read after a batch, and their totals."""

from rigs.models import Rig, Snapshot
from rigs.readings.brief import make_brief

from .base import BaseTestCase
from .test_pages import summary


class OverviewTests(BaseTestCase):
    def test_the_overview_reads_the_rows_written_after_each_batch_and_no_snapshot(self):
        from datetime import timedelta

        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from rigs.polling import hooks

        a, b = (Rig.objects.create(name=n, host=f"10.3.0.{i}") for i, n in enumerate(("rig-aa", "rig-bb")))
        self.snapshot(rig=a, sections={"SUMMARY": [summary(Accepted=111)]})
        self.snapshot(rig=b, sections={"SUMMARY": [summary(Accepted=222)]})
        self.client.force_login(self.bob)
        page = self.client.get("/overview/").content.decode()
        assert ">111<" in page and ">222<" in page and "Σ 2 rigs" in page and ">333<" in page
        later = timezone.now() + timedelta(seconds=5)  # the poller stores rig-aa again
        sections = {"SUMMARY": [summary(Accepted=444)]}
        Snapshot.objects.filter(rig=a).update(sections=sections, brief=make_brief(sections, {}), polled_at=later,
                                              last_ok_at=later)
        assert ">111<" in self.client.get("/overview/").content.decode()  # the web process computes nothing
        hooks.after_batch([a.id])  # what the poller does after storing a batch: its ready rows
        with CaptureQueriesContext(connection) as queries:
            page = self.client.get("/overview/").content.decode()
        assert ">444<" in page and ">222<" in page and ">111<" not in page
        assert ">666<" in page  # the totals: 444 + 222, kept by differences
        assert not [q for q in queries if "rigs_snapshot" in q["sql"]]  # no snapshot read by the view
        b.delete()
        page = self.client.get("/overview/").content.decode()
        assert ">222<" not in page and "Σ 1 rig" in page

    def test_the_totals_count_shares_in_whole_numbers(self):
        for i, accepted in enumerate((1000, 2345)):
            rig = Rig.objects.create(name=f"tot-{i}", host=f"10.4.0.{i}")
            self.snapshot(rig=rig, sections={"SUMMARY": [summary(Accepted=accepted)]})
        self.client.force_login(self.bob)
        page = self.client.get("/overview/").content.decode()
        assert ">3,345<" in page and "3,345.0" not in page
