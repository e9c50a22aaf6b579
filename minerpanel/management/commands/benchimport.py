"""Benchmark moving over: importminerphp on a generated farm file, and a discovery scan.

The import runs against a throw-away SQLite database; the scan asks a loopback range
in which simulated rigs (some hung) listen on their own 127.0.x.y addresses."""

import asyncio
import os
import socket
import statistics
import tempfile
import time

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections
from django.test import override_settings

from minerpanel.minerphp import php_reader
from minerpanel.minerphp.carryover import carry_over, plan_for
from rigs.discovery import search
from rigs.simulators.cgminer import SimFarm, SimRig


def farm_file(rigs, users, pages):
    lines = ["<?php", "$rigs = array("]
    lines += [f" '10.{i // 65536}.{i // 256 % 256}.{i % 256}:4028:rig{i:05d}'," for i in range(rigs)]
    lines += [");", "$userlist = array('sys' => array("]
    lines += [f" 'user{i}' => 'pw-{i}'," for i in range(users)]
    lines += ["));", "$customsummarypages = array("]
    lines += [f" 'Page {i}' => array(array('SUMMARY' => array('Elapsed', 'MHS av'), 'POOL+STATS' => array("
              f"'POOL.URL', 'GEN.AvShr=AvShr')), array('SUMMARY' => array('MHS av')), array('POOL+STATS' => "
              f"array('group' => array('POOL.URL'), 'calc' => array('POOL.Accepted' => 'sum'), "
              f"'gen' => array('AvShr' => 'POOL.Difficulty Accepted/max(POOL.Accepted,1)'))))," for i in range(pages)]
    lines += [");", "$title = 'Bench';"]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Benchmark importminerphp (parse, plan, dry run, real run) and discover --scan."

    def add_arguments(self, parser):
        parser.add_argument("--rigs", type=int, default=1000)
        parser.add_argument("--users", type=int, default=20)
        parser.add_argument("--pages", type=int, default=10)
        parser.add_argument("--scan-rigs", type=int, default=100)
        parser.add_argument("--scan-hung", type=int, default=10)

    def handle(self, *args, **opts):
        tmpdir = tempfile.mkdtemp(prefix="benchimport-")
        db = connections["default"]
        db.close()
        db.settings_dict["NAME"] = os.path.join(tmpdir, "bench.sqlite3")
        call_command("migrate", verbosity=0)
        text = farm_file(opts["rigs"], opts["users"], opts["pages"])
        self.stdout.write(f"file: {opts['rigs']} rigs, {opts['users']} users, {opts['pages']} pages, "
                          f"{len(text) / 1024:.0f} KB")
        parse = [self.timed(lambda: php_reader.read(text)) for _ in range(5)]
        self.stdout.write(f"read the PHP (median of 5): {statistics.median(parse) * 1000:.0f} ms")
        plan = plan_for(text)
        self.stdout.write(f"plan (gen formulas translated and checked): "
                          f"{self.timed(lambda: plan_for(text)) * 1000:.0f} ms")
        # the real hasher for one password, to say what the users cost
        hash_one = self.timed(lambda: make_password("pw-0"))
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            dry = self.timed(lambda: carry_over(plan, dry_run=True))
            real = self.timed(lambda: carry_over(plan))
            again = self.timed(lambda: carry_over(plan))
        self.stdout.write(f"dry run: {dry * 1000:.0f} ms; real run: {real * 1000:.0f} ms "
                          f"(+ {hash_one * 1000:.0f} ms per password with the real hasher); "
                          f"second run (nothing to do): {again * 1000:.0f} ms")
        n, hung = opts["scan_rigs"], opts["scan_hung"]
        found, took = asyncio.run(self.scan(n, hung))
        self.stdout.write(f"discover --scan 127.0.0.0/22 (1,022 addresses, {n} rigs of which {hung} hang, "
                          f"{search.SCAN_CONCURRENCY} at a time, {search.SCAN_TIMEOUT:g} s each): "
                          f"{len(found)} rigs found in {took:.2f} s")

    @staticmethod
    def timed(fn):
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    async def scan(self, n, hung):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        rigs = [SimRig(index=i, flavour="cgminer", fault="hang" if i < hung else None) for i in range(n)]
        farms = [await SimFarm([rig], f"127.0.{1 + i // 250}.{1 + i % 250}",
                               port).start() for i, rig in enumerate(rigs)]
        try:
            started = time.perf_counter()
            found = await search.scan("127.0.0.0/22", port)
            return found, time.perf_counter() - started
        finally:
            for farm in farms:
                await farm.stop()
