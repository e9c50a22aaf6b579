"""Every kind of rig is a driver with the same interface, found by kind."""

import asyncio
import inspect

import pytest

from rigs import drivers
from rigs.control import commands
from rigs.models import Rig
from rigs.simulators import xmrig as xmrig_sim
from rigs.simulators import xmrigcc as xmrigcc_sim
from rigs.simulators.cgminer import SimFarm, SimRig
from tests.conftest import free_port

LIMITS = {"connect_timeout": 1.0, "timeout": 2.0}


@pytest.mark.parametrize("kind", drivers.kinds())
def test_every_driver_has_the_interface(kind):
    d = drivers.driver(kind)
    assert kind == d.KIND and d.LABEL
    assert inspect.iscoroutinefunction(d.poll) and inspect.iscoroutinefunction(d.command)
    assert d.COMMANDS and all(isinstance(c, commands.Command) for c in d.COMMANDS)
    for name in ("detect", "report", "check_access"):
        assert getattr(d, name, None) is None or inspect.iscoroutinefunction(getattr(d, name))


def test_commands_are_merged_by_name_with_every_kind_that_takes_them():
    merged = commands.COMMANDS
    assert set(merged["restart"].rig_kinds) == {"braiins", "whatsminer", "luxos", "vnish", "avalon", "cgminer",
                                                "ckpool"}
    assert "ckpool restarts" in merged["restart"].help
    assert set(merged["pause"].rig_kinds) == {"braiins", "vnish", "xmrig"}
    assert merged["ccstop"].rig_kinds == ("xmrigcc-server",)
    assert {c.name for c in commands.for_rig({}, "xmrig")} == {"pause", "resume", "curtail"}
    assert set(merged["curtail"].rig_kinds) == set(drivers.kinds()) - {"ckpool"}  # a pool server: nothing to curtail
    assert merged["resume"].rig_kinds == merged["curtail"].rig_kinds


def test_the_rig_model_takes_its_kinds_and_checks_from_the_drivers():
    kinds = [k for k, _ in Rig._meta.get_field("kind").choices]
    assert kinds[0] == Rig._meta.get_field("kind").default == "cgminer"  # the admin's select starts with the default
    assert sorted(kinds) == sorted(drivers.kinds())
    assert Rig(kind="ckpool", path="/tmp/ck", logdir="/tmp/ck/logs").address == "/tmp/ck"
    assert Rig(kind="cgminer", host="10.0.0.5", port=4028).address == "10.0.0.5:4028"
    assert Rig(kind="gone", host="10.0.0.5", port=4028).address == "10.0.0.5:4028"  # a kind no driver knows


def test_detect_names_what_answers(tmp_path):
    async def main():
        cg, xm, cc, nothing = free_port(), free_port(), free_port(), free_port()
        farm = await SimFarm([SimRig(flavour="bfgminer")], "127.0.0.1", cg).start()
        xmrig = await xmrig_sim.serve([xmrig_sim.XmrigSim(token="t", restricted=False)], "127.0.0.1", xm)
        server = xmrigcc_sim.Server(str(tmp_path), user="admin", password="pw")
        ccsrv = await xmrigcc_sim.serve(server, "127.0.0.1", cc)
        try:
            return [await drivers.detect("127.0.0.1", p, **LIMITS) for p in (cg, xm, cc, nothing)]
        finally:
            await farm.stop()
            for s in (*xmrig, ccsrv):
                s.close()

    found = asyncio.run(main())
    assert found[0] == ("cgminer", "bfgminer 5.5.0-34-g866fd36f, API 3.1")
    assert found[1] == ("xmrig", "xmrig (its API wants the access token)")
    assert found[2] == ("xmrigcc-server", "XMRigCC server (needs its admin user and password)")
    assert found[3] is None


@pytest.mark.parametrize("kind", drivers.kinds())
def test_every_driver_names_the_rig_fields_it_uses(kind):
    """FIELDS is read: the admin's connection fieldsets are built from it, so every field is a Rig
    field and every connection field some driver uses is in the admin."""
    fields = drivers.driver(kind).FIELDS
    assert fields and set(fields) <= {f.name for f in Rig._meta.get_fields()}


def test_the_admin_shows_the_fields_the_drivers_use_grouped_by_the_kinds_using_them():
    from rigs.admin import RigAdmin

    shown = [f for _, opts in RigAdmin.fieldsets for f in opts["fields"]]
    assert len(shown) == len(set(shown))
    assert {f for kind in drivers.kinds() for f in drivers.driver(kind).FIELDS} <= set(shown)
    groups = {tuple(kinds): fields for kinds, fields in drivers.field_groups()}
    assert groups[("ckpool",)] == ["path", "logdir"]


def test_what_the_rest_of_the_panel_asks_the_drivers():
    assert drivers.fleet_kinds() == ("ckpool", "xmrigcc-server")
    assert (drivers.fleet_unit("ckpool"), drivers.fleet_unit("xmrigcc-server"), drivers.fleet_unit("cgminer")) == (
        "workers", "clients", "")
    assert drivers.access_denied("cgminer", 45) and drivers.access_denied("antminer", 45)
    assert drivers.access_denied("luxos", 14, "Access denied to 'quit' command")
    assert not drivers.access_denied("cgminer", 14)
    assert not drivers.access_denied("xmrig", 45) and not drivers.access_denied("gone", 45)
    assert [k for k in drivers.kinds() if not drivers.needs_secret(k)] == ["luxos", "avalon", "cgminer", "ckpool"]
    assert drivers.client_actions("xmrigcc-server") and drivers.client_actions("cgminer") == ()
    from rigs.readings.health import device_label

    assert device_label({"Name": "gpu-box", "ID": 3}, "xmrigcc-server") == "gpu-box"
    assert device_label({"Name": "gpu-box", "ID": 3}, "cgminer") == "gpu-box 3"
    assert device_label({"GPU": 1, "Name": "x", "ID": 1}, "cgminer") == "GPU 1"


def test_no_kind_is_named_outside_the_drivers_and_simulators():
    """The seam holds: code outside rigs/drivers/ and rigs/simulators/ asks the drivers what a kind
    is, never compares a kind with a kind's name."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    names = "cgminer|xmrig|xmrigcc|xmrigcc-server|ckpool|antminer|vnish|whatsminer|braiins|luxos|avalon"
    compare = re.compile(rf"""(kind|KIND)\b[^=]*(==|!=| in )[^#]*["']({names})["']""")
    found = []
    for top in ("minerpanel", "rigs", "custompages", "watch"):
        for path in (root / top).rglob("*.py"):
            rel = path.relative_to(root).as_posix()
            if rel.startswith(("rigs/drivers/", "rigs/simulators/")) or "/migrations/" in rel:
                continue
            found += [f"{rel}:{n}" for n, line in enumerate(path.read_text().splitlines(), 1) if compare.search(line)]
    assert found == []


def test_the_demo_simulate_rigs_and_the_builtin_pages_name_no_kind():
    """The demo and simulate_rigs run what the simulators declare (rigs/simulators/: SIMULATION), the built-in
    pages add the drivers' CUSTOM_PAGES: no kind's name in their code, no simulator's module imported but
    the registry."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    kinds = set(drivers.kinds()) | {"xmrigcc", "whatsminer3", "whatsminer_v3"}
    found = []
    for rel in ("rigs/demo.py", "rigs/management/commands/simulate_rigs.py", "custompages/builtin.py"):
        tree = ast.parse((root / rel).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    node.value.strip("-").lower() in kinds or any(f"--{k}" in node.value for k in kinds)):
                found.append(f"{rel}:{node.lineno} {node.value!r}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rigs.simulators."):
                found.append(f"{rel}:{node.lineno} imports {node.module}")
            if isinstance(node, ast.ImportFrom) and node.module == "rigs.simulators":
                found += [f"{rel}:{node.lineno} imports {a.name}" for a in node.names if a.name in kinds]
            if isinstance(node, ast.Import):
                found += [f"{rel}:{node.lineno} imports {a.name}" for a in node.names
                          if a.name.startswith("rigs.simulators.")]
    assert found == []
    assert [page["slug"] for page in drivers.custom_pages()] == ["ckpool", "xmrigcc"]
    from rigs import simulators

    assert [s.label for s in simulators.simulations()] == [
        "cgminer", "xmrig", "ckpool", "XMRigCC", "Antminer", "Whatsminer", "Whatsminer API v3", "Braiins OS", "LuxOS",
        "VNish", "Avalon"]
