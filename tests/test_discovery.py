"""Discovery end to end: multicast inside a network namespace this test makes, the scan
against simulator rigs on loopback addresses. Nothing is sent anywhere else."""

import asyncio
import ctypes
import io
import os
import subprocess
import sys
import threading
import time
import unittest
import uuid
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase

from rigs.discovery import search
from rigs.discovery.register import register
from rigs.models import Rig
from rigs.simulators.cgminer import SimFarm, SimRig, mcast
from tests.base import BaseTestCase
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
CLONE_NEWNET = 0x40000000


def sh(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=20)


class Namespace:
    """A network namespace with only a multicast-capable loopback; removed by close()."""

    def __init__(self):
        self.name = f"mp-t11-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        steps = [("ip", "netns", "add", self.name)] + [
            ("ip", "netns", "exec", self.name, *cmd) for cmd in (
                ("ip", "link", "set", "lo", "up"), ("ip", "link", "set", "lo", "multicast", "on"),
                ("ip", "route", "add", "224.0.0.0/4", "dev", "lo"))]
        for step in steps:
            try:
                done = sh(*step)
            except (OSError, subprocess.TimeoutExpired) as exc:
                self.close()
                raise RuntimeError(f"{' '.join(step)}: {exc}") from None
            if done.returncode:
                self.close()
                raise RuntimeError(f"{' '.join(step)}: {done.stderr.strip()}")

    def run(self, fn):
        """fn() in a thread that lives in the namespace (sockets it makes stay there)."""
        box = {}

        def body():
            libc = ctypes.CDLL(None, use_errno=True)
            with open(f"/var/run/netns/{self.name}") as fh:
                if libc.setns(fh.fileno(), CLONE_NEWNET) != 0:
                    box["error"] = unittest.SkipTest(f"cannot enter the namespace: {os.strerror(ctypes.get_errno())}")
                    return
            try:
                box["value"] = fn()
            except BaseException as exc:  # handed to the test thread
                box["error"] = exc

        thread = threading.Thread(target=body)
        thread.start()
        thread.join(60)
        if "error" in box:
            raise box["error"]
        return box["value"]

    def close(self):
        sh("ip", "netns", "del", self.name)


def farm_and_discover(rigs, base_port, responder_code="FTW", **options):
    """Serve rigs (loopback ports) answering multicast, discover them; in the calling thread's namespace."""

    async def main():
        farm = await SimFarm(rigs, "127.0.0.1", base_port).start()
        transport = await mcast.serve(farm, code=responder_code, quiet=0)
        try:
            return await search.mcast(**options)
        finally:
            transport.close()
            await farm.stop()

    return asyncio.run(main())


class MulticastTests(BaseTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.ns = Namespace()
        except RuntimeError as exc:
            cls.ns = None
            cls.why = f"cannot make a network namespace for multicast (needs root and iproute2): {exc}"

    @classmethod
    def tearDownClass(cls):
        if cls.ns:
            cls.ns.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self.ns is None:
            self.skipTest(self.why)

    def rigs(self):
        rigs = [SimRig(index=i, flavour=f) for i, f in enumerate(["cgminer", "bfgminer", "sgminer"])]
        rigs[2].access = "deny"  # its --api-allow does not admit us: it stays silent
        return rigs

    def test_rigs_answer_and_are_registered_once(self):
        found = self.ns.run(lambda: farm_and_discover(self.rigs(), 4030, timeout=0.5, listen_port=4027))
        self.assertEqual([(f.host, f.port, f.description) for f in found],
                         [("127.0.0.1", 4030, "sim00"), ("127.0.0.1", 4031, "sim01")])
        self.assertEqual(found[0].version, "CGMiner 4.11.1, API 3.7")
        self.assertTrue(found[1].version.startswith("bfgminer 5.5.0"))
        lines = register(found)
        self.assertEqual(lines, ["+ rig 'sim00' at 127.0.0.1:4030", "+ rig 'sim01' at 127.0.0.1:4031"])
        rig = Rig.objects.get(name="sim00")
        self.assertTrue(rig.discovered)
        self.assertEqual((rig.host, rig.port, rig.kind), ("127.0.0.1", 4030, "cgminer"))
        again = register(found)
        self.assertEqual(again, ["= 127.0.0.1:4030 is already the rig 'sim00'",
                                 "= 127.0.0.1:4031 is already the rig 'sim01'"])
        self.assertEqual(Rig.objects.filter(discovered=True).count(), 2)

    def test_a_wrong_code_gets_no_answer(self):
        found = self.ns.run(lambda: farm_and_discover(self.rigs(), 4030, responder_code="BOB", timeout=0.5))
        self.assertEqual(found, [])
        found = self.ns.run(lambda: farm_and_discover(self.rigs(), 4030, responder_code="BOB", code="BOB",
                                                      timeout=0.5))
        self.assertEqual(len(found), 2)

    def test_an_answer_without_a_valid_version_is_listed_not_registered(self):
        rigs = self.rigs()
        rigs[0].fault = "garbage"
        found = self.ns.run(lambda: farm_and_discover(rigs, 4030, timeout=0.5))
        self.assertEqual([f.version is None for f in found], [True, False])
        lines = register(found)
        self.assertIn("! 127.0.0.1:4030 gave no valid `version` reply: not added", lines)
        self.assertFalse(Rig.objects.filter(port=4030).exists())

    def test_the_commands_end_to_end(self):
        env = dict(os.environ, DEMO_RIGS="false",
                   MINERPANEL_VAR=os.environ.get("MINERPANEL_VAR", "/tmp/minerpanel-t11"))
        exec_ = ("ip", "netns", "exec", self.ns.name, sys.executable, str(ROOT / "manage.py"))
        sim = subprocess.Popen([*exec_, "simulate_rigs", "--count", "3", "--base-port", "4030", "--mcast",
                                "--mcast-code", "K1", "--access", "1=deny"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            for line in sim.stdout:
                if "answering multicast" in line:
                    break
            out = subprocess.run([*exec_, "discover", "--mcast", "--code", "K1", "--timeout", "1", "--expect", "3"],
                                 capture_output=True, text=True, timeout=60, env=env)
            wrong = subprocess.run([*exec_, "discover", "--mcast", "--timeout", "1"],
                                   capture_output=True, text=True, timeout=60, env=env)
        finally:
            sim.terminate()
            sim.wait(10)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["address", "API", "port", "description", "kind", "version"])
        self.assertEqual(lines[1].split()[:5], ["127.0.0.1", "4030", "sim00", "cgminer", "CGMiner"])
        self.assertEqual(lines[2].split()[:5], ["127.0.0.1", "4032", "sim02", "cgminer", "SGMiner"])
        self.assertEqual(len(lines), 3)
        self.assertIn("Found 2 rigs but expected at least 3", out.stderr)
        self.assertEqual(wrong.stdout.strip(), "no rig answered")


class ProtocolTests(SimpleTestCase):
    def test_messages(self):
        self.assertEqual(search.request("FTW", 4027), b"cgminer-FTW-4027")
        self.assertEqual(search.parse_reply(b"cgm-FTW-4028-rigA\0"), (4028, "rigA"))
        self.assertEqual(search.parse_reply(b"cgm-FTW-4028\0junk"), (4028, ""))
        self.assertEqual(search.parse_reply(b"cgm-FTW-4028-a-b-c"), (4028, "a-b-c"))
        self.assertEqual(search.parse_reply(b"cgm-FTW-4028-<b>\x07x" + b"y" * 100)[1], "<b>x" + "y" * 60)
        for bad in (b"cgm-ABC-4028", b"cgm-FTW-0", b"cgm-FTW-70000", b"cgminer-FTW-4027", b"", b"\xff" * 32):
            self.assertIsNone(search.parse_reply(bad), bad)
        with self.assertRaises(search.DiscoveryError):
            search.request("F-T", 4027)

    def test_scan_bounds(self):
        self.assertEqual(search.scan_targets("127.0.0.0/30", 4028), ["127.0.0.1", "127.0.0.2"])
        self.assertEqual(search.scan_targets("127.0.0.9/32", 4028), ["127.0.0.9"])
        for cidr, why in (("8.8.8.0/24", "not a private range"), ("10.0.0.0/16", "at most 1024"),
                          ("nonsense", "not an address range"), ("224.0.0.0/28", "not a private range")):
            with self.assertRaisesRegex(search.DiscoveryError, why):
                search.scan_targets(cidr, 4028)
        self.assertEqual(len(search.scan_targets("8.8.8.0/30", 4028, allow_public=True)), 2)  # not sent to


class ScanTests(BaseTestCase):
    def test_scan_finds_the_simulator_rigs_on_loopback_addresses(self):
        port = free_port()
        rigs = [SimRig(index=i, flavour="cgminer") for i in range(4)]
        rigs[1].fault = "garbage"
        rigs[3].fault = "hang"

        async def main():
            farms = [await SimFarm([rig], f"127.0.0.{2 + i}", port).start() for i, rig in enumerate(rigs)]
            started = time.monotonic()
            try:
                return await search.scan("127.0.0.0/28", port, timeout=1.0), time.monotonic() - started
            finally:
                for farm in farms:
                    await farm.stop()

        found, took = asyncio.run(main())
        self.assertEqual([f.host for f in found], ["127.0.0.2", "127.0.0.4"])  # .3 garbage, .5 hangs
        self.assertTrue(all(f.version.startswith("CGMiner 4.11.1") for f in found))
        self.assertLess(took, 5)  # the hung rig costs one timeout, not the scan
        lines = register(found)
        self.assertEqual(lines, [f"+ rig '127.0.0.2:{port}' at 127.0.0.2:{port}",
                                 f"+ rig '127.0.0.4:{port}' at 127.0.0.4:{port}"])

    def test_the_command_refuses_public_ranges_and_sends_nothing(self):
        with self.assertRaisesRegex(CommandError, "not a private range"):
            call_command("discover", "--scan", "1.1.1.0/29", stdout=io.StringIO())
        with self.assertRaisesRegex(CommandError, "--limit is from 1 to 65536"):
            call_command("discover", "--scan", "127.0.0.0/8", "--limit", "9999999", stdout=io.StringIO())


def test_identify_names_the_kind_of_what_answers(bg):
    """Discovery asks every driver's detect(): an Antminer, an xmrig and a cgminer rig each get their kind."""
    from rigs.simulators import antminer, xmrig
    from rigs.simulators.cgminer import SimFarm
    from tests.conftest import free_port

    ant, web, xm, cg = free_port(), free_port(), free_port(), free_port()
    bg.run(antminer.serve(antminer.AntminerSim(password="pw"), "127.0.0.1", ant, web))
    bg.run(xmrig.serve([xmrig.XmrigSim(token="t", restricted=False)], "127.0.0.1", xm))
    bg.run(SimFarm([SimRig(flavour="sgminer")], "127.0.0.1", cg).start())
    found = asyncio.run(search.identify([search.Found("127.0.0.1", p) for p in (ant, xm, cg)], 2.0))
    assert [f.kind for f in found] == ["antminer", "xmrig", "cgminer"]
    assert "Antminer" in found[0].version and found[2].version.startswith("SGMiner 5.6.1")
