"""A fake LuxOS (LUXminer 2025.4.8) on an Antminer S19k Pro, TCP 4028, after asic-dialects.md §3.5 and
the AR captures: `summary` in GH/s, `devs` in MH/s listed out of ID order, `pools` with `GROUP` and the
`Long Pool` typo, `config`, `power`, `fans` (`FAN` a string), `temps` (four corners per board),
`profiles`; joins of parameterless commands only; one session at a time (`logon` code 316, a second
one 402, `session` tells the active id, 60 s idle expiry), session-gated `profileset`, `curtail`,
`ledset`, `resetminer`, `rebootdevice`; pool commands without a session.
"""

import json
import secrets

from . import asic

VERSION = {"LUXminer": "2025.4.8.220305-57b389c7", "API": "3.7", "Type": "Antminer S19k Pro",
           "CompileTime": "Tue Apr  8 22:05:35 UTC 2025", "Miner": "2025.4.8.220305"}
DIFF = 32768  # the share difficulty of the real S19k Pro's pool (tests/fixtures/real/luxos/)
DESC = "LUXminer 2025.4.8"
PROFILES = {"default": (120.0, 2760), "290MHz": (100.0, 2150), "415MHz": (130.0, 3150)}
READS = ("version", "summary", "devs", "pools", "config", "power", "fans", "temps", "profiles", "session")


class LuxosSim(asic.Machine):
    def __init__(self, index=0, seed=1, **kw):
        super().__init__(index, seed, boards=3, rate_ghs=40_000.0, **kw)
        self.profile, self.red_led = "default", "off"
        self.session, self.session_used = "", 0.0
        self.pools = [{"url": "stratum+tcp://btc.example.org:700", "user": f"farm.lux{index:02d}", "enabled": True},
                      {"url": "stratum+tcp://backup.example.net:700", "user": f"farm.lux{index:02d}", "enabled": True}]
        self.active = 0

    def st(self, letter, code, msg):
        return [asic.status(letter, code, msg, DESC, self.clock())]

    def wire(self, obj):
        return asic.dumps(obj).encode() + b"\0"

    # ---------------------------------------------------------------- 4028
    def rpc(self, data):
        try:
            req = json.loads(data.decode("utf-8", "replace").strip("\0\n "))
            cmd, param = str(req.get("command", "")), req.get("parameter")
        except (ValueError, AttributeError):
            return self.wire({"STATUS": self.st("E", 23, "Invalid JSON")})
        if "+" in cmd:
            parts = cmd.split("+")
            if param is not None or not all(p in READS for p in parts):
                return self.wire({"STATUS": self.st("E", 14, "Invalid command")})
            return self.wire({**{p: [self.answer(p, None)] for p in parts}, "id": 1})
        return self.wire(self.answer(cmd, None if param is None else str(param)))

    def answer(self, cmd, param):
        if cmd in READS:
            return {"STATUS": self.st("S", {"version": 22, "summary": 11, "devs": 9, "pools": 7}.get(cmd, 300),
                                      cmd.capitalize()), **getattr(self, "read_" + cmd)(), "id": 1}
        args = [] if param is None else param.split(",")
        if cmd in ("addpool", "switchpool", "enablepool", "disablepool", "removepool"):
            return self.pool_command(cmd, args)
        if cmd == "logon":
            if self.session and self.clock() - self.session_used < 60:
                return {"STATUS": self.st("E", 402, "Another session is active"), "id": 1}
            self.session, self.session_used = secrets.token_hex(4), self.clock()
            return {"STATUS": self.st("S", 316, "Logon"), "SESSION": [{"SessionID": self.session}], "id": 1}
        if cmd in ("logoff", "profileset", "curtail", "ledset", "resetminer", "rebootdevice"):
            if not args or not self.session or args[0] != self.session or self.clock() - self.session_used >= 60:
                return {"STATUS": self.st("E", 403, "Invalid session"), "id": 1}
            self.session_used = self.clock()
            return getattr(self, "do_" + cmd)(args[1:])
        return {"STATUS": self.st("E", 14, "Invalid command"), "id": 1}

    # ---------------------------------------------------------------- reads
    def read_version(self):
        return {"VERSION": [dict(VERSION)]}

    def read_session(self):
        live = self.session if self.session and self.clock() - self.session_used < 60 else ""
        return {"SESSION": [{"SessionID": live}]}

    def scale(self):
        return PROFILES[self.profile][0] / 120.0

    def read_summary(self):
        ghs, acc = self.total_ghs() * self.scale(), self.accepted()
        rec = {"Elapsed": self.elapsed, "GHS 5s": round(ghs, 2), "GHS av": round(sum(self.rates) * self.scale(), 2)}
        for w in ("1m", "5m", "15m", "30m", "24h"):
            rec[f"GHS {w}"] = round(ghs * 0.999, 2)
        rec.update({"Found Blocks": 0, "Getworks": self.elapsed // 30, "Accepted": acc, "Rejected": acc // 600,
                    "Hardware Errors": acc // 1000, "Utility": round(acc / max(self.elapsed / 60, 1), 2),
                    "Stale": 0, "Best Share": 4_212_341_776,
                    **{k: v for k, v in self.work(acc, acc // 600, acc // 1000).items() if k != "Diff1 Work"},
                    "Pool Stale%": 0.0, "Last getwork": int(self.clock()), "Discarded": 0, "Get Failures": 0,
                    "Remote Failures": 0, "Local Work": 0, "Network Blocks": 0, "Difficulty Stale": 0,
                    "Total MH": round(sum(self.rates) * self.scale() * 1000 * self.elapsed, 2),
                    "Work Utility": round(acc * DIFF / max(self.elapsed / 60, 1), 2)})
        return {"SUMMARY": [rec]}

    @staticmethod
    def work(accepted, rejected, hw):
        """The difficulty-weighted figures cgminer derives from shares, consistent with them: Diff1 Work is the
        work done, Device Hardware% = HW / (HW + Diff1 Work), the rejected percentages by difficulty."""
        da, dr = accepted * DIFF, rejected * DIFF
        pct = round(dr / (da + dr) * 100, 4) if da + dr else 0.0
        return {"Diff1 Work": da + dr, "Difficulty Accepted": da, "Difficulty Rejected": dr,
                "Device Hardware%": round(hw / (hw + da + dr) * 100, 4) if hw + da + dr else 0.0,
                "Device Rejected%": pct, "Pool Rejected%": pct}

    def read_devs(self):
        devs = []
        for i in (2, 0, 1):  # LuxOS lists its boards out of ID order
            mhs = self.board_ghs(i) * 1000 * self.scale()
            devs.append({"ASC": i, "Name": "BTM", "ID": i, "Enabled": "Y", "Status": "Alive",
                         "Temperature": round(self.temps[i], 1),
                         "MHS av": round(self.rates[i] * 1000 * self.scale(), 2),
                         "MHS 5s": round(mhs, 2), "MHS 1m": round(mhs, 2), "MHS 5m": round(mhs, 2),
                         "MHS 15m": round(mhs, 2), "MHS 30m": round(mhs, 2), "MHS 60m": round(mhs, 2),
                         "Nominal MHS": PROFILES[self.profile][0] / 3 * 1e6, "Accepted": self.accepted() // 3,
                         "Rejected": 0, "Hardware Errors": 0, "Device Elapsed": self.elapsed,
                         **{k: v for k, v in self.work(self.accepted() // 3, 0, 0).items() if k != "Pool Rejected%"},
                         "Hardware Error MHS 15m": 0, "Last Share Difficulty": DIFF, "Last Share Pool": self.active,
                         "Last Share Time": int(self.clock()), "Last Valid Work": int(self.clock()),
                         "Total MH": round(self.rates[i] * 1000 * self.scale() * self.elapsed, 2), "Utility": 0,
                         "IsUserShutdown": False, "ControllerIPVersionHex": "0x18351835",
                         "ControllerIPVersionStr": "N/A",
                         "Board": f"BHB56903-{i}", "Connector": f"J{8 + i}", "Profile": self.profile,
                         "IsRamping": False, "SerialNumber": f"YNAHYKBBBJCAB{self.index:03d}{i}"})
        return {"DEVS": devs}

    def read_pools(self):
        out = []
        for i, p in enumerate(self.pools):
            acc = self.accepted() if i == self.active else 0
            out.append({"POOL": i, "URL": p["url"], "Status": "Alive" if p["enabled"] else "Disabled",
                        "Priority": i, "Quota": 1.0, "Long Pool": "N", "Getworks": self.elapsed // 30,
                        "Accepted": acc, "Rejected": acc // 600, "Works": acc * 30, "Discarded": 0, "Stale": 0,
                        "Get Failures": 0, "Remote Failures": 0, "User": p["user"],
                        "Last Share Time": "00:00:01" if acc else "", "Diff1 Shares": 0,
                        "Difficulty Accepted": acc * 65536.0, "Difficulty Rejected": acc // 600 * 65536.0,
                        "Difficulty Stale": 0.0, "Last Share Difficulty": 65536.0, "Has Stratum": True,
                        "Stratum Active": i == self.active, "Stratum URL": p["url"].split("//")[-1].split(":")[0],
                        "Best Share": 4_212_341_776 if acc else 0, "Pool Rejected%": 0.16, "Pool Stale%": 0.0,
                        "GROUP": 0, "AsicBoost": True})
        return {"POOLS": out}

    def read_config(self):
        return {"CONFIG": [{"Model": "S19k Pro", "Profile": self.profile, "ProfileStep": "0", "IsAtmEnabled": True,
                            "CurtailMode": "Sleep" if self.sleeping else "None", "NameplateTHS": 120,
                            "PSULabel": "APW12", "SystemStatus": "Curtailed" if self.sleeping else "Normal",
                            "Cooling": "Air", "ImmersionMode": False, "RedLed": self.red_led, "GreenLed": "blink",
                            "Hostname": f"luxos-{self.index:02d}",
                            "MACAddr": f"02:00:00:01:00:{self.index % 256:02x}"}]}

    def read_power(self):
        return {"POWER": [{"Watts": 18 if self.sleeping else PROFILES[self.profile][1], "PSU": True}]}

    def read_fans(self):
        rpm = 0 if self.sleeping else 4320
        return {"FANCTRL": [{"MinFans": 4, "PowerOffSpeed": 100}],
                "FANS": [{"FAN": f"FAN{i}", "ID": i, "RPM": rpm + 30 * i, "Speed": 0 if self.sleeping else 61}
                         for i in range(4)]}

    def read_temps(self):
        temps = [{"ID": i, "TEMP": i, "TopLeft": round(t - 8, 1), "TopRight": round(t + 4, 1),
                  "BottomLeft": round(t - 10, 1), "BottomRight": round(t + 2, 1)} for i, t in enumerate(self.temps)]
        labels = {"TopLeft": ("Board Exhaust (top)", [0, 0]), "TopRight": ("Board Intake (top)", [0, 1]),
                  "BottomLeft": ("Board Exhaust (bottom)", [1, 0]), "BottomRight": ("Board Intake (bottom)", [1, 1])}
        return {"TEMPS": temps, "METADATA": [{k: {"Label": label, "Position": pos}
                                              for k, (label, pos) in labels.items()}]}

    def read_profiles(self):
        return {"PROFILES": [{"Profile Name": n, "Frequency": 0 if n == "default" else int(n[:3]),
                              "Voltage": 13.2, "Hashrate": th, "Watts": w, "Step": "0" if n == "default" else "-4",
                              "IsTuned": False, "IsDynamic": False, "CanRestore": True, "HasOverrides": False}
                             for n, (th, w) in PROFILES.items()]}

    # ---------------------------------------------------------------- writes
    def pool_command(self, cmd, args):
        if cmd == "addpool":
            if len(args) < 2 or "://" not in args[0]:
                return {"STATUS": self.st("E", 25, "Invalid addpool stratum details"), "id": 1}
            self.pools.append({"url": args[0], "user": args[1], "enabled": True})
            return {"STATUS": self.st("S", 55, f"Added pool {len(self.pools) - 1}: '{args[0]}'"), "id": 1}
        n = int(args[0]) if args and args[0].isdigit() else -1
        if not 0 <= n < len(self.pools):
            return {"STATUS": self.st("E", 26, f"Invalid pool id {args[0] if args else ''}"), "id": 1}
        if cmd == "switchpool":
            self.active = n
        elif cmd in ("enablepool", "disablepool"):
            self.pools[n]["enabled"] = cmd == "enablepool"
        elif cmd == "removepool":
            if n == self.active:
                return {"STATUS": self.st("E", 67, "Cannot remove active pool"), "id": 1}
            self.pools.pop(n)
            self.active -= n < self.active
        return {"STATUS": self.st("S", 27, f"{cmd} {n} done"), "id": 1}

    def do_logoff(self, args):
        self.session = ""
        return {"STATUS": self.st("S", 317, "Logoff"), "id": 1}

    def do_profileset(self, args):
        name = args[0] if args else ""
        watts = name[:-1] if name.upper().endswith("W") else ""
        if watts.isdigit():  # a power selector (3200W): the largest profile within it (LD profileset)
            fits = sorted((w, p) for p, (_, w) in PROFILES.items() if w <= int(watts))
            name = fits[-1][1] if fits else ""
        if name not in PROFILES:
            return {"STATUS": self.st("E", 354, f"Profile {name} not found"), "id": 1}
        self.profile = name
        return {"STATUS": self.st("S", 353, "Profile set"), "PROFILE": [{"Profile": name}], "id": 1}

    def do_curtail(self, args):
        action = args[0] if args else ""
        if action not in ("sleep", "wakeup"):
            return {"STATUS": self.st("E", 336, "Invalid curtail action"), "id": 1}
        self.sleeping = action == "sleep"
        return {"STATUS": self.st("S", 335, "Curtail"),
                "CURTAIL": [{"Action": "sleep mode" if self.sleeping else "wake up"}], "id": 1}

    def do_ledset(self, args):
        if len(args) != 2 or args[0] != "red" or args[1] not in ("on", "off", "blink"):
            return {"STATUS": self.st("E", 341, "Invalid LED parameters"), "id": 1}
        self.red_led = args[1]
        return {"STATUS": self.st("S", 340, "LED set"), "LED": [{"Color": "red", "State": args[1]}], "id": 1}

    def do_resetminer(self, args):
        self.restart()
        return {"STATUS": self.st("S", 351, "Resetting miner"), "id": 1}

    def do_rebootdevice(self, args):
        self.restart()
        self.session = ""
        return {"STATUS": self.st("S", 352, "Rebooting device"), "id": 1}


async def serve(sim, host, port):
    return [await asic.serve_rpc(sim, host, port)]


SIMULATION = asic.family("LuxOS", "luxos", "lux", "luxos", LuxosSim, serve, False, "", "LuxOS 2025.4.8",
                         "also N LuxOS 2025.4.8")
