"""/metrics: guarded, and parsed by prometheus-client's own parser."""

from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from rigs.models import Rig
from tests.base import BaseTestCase
from watch.history import set_mark

SECTIONS = {"SUMMARY": [{"MHS av": 1500.5, "MHS 5s": 1400, "Accepted": 10, "Rejected": 2, "Hardware Errors": 1}],
            "DEVS": [{"GPU": 0, "Status": "Sick", "Temperature": 71.5, "MHS av": 1500.5}],
            "POOLS": [{"POOL": 0, "URL": "stratum+tcp://pool.example:3333", "Status": "Alive", "Priority": 0}]}


def samples(text):
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


class MetricsTests(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.rig.name = 'rig "a"\\<b>'
        self.rig.save()
        self.snapshot(sections=SECTIONS, latency_ms=12.0)
        down = Rig.objects.create(name="down", host="10.0.0.9", port=4028)
        self.snapshot(rig=down, error="connection refused", error_kind="refused", last_ok_at=None)
        set_mark("poller_round_s", 1.25)

    def test_every_rig_with_its_figures_and_the_poller(self):
        r = self.client.get("/metrics")
        assert r.status_code == 200 and r["Content-Type"].startswith("text/plain")
        m = samples(r.content.decode())
        up = {labels["rig"]: v for labels, v in m["minerpanel_rig_up"]}
        assert up == {'rig "a"\\<b>': 1.0, "down": 0.0}
        (labels, hs), = m["minerpanel_rig_hashrate_hs"]
        assert hs == 1500.5e6 and labels == {"rig": 'rig "a"\\<b>', "kind": "cgminer", "algorithm": "SHA-256d",
                                             "pool": "stratum+tcp://pool.example:3333", "site": ""}
        assert m["minerpanel_rig_accepted_total"][0][1] == 10 and m["minerpanel_rig_hardware_errors_total"][0][1] == 1
        assert m["minerpanel_rig_poll_latency_seconds"][0][1] == 0.012
        states = {(lb["rig"], lb["state"]): v for lb, v in m["minerpanel_rig_health"]}
        assert states[('rig "a"\\<b>', "warn")] == 1 and states[('rig "a"\\<b>', "ok")] == 0
        assert states[("down", "err")] == 1
        assert m["minerpanel_device_temperature_celsius"] == [({"rig": 'rig "a"\\<b>', "device": "GPU 0"}, 71.5)]
        assert m["minerpanel_device_status"][0][0]["status"] == "Sick"
        assert m["minerpanel_poller_round_seconds"] == [({"shard": "all"}, 1.25)]
        assert m["minerpanel_poller_errors"] == [({"kind": "refused"}, 1.0)]

    def test_chips_beside_the_boards(self):
        board = {"ASC": 0, "Name": "SM", "ID": 0, "Status": "Alive", "Temperature": 70.0, "Chip Temp": 97.5,
                 "MHS av": 1e8}
        from rigs.models import Snapshot
        Snapshot.objects.filter(rig=self.rig).delete()
        self.snapshot(sections={"SUMMARY": [{"MHS av": 1e8, "Temperature": 70.0, "Chip Temp": 97.5}],
                                "DEVS": [board, {**board, "ASC": 1, "ID": 1, "Chip Temp": 0}]})
        m = samples(self.client.get("/metrics").content.decode())
        assert [v for _, v in m["minerpanel_rig_temperature_celsius"]] == [70.0]
        assert [v for _, v in m["minerpanel_rig_chip_temperature_celsius"]] == [97.5]
        assert [(lb["device"], v) for lb, v in m["minerpanel_device_chip_temperature_celsius"]] == [("ASC 0", 97.5)]

    def test_other_addresses_are_refused(self):
        assert self.client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403

    @override_settings(METRICS_TOKEN="t0ken", METRICS_ALLOW=[])
    def test_a_token_opens_it(self):
        assert self.client.get("/metrics").status_code == 403
        assert self.client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert self.client.get("/metrics", headers={"Authorization": "Bearer t0ken"}).status_code == 200

    @override_settings(METRICS_ALLOW=["10.1.0.0/16"])
    def test_an_allowed_network(self):
        assert self.client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
        assert self.client.get("/metrics").status_code == 403
