"""The Grafana dashboard in docs/ asks only for metrics /metrics serves."""

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.base import BaseTestCase

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


class GrafanaTests(BaseTestCase):
    def test_every_metric_of_the_dashboard_is_served(self):
        from watch.history import set_mark

        self.snapshot(sections={"SUMMARY": [{"MHS av": 1, "Accepted": 1, "Rejected": 0, "Hardware Errors": 0}],
                                "DEVS": [{"GPU": 0, "Temperature": 50}]})
        set_mark("poller_round_s", 1.0)
        set_mark("poller_rigs", 1)
        served = set()
        for family in text_string_to_metric_families(self.client.get("/metrics").content.decode()):
            served |= {s.name for s in family.samples} | {family.name}
        exprs = [t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p["targets"]]
        used = {name for e in exprs for name in re.findall(r"minerpanel_[a-z_]+", e)}
        assert len(used) > 10 and used <= served, used - served
