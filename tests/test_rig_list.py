from django.utils import timezone

from rigs.models import Snapshot

from .base import BaseTestCase


class RigListTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        now = timezone.now()
        Snapshot.objects.create(
            rig=self.rig, polled_at=now, last_ok_at=now,
            sections={"SUMMARY": [{"GHS av": 13500.5, "GHS 5s": "13,400"}],
                      "VERSION": [{"CGMiner": "4.11.1", "API": "3.7"}],
                      "DEVS": [{"ASC": 0}, {"ASC": 1}], "POOLS": [{"POOL": 0, "URL": "<script>x</script>"}]},
        )

    def test_it_requires_login(self):
        r = self.client.get("/")
        self.assertRedirects(r, "/login/?next=/")

    def test_it_lists_rigs_with_state_and_rate(self):
        self.client.force_login(self.bob)
        r = self.client.get("/")
        self.assertContains(r, "rig-a")
        self.assertContains(r, "13.50 TH/s")
        self.assertContains(r, "cgminer 4.11.1")
        self.assertContains(r, "badge ok")
        self.assertNotContains(r, "10.0.0.5")  # addresses are for sys users

    def test_sys_users_see_the_address(self):
        self.client.force_login(self.alice)
        self.assertContains(self.client.get("/"), "10.0.0.5:4028")

    def test_htmx_gets_only_the_table(self):
        self.client.force_login(self.bob)
        r = self.client.get("/", HTTP_HX_REQUEST="true")
        self.assertContains(r, 'id="rig-table"')
        self.assertNotContains(r, "<html")

    def test_unreachable_rig_shows_its_reason_escaped(self):
        Snapshot.objects.filter(rig=self.rig).update(error="reply is <b>bad</b>")
        self.client.force_login(self.bob)
        r = self.client.get("/")
        self.assertContains(r, "badge unreachable")
        self.assertContains(r, "reply is &lt;b&gt;bad&lt;/b&gt;")

    def test_constant_queries(self):
        self.client.force_login(self.bob)
        with self.assertNumQueries(3):  # session, user, rigs+snapshots
            self.client.get("/")


def test_miner_names_from_every_firmware():
    from rigs.overview import miner_version

    assert miner_version({"VERSION": [{"CGMiner": "4.11.1", "API": "3.7"}]}) == ("cgminer 4.11.1", "3.7")
    assert miner_version({"VERSION": [{"Miner": "bfgminer 5.5.0-34-g866fd36f", "CGMiner": "5.5.0", "API": "3.1"}]}) \
        == ("bfgminer 5.5.0-34-g866fd36f", "3.1")
    assert miner_version({"VERSION": [{"BMMiner": "2.0.0", "API": "3.1", "Miner": "16.8.1.3"}]})[0] == "bmminer 2.0.0"
    assert miner_version({}) == ("", "")
