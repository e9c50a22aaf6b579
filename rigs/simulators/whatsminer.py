"""A fake Whatsminer M50S (btminer, API v2.0.5, firmware 20230803) on TCP 4028, after
asic-dialects.md §3.3 and the WD manual: cgminer-shaped `summary`/`devs`/`edevs`/`pools`/`devdetails`
(MH/s, `Factory GHS` in GH/s, pools from 1) sent with a `,}` and a raw newline (quirk Q3); flat
`get_version`/`status`/`get_miner_info`/`get_token` replies with STATUS a string; joins refused when
they hold a `get_*` or `status`; writes only as AES-256-ECB `{"enc":1,"data":...}` carrying a sign
made from a live token (30 min, 32 per address), answered encrypted. State changes: pools, power
mode and limit (the power drawn follows them: low mode 80 %, at most the limit), power_off/power_on
(mining stops, `status` mineroff "true"), LED, restart (btminer up from zero), reboot.
"""

import json
import secrets

from rigs.drivers.whatsminer_crypto import decrypt, encrypt, keys

from . import DemoRig, asic

FIRMWARE = "20230803.11.REL"
SHARE_DIFF = 65536  # the pool difficulty its POOLS report
READS = ("summary", "devs", "edevs", "pools", "devdetails")
FLAT = ("get_version", "status", "get_miner_info", "get_token", "get_psu")


class WhatsminerSim(asic.Machine):
    def __init__(self, index=0, seed=1, password="admin", writes_enabled=True, firmware=FIRMWARE, **kw):
        super().__init__(index, seed, boards=3, rate_ghs=42_500.0, **kw)
        self.password, self.writes_enabled, self.firmware = password, writes_enabled, firmware
        self.pools = [{"url": "stratum+tcp://btc.example.org:3333", "user": f"farm.m50x{index:02d}", "passwd": "x"},
                      {"url": "stratum+tcp://backup.example.net:443", "user": f"farm.m50x{index:02d}", "passwd": "x"},
                      {"url": "", "user": "", "passwd": ""}]
        self.power_mode, self.power_limit = "Normal", 3600
        self.led = "auto"
        self.tokens = {}  # sign -> (issued, aes key)
        self.commands = []  # decrypted writes received, for the tests

    def status(self, letter, code, msg, description=""):
        return {"STATUS": letter, "When": int(self.clock()), "Code": code, "Msg": msg, "Description": description}

    def listed(self, code, msg):
        return [self.status("S", code, msg, "")]

    def wire(self, obj, quirky=False):
        text = asic.dumps(obj)
        if quirky:  # btminer: a comma before the closing brace and a raw newline between sections
            text = text.replace('}],"', '},]\n,"', 1)
        return text.encode() + b"\0"

    # ---------------------------------------------------------------- 4028
    def rpc(self, data):
        try:
            req = json.loads(data.decode("utf-8", "replace").strip("\0\n "))
        except ValueError:
            return self.wire({"STATUS": [self.status("E", 23, "invalid JSON")]})
        if not isinstance(req, dict):
            return self.wire({"STATUS": [self.status("E", 23, "invalid JSON")]})
        if req.get("enc") == 1:
            return self.privileged(req.get("data"))
        cmd = str(req.get("cmd") or req.get("command") or "")
        if "+" in cmd:
            parts = cmd.split("+")
            if any(p.startswith("get_") or p == "status" or p not in READS for p in parts):
                return self.wire({"STATUS": [self.status("E", 14, "invalid cmd")]})
            out = {p: [json.loads(self.read(p).rstrip(b"\0").replace(b",]\n,", b"],"))] for p in parts}
            return self.wire({**out, "id": 1})
        if cmd in READS:
            return self.read(cmd)
        if cmd in FLAT:
            return self.wire(getattr(self, "flat_" + cmd)())
        if cmd in ("update_pools", "restart_btminer", "reboot", "set_led", "power_off", "power_on",
                   "adjust_power_limit", "set_low_power", "set_normal_power", "set_high_power"):
            return self.wire(self.status("E", 45, "can't access write cmd"))
        return self.wire({"STATUS": [self.status("E", 14, "invalid cmd")]})

    def read(self, cmd):
        return getattr(self, "rpc_" + ("devs" if cmd == "edevs" else cmd))()

    def work(self):
        """Per board: the shares and the work figures cgminer derives from them, consistent with each other:
        Diff1 Work the work done, Device Hardware% = HW / (HW + Diff1 Work), rejects by difficulty (as the real
        M20S sends them, tests/fixtures/real/whatsminer/)."""
        acc, n = self.accepted(), len(self.rates)
        out = []
        for i in range(n):
            a = acc // n + (i < acc % n)
            r, hw = a // 500, a // 2000
            da, dr = a * SHARE_DIFF, r * SHARE_DIFF
            out.append({"Accepted": a, "Rejected": r, "Hardware Errors": hw, "Diff1 Work": da + dr,
                        "Difficulty Accepted": float(da), "Difficulty Rejected": float(dr),
                        "Device Hardware%": round(100 * hw / (hw + da + dr), 4) if hw + da + dr else 0.0,
                        "Device Rejected%": round(100 * dr / (da + dr), 4) if da + dr else 0.0})
        return out

    def rpc_summary(self):
        mhs = self.total_ghs() * 1000
        work = self.work()
        acc, rej, hw = (sum(w[k] for w in work) for k in ("Accepted", "Rejected", "Hardware Errors"))
        da, dr, d1 = (sum(w[k] for w in work) for k in ("Difficulty Accepted", "Difficulty Rejected", "Diff1 Work"))
        rejected_pct = round(100 * dr / (da + dr), 4) if da + dr else 0.0
        chip = max(self.temps) + 12
        rec = {"Elapsed": self.elapsed, "MHS av": round(sum(self.rates) * 1000 * (not self.sleeping), 2),
               "MHS 5s": round(mhs, 2), "MHS 1m": round(mhs * 0.999, 2), "MHS 5m": round(mhs * 1.001, 2),
               "MHS 15m": round(mhs, 2), "HS RT": round(mhs, 2), "Accepted": acc, "Rejected": rej,
               "Total MH": round(mhs * self.elapsed, 0), "Temperature": round(max(self.temps), 2),
               "freq_avg": 580, "Fan Speed In": 4110 if not self.sleeping else 0,
               "Fan Speed Out": 4080 if not self.sleeping else 0, "Power": self.watts(),
               "Power Rate": 25.6, "Pool Rejected%": rejected_pct, "Pool Stale%": 0.0, "Last getwork": 0,
               "Found Blocks": 0, "Getworks": self.elapsed // 30, "Discarded": 0, "Stale": 0, "Get Failures": 0,
               "Local Work": self.elapsed * 40, "Remote Failures": 0, "Network Blocks": self.elapsed // 600,
               "Hardware Errors": hw, "Utility": round(acc / max(self.elapsed / 60, 1), 2),
               "Work Utility": round(d1 / max(self.elapsed / 60, 1), 2), "Difficulty Accepted": da,
               "Difficulty Rejected": dr, "Difficulty Stale": 0.0, "Best Share": 1_003_626_349,
               "Device Hardware%": round(100 * hw / (hw + d1), 4) if hw + d1 else 0.0,
               "Device Rejected%": rejected_pct,
               "Uptime": self.elapsed + 91, "Security Mode": 0, "Hash Stable": True,
               "Hash Stable Cost Seconds": 1211, "Hash Deviation%": 0.11, "Target Freq": 580,
               "Target MHS": round(sum(self.rates) * 1000, 0), "Env Temp": 27.5,
               "Power Mode": self.power_mode, "Factory Error Code": 0, "Factory GHS": 128000,
               "Power Limit": self.power_limit, "Chip Temp Min": round(chip - 14, 2),
               "Chip Temp Max": round(chip, 2), "Chip Temp Avg": round(chip - 6, 2), "Debug": "-0.0_100.0_358",
               "Btminer Fast Boot": "disable", "Upfreq Complete": 1, "Power_RT": self.watts(),
               "Power Fanspeed": 6960, "Voltage": 1320,
               "MAC": f"C4:09:28:00:{self.index // 256:02X}:{self.index % 256:02X}",
               "CB Platform": "H616", "Error Code Count": 0}
        return self.wire({"STATUS": self.listed(11, "Summary"), "SUMMARY": [rec], "id": 1}, quirky=True)

    def watts(self):
        if self.sleeping:
            return 14
        return min(int(3276 * (0.8 if self.power_mode == "Low" else 1.0)), self.power_limit)

    def rpc_devs(self):
        devs, now = [], int(self.clock())
        for i, w in enumerate(self.work()):
            mhs = self.board_ghs(i) * 1000
            t = self.temps[i]
            devs.append({"ASC": i, "Name": "SM", "Slot": i, "Enabled": "Y", "Status": "Alive",
                         "Temperature": round(t, 2),
                         "Chip Frequency": 580, "MHS av": round(self.rates[i] * 1000 * (not self.sleeping), 2),
                         "MHS 5s": round(mhs, 2), "MHS 1m": round(mhs, 2), "MHS 5m": round(mhs, 2),
                         "MHS 15m": round(mhs, 2), "Factory GHS": 42666, "Upfreq Complete": 1,
                         "Effective Chips": 156, "PCB SN": f"HEM2EP31J3{self.index:04d}{i}",
                         "Chip Temp Min": round(t - 2, 2), "Chip Temp Max": round(t + 12, 2),
                         "Chip Temp Avg": round(t + 6, 2), "chip_vol_diff": 7, "ID": i, **w,
                         "Fan Speed In": 0 if self.sleeping else 4110, "Fan Speed Out": 0 if self.sleeping else 4080,
                         "Device Elapsed": self.elapsed, "Last Share Pool": 0, "Last Share Time": now,
                         "Last Share Difficulty": float(SHARE_DIFF), "Last Valid Work": now,
                         "Total MH": round(self.rates[i] * 1000 * self.elapsed, 0),
                         "Utility": round(w["Accepted"] / max(self.elapsed / 60, 1), 2)})
        return self.wire({"STATUS": self.listed(9, f"{len(devs)} ASC(s)"), "DEVS": devs, "id": 1}, quirky=True)

    def rpc_pools(self):
        pools = []
        for i, p in enumerate((p for p in self.pools if p["url"]), start=1):
            acc = self.accepted() if i == 1 else 0
            rej = sum(w["Rejected"] for w in self.work()) if acc else 0
            pools.append({"POOL": i, "URL": p["url"], "Status": "Alive", "Priority": i - 1, "Quota": 1,
                          "Long Poll": "N", "Getworks": self.elapsed // 30, "Accepted": acc, "Rejected": rej,
                          "Works": acc * 40, "Discarded": 0, "Stale": 0, "Get Failures": 0, "Remote Failures": 0,
                          "User": p["user"], "Last Share Time": int(self.clock()) - 3 if acc else 0,
                          "Diff1 Shares": 0, "Proxy Type": "", "Proxy": "", "Difficulty Accepted": acc * 65536.0,
                          "Difficulty Rejected": rej * 65536.0, "Difficulty Stale": 0.0,
                          "Last Share Difficulty": 65536.0, "Work Difficulty": 65536.0, "Has Stratum": True,
                          "Stratum Active": i == 1, "Stratum URL": p["url"].split("//")[-1].split(":")[0],
                          "Stratum Difficulty": 65536.0, "Best Share": 2_107_941_023 if acc else 0,
                          "Pool Rejected%": 0.2, "Pool Stale%": 0.0, "Bad Work": 0, "Current Block Height": 871235,
                          "Current Block Version": 536870916})
        return self.wire({"STATUS": self.listed(7, f"{len(pools)} Pool(s)"), "POOLS": pools, "id": 1})

    def rpc_devdetails(self):
        det = [{"DEVDETAILS": i, "Name": "SM", "ID": i, "Driver": "bitmicro", "Kernel": "", "Model": "M50S.VH40"}
               for i in range(len(self.rates))]
        return self.wire({"STATUS": self.listed(69, "Device Details"), "DEVDETAILS": det, "id": 1})

    def flat_get_version(self):
        return self.status("S", 131, {"api_ver": "2.0.5", "fw_ver": self.firmware, "platform": "H616",
                                      "chip": "K40"})

    def flat_status(self):
        return self.status("S", 131, {"mineroff": "true" if self.sleeping else "false", "mineroff_reason": "",
                                      "mineroff_time": "",
                                      "FirmwareVersion": f"'{self.firmware}'", "power_mode": self.power_mode,
                                      "hash_percent": "", "power_limit_set": str(self.power_limit)})

    def flat_get_miner_info(self):
        return self.status("S", 131, {"ip": "127.0.0.1", "proto": "dhcp", "netmask": "255.255.255.0",
                                      "ledstat": self.led, "hostname": f"WhatsMiner-{self.index:02d}"})

    def flat_get_psu(self):
        return self.status("S", 131, {"name": "P222B", "hw_version": "V01.00", "fan_speed": "6960",
                                      "vin": "23200", "iin": "1425"})

    def flat_get_token(self):
        now = self.clock()
        self.tokens = {s: v for s, v in self.tokens.items() if now - v[0] < 1800}
        if len(self.tokens) >= 32:
            return self.status("E", 136, "too many tokens")
        salt, newsalt = secrets.token_hex(4), secrets.token_hex(4)
        when = str(int(now))[-4:]
        aes_key, sign = keys(self.password, salt, newsalt, when)
        self.tokens[sign] = (now, aes_key)
        return self.status("S", 134, {"time": when, "salt": salt, "newsalt": newsalt})

    # ---------------------------------------------------------------- writes
    def privileged(self, data):
        """An encrypted command: try the key of each live token; the sign inside must be that token's."""
        for sign, (_issued, aes_key) in self.tokens.items():
            try:
                cmd = decrypt(aes_key, str(data or ""))
            except Exception:
                continue
            if isinstance(cmd, dict) and cmd.get("token") == sign:
                reply = self.apply(cmd)
                return asic.dumps({"enc": encrypt(aes_key, reply)}).encode() + b"\0"
        return self.wire(self.status("E", 135, "check token err"))

    def apply(self, cmd):
        self.commands.append({k: v for k, v in cmd.items() if k != "token"})
        if not self.writes_enabled:
            return self.status("E", 45, "can't access write cmd")
        name = cmd.get("cmd")
        if name == "update_pools":
            self.pools = [{"url": str(cmd.get(f"pool{i}") or ""), "user": str(cmd.get(f"worker{i}") or ""),
                           "passwd": str(cmd.get(f"passwd{i}") or "")} for i in (1, 2, 3)]
        elif name in ("set_low_power", "set_normal_power", "set_high_power"):
            self.power_mode = name.split("_")[1].capitalize()
            self.restart()
        elif name == "adjust_power_limit":
            limit = str(cmd.get("power_limit", ""))
            if not limit.isdigit():
                return self.status("E", 132, "invalid power_limit")
            self.power_limit = int(limit)
        elif name == "set_led":
            self.led = "auto" if cmd.get("param") == "auto" else str(cmd.get("color", "red"))
        elif name in ("power_off", "power_on"):
            self.sleeping = name == "power_off"
        elif name in ("restart_btminer", "reboot"):
            self.restart()
        else:
            return self.status("E", 14, "invalid cmd")
        return self.status("S", 131, "", "")


async def serve(sim, host, port):
    return [await asic.serve_rpc(sim, host, port)]


def demo():
    return [DemoRig("m50s", dict(kind="whatsminer", token=secrets.token_urlsafe(12),
                                 description="simulated Whatsminer M50S, API v2"))]


SIMULATION = asic.family("Whatsminer", "whatsminer", "m50x", "whatsminer", WhatsminerSim, serve, False, "",
                         "Whatsminer M50S, API v2", "also N Whatsminer M50S (API v2)",
                         demo=demo, serve_demo=asic.serving(WhatsminerSim, serve))
