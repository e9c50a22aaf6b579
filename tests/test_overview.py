"""The Overview's fixed tables: what they read after a batch, and their totals."""

from unittest import mock

from rigs.models import Rig, Snapshot
from rigs.readings.brief import make_brief

from .base import BaseTestCase
from .test_pages import summary


class OverviewTests(BaseTestCase):
    def test_the_overview_reads_again_only_the_snapshots_stored_since_and_forgets_deleted_rigs(self):
        from datetime import timedelta

        from django.utils import timezone

        from rigs.web import view_models

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
        view_models.rigs_with_snapshots()
        assert b.id not in view_models._BRIEFS

    def test_the_totals_count_shares_in_whole_numbers(self):
        for i, accepted in enumerate((1000, 2345)):
            rig = Rig.objects.create(name=f"tot-{i}", host=f"10.4.0.{i}")
            self.snapshot(rig=rig, sections={"SUMMARY": [summary(Accepted=accepted)]})
        self.client.force_login(self.bob)
        page = self.client.get("/overview/").content.decode()
        assert ">3,345<" in page and "3,345.0" not in page
