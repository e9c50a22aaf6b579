"""Ready rows on a farm larger than READY_BUILD_IN_VIEW: the poller's side builds a custom page's tables."""

from django.test import override_settings

from rigs.models import ReadyRow, Rig
from rigs.polling import hooks

from . import test_ready
from .base import BaseTestCase


class LargeFarmPagesTestCase(BaseTestCase):
    """On a farm larger than READY_BUILD_IN_VIEW a view leaves a custom page's tables that no poller kept
    to the poller's next batch (building 10,000 rigs' rows took the web process a minute), says they are
    being prepared, and the batch that builds them is pushed to the page."""

    store = test_ready.ReadyRowsTestCase.store

    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)

    @override_settings(READY_BUILD_IN_VIEW=2)
    def test_a_page_no_poller_kept_is_prepared_by_the_next_batch(self):
        from custompages.models import CustomPage, PageSection
        from rigs import live

        rigs = [Rig.objects.create(name=f"big{i}", host=f"10.8.0.{i}") for i in range(3)]
        for i, rig in enumerate(rigs):
            self.store(rig, 10 * (i + 1))
        page = CustomPage.objects.create(name="Rates", slug="rates")
        PageSection.objects.create(page=page, section="SUMMARY", fields="Accepted", totals="Accepted")
        PageSection.objects.create(page=page, order=1, section="SUMMARY", fields="Accepted", group="Accepted",
                                   calc="Accepted=count")
        body = self.client.get("/pages/rates/").content.decode()
        n = Rig.objects.count()
        assert body.count(f"being prepared for the {n} rigs by the poller") == 2 and "custom-0" not in body
        assert not ReadyRow.objects.filter(table__startswith=f"page:{page.pk}:").exists()  # none built by the view
        _, interest = live.fragment(self.bob, "custom:rates")
        keys = {f"page:{page.pk}:0", f"page:{page.pk}:1"}
        assert interest[0] == keys  # the batch that builds them is pushed to the page
        changed = hooks.after_batch([rigs[0].id])  # the poller's side: both built
        assert keys <= {key for found in changed for key in found}
        body = self.client.get("/pages/rates/").content.decode()
        assert "being prepared" not in body and 'id="custom-0"' in body and 'id="custom-1"' in body
        assert ">60<" in body.split('id="custom-0"')[1].split("</tfoot>")[0]  # 10 + 20 + 30
        assert ReadyRow.objects.filter(table=f"page:{page.pk}:0").count() == 3  # the rigs with a SUMMARY

    def test_a_small_farm_builds_it_in_the_view(self):
        from custompages.models import CustomPage, PageSection

        self.store(Rig.objects.create(name="small", host="10.8.1.1"), 5)
        page = CustomPage.objects.create(name="Rates", slug="rates")
        PageSection.objects.create(page=page, section="SUMMARY", fields="Accepted")
        body = self.client.get("/pages/rates/").content.decode()
        assert "being prepared" not in body and 'id="custom-0"' in body
