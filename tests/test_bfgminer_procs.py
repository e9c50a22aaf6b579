"""bfgminer's processors: its `devs` leaves out ProcID, its `procs` answers the same records with it (our capture of
bfgminer 5.5.0-34-g866fd36f, tests/fixtures/real/); miner.php reads `procs` when $per_proc is on (bfgminer's own
miner.php sets it). The cgminer driver asks `procs` of a bfgminer rig, once more in the same poll, and only of it."""

import asyncio
import io
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from minerpanel.models import ApiToken
from rigs.drivers import cgminer
from rigs.models import Rig, Snapshot
from rigs.polling import poller
from tests.conftest import free_port
from tests.replay import REAL, Replay, serve

BFG = "bfgminer-5.5.0-34-g866fd36f"


def replay_rig(bg, folder):
    replay = Replay(folder)
    port = free_port()
    bg.run(serve(replay, "127.0.0.1", port))
    return replay, SimpleNamespace(host="127.0.0.1", port=port, joins=None, wanted=())


@pytest.mark.django_db
def test_a_bfgminer_rigs_devs_carry_procid(bg):
    replay, rig = replay_rig(bg, BFG)
    sections, statuses = bg.run(cgminer.poll(rig, timeout=3, connect_timeout=2))
    assert [(d["PGA"], d["Name"], d["ID"], d["ProcID"]) for d in sections["DEVS"]] == [(0, "CPU", 0, 0)]
    assert sections["DEVS"][0]["MHS av"] == 0.846 and sections["DEVS"][0]["Device Rejected%"] == 9.0909
    assert statuses["procs"]["Msg"] == "1 PGA(s)" and statuses["devs"]["Code"] == 9
    assert replay.asked == ["+".join(cgminer.poll_commands()), "procs"]  # one request more, not one per command


@pytest.mark.django_db
def test_a_cgminer_rig_is_not_asked_procs(bg):
    replay, rig = replay_rig(bg, "cgminer-4.11.1")
    sections, statuses = bg.run(cgminer.poll(rig, timeout=3, connect_timeout=2))
    assert statuses["devs"]["Msg"] == "No ASCs" and sections["VERSION"][0]["CGMiner"] == "4.11.1"
    assert "procs" not in statuses and len(replay.asked) == 1


@pytest.mark.django_db
def test_a_bfgminer_whose_procs_fails_keeps_its_devs(bg):
    replay, rig = replay_rig(bg, BFG)
    del replay.replies["procs"]  # "Invalid command"
    sections, statuses = bg.run(cgminer.poll(rig, timeout=3, connect_timeout=2))
    assert "ProcID" not in sections["DEVS"][0] and sections["DEVS"][0]["Name"] == "CPU" and "procs" not in statuses


@pytest.mark.django_db(transaction=True)
def test_bfgminers_own_mobile_page_shows_the_proc_column(bg, client):
    """bfgminer's miner.php (tests/fixtures/real/minerphp/luke-jr-bfgminer/) imported as it is: its Mobile page's
    DEVS.ProcID=Proc column, once empty, shows the processor of the real bfgminer polled."""
    out = io.StringIO()
    call_command("importminerphp", str(REAL / "minerphp" / "luke-jr-bfgminer" / "miner.php"), stdout=out,
                 stderr=io.StringIO())
    assert "'DEVS.ProcID'" not in out.getvalue()  # no "no rig sends a field" note: bfgminer's procs sends it
    assert "$per_proc: not needed (the panel reads bfgminer's `procs`" in out.getvalue()
    _, rig = replay_rig(bg, BFG)
    Rig.objects.filter(host="127.0.0.1", port=4028).update(port=rig.port)
    asyncio.run(poller.poll_once())
    snap = Snapshot.objects.get(rig__port=rig.port)
    assert snap.error == "" and snap.sections["DEVS"][0]["ProcID"] == 0

    user = User.objects.create_user("bob", password="x")
    user.groups.add(Group.objects.get_or_create(name="usr")[0])
    _, text = ApiToken.issue(user, "procs")
    data = client.get("/api/pages/mobile/", HTTP_AUTHORIZATION=f"Bearer {text}").json()
    devs = next(t for t in data["tables"] if "Proc" in t["columns"])
    assert [(row["Name"], row["Proc"]) for row in devs["rows"]] == [("CPU", "0")]
