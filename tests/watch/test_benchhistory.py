"""`manage.py benchhistory` against a panel's live database: it runs, and leaves the database as it was."""

import time

import pytest
from django.core.management import call_command

from rigs.models import Rig
from watch.models import FarmPoint, Point

pytestmark = pytest.mark.django_db


def test_benchhistory_runs_beside_real_history_and_rolls_back(capsys):
    real = Rig.objects.create(name="bench-0", host="10.9.9.9", port=4028)  # named as the bench named its own
    hour = int(time.time()) // 3600 * 3600
    for t in (hour - 60, hour + 3600 - 60, hour - 900, hour - 3600):  # where the bench writes its farm points
        for res in (1, 15, 60):
            FarmPoint.objects.create(res=res, t=t, algorithm="SHA-256d", hs=42.0, rigs=1, healthy=1)
    Point.objects.create(rig=real, res=1, t=hour - 60, hs=42.0)
    before = sorted(FarmPoint.objects.values_list("res", "t", "algorithm", "hs", "rigs"))
    call_command("benchhistory", rigs=20, days=1, sample=2, rounds=2)
    assert "rolled back" in capsys.readouterr().out
    assert sorted(FarmPoint.objects.values_list("res", "t", "algorithm", "hs", "rigs")) == before
    assert list(Rig.objects.values_list("name", flat=True)) == ["bench-0"]
    assert list(Point.objects.values_list("rig_id", "hs")) == [(real.id, 42.0)]
