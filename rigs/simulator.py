"""A farm of fake miners that speak the cgminer RPC API like the real programs.

Each SimRig is a stateful miner: counters grow with time, privileged commands
change its state (switchpool moves mining to that pool, a disabled device stops
hashing), and its replies follow the real captures in shared/fixtures/real/
(field names and order, value types, STATUS codes and messages, join layout,
text escaping). Flavours: cgminer 4.11 (ASC), bfgminer 5.5 (PGA), sgminer 5.6
(GPU), bmminer (GH/s fields) and an old cgminer 2.x (API 1.x: no joins).

SimFarm serves many of them on consecutive loopback ports from one asyncio loop.
Nothing here imports Django.
"""

import asyncio
import json
import math
import random
import time

from .protocol import split_escaped, unescape

# ---------------------------------------------------------------- messages
# (severity, message) by code, as in cgminer's api.c.
CODES = {
    1: ("E", "Invalid GPU id %d - range is 0 - %d"),
    2: ("I", "GPU %d already enabled"),
    3: ("I", "GPU %d already disabled"),
    5: ("I", "GPU %d sent enable message"),
    6: ("E", "No GPUs"),
    7: ("S", "%d Pool(s)"),
    8: ("E", "No pools"),
    9: ("S", "%s"),
    10: ("E", "%s"),
    11: ("S", "Summary"),
    12: ("I", "GPU %d set disable flag"),
    13: ("I", "GPU %d restart attempted"),
    14: ("E", "Invalid command"),
    15: ("E", "Missing device id parameter"),
    17: ("S", "GPU%d"),
    20: ("S", "GPU count"),
    22: ("S", "%s versions"),
    23: ("E", "Invalid JSON"),
    24: ("E", "Missing JSON '%s'"),
    25: ("E", "Missing pool id parameter"),
    26: ("E", "Invalid pool id %d - range is 0 - %d"),
    27: ("S", "Switching to pool %d:'%s'"),
    28: ("E", "Missing comma after GPU number"),
    31: ("E", "Invalid intensity (%s) - must be 'D' or range 8 - 31"),
    32: ("I", "GPU %d set new intensity to %s"),
    33: ("S", "%s config"),
    35: ("S", "Setting GPU %d memoryclock to (%s) reported success"),
    37: ("S", "Setting GPU %d clock to (%s) reported success"),
    39: ("S", "Setting GPU %d vddc to (%s) reported success"),
    41: ("S", "Setting GPU %d fan to (%s) reported success"),
    44: ("S", "Configuration saved to file '%s'"),
    45: ("E", "Access denied to '%s' command"),
    46: ("S", "Privileged access OK"),
    47: ("S", "Enabling pool %d:'%s'"),
    48: ("S", "Disabling pool %d:'%s'"),
    49: ("I", "Pool %d:'%s' already enabled"),
    50: ("I", "Pool %d:'%s' already disabled"),
    51: ("E", "Cannot disable last active pool %d:'%s'"),
    52: ("E", "Missing addpool details"),
    53: ("E", "Invalid addpool details '%s'"),
    55: ("S", "Added pool %s"),
    56: ("E", "No PGAs"),
    57: ("S", "PGA%d"),
    58: ("E", "Invalid PGA id %d - range is 0 - %d"),
    59: ("S", "PGA count"),
    60: ("S", "Notify"),
    61: ("I", "PGA %d already enabled"),
    62: ("I", "PGA %d already disabled"),
    63: ("I", "PGA %d sent enable message"),
    64: ("I", "PGA %d set disable flag"),
    66: ("E", "Cannot remove last pool %d:'%s'"),
    67: ("E", "Cannot remove active pool %d:'%s'"),
    68: ("S", "Removed pool %d:'%s'"),
    69: ("S", "Device Details"),
    70: ("S", "%s stats"),
    71: ("E", "Missing check cmd"),
    72: ("S", "Check command"),
    73: ("S", "Changed pool priorities"),
    74: ("E", "Duplicate pool specified %d"),
    75: ("E", "Missing parameter: true/false"),
    76: ("E", "Invalid parameter should be true or false"),
    77: ("S", "Failover-Only set to %s"),
    78: ("S", "%s coin"),
    79: ("S", "Debug settings"),
    80: ("S", "Identify command sent to PGA%d"),
    82: ("S", "Set config '%s' to %d"),
    83: ("E", "Unknown config '%s'"),
    84: ("E", "Invalid number (%d) for '%s' range is 0-9999"),
    85: ("E", "Missing config parameters 'name,N'"),
    86: ("E", "Missing config value N for '%s,N'"),
    87: ("S", "USB Statistics"),
    88: ("I", "No USB Statistics"),
    89: ("E", "Missing option after PGA number"),
    91: ("I", "PGA %d set help: %s"),
    92: ("S", "PGA %d set OK"),
    93: ("E", "PGA %d set failed: %s"),
    94: ("E", "Missing zero parameters"),
    95: ("E", "Invalid zero parameter '%s'"),
    96: ("S", "Zeroed %s stats with summary"),
    97: ("S", "Zeroed %s stats without summary"),
    99: ("E", "Invalid value for hotplug (%s) must be 0..9999"),
    100: ("S", "Hotplug check set to %ds"),
    101: ("S", "Hotplug disabled"),
    103: ("E", "Missing hotplug parameter"),
    104: ("S", "ASC count"),
    105: ("E", "No ASCs"),
    106: ("S", "ASC%d"),
    107: ("E", "Invalid ASC id %d - range is 0 - %d"),
    108: ("I", "ASC %d already enabled"),
    109: ("I", "ASC %d already disabled"),
    110: ("I", "ASC %d sent enable message"),
    111: ("I", "ASC %d set disable flag"),
    113: ("S", "Identify command sent to ASC%d"),
    116: ("E", "Missing option after ASC number"),
    118: ("I", "ASC %d set help: %s"),
    119: ("S", "ASC %d set OK"),
    120: ("E", "ASC %d set failed: %s"),
    121: ("E", "Invalid negative number (%d) for '%s'"),
    122: ("S", "Set pool '%s' to quota %d'"),
}

# Commands that change the miner: the (*) commands of the API README.
PRIVILEGED = {
    "switchpool", "enablepool", "disablepool", "addpool", "removepool", "poolpriority",
    "poolquota", "changestrategy", "gpuenable", "gpudisable", "gpurestart", "gpuintensity",
    "gpumem", "gpuengine", "gpufan", "gpuvddc", "save", "quit", "restart", "privileged",
    "pgaenable", "pgadisable", "pgaidentify", "ascenable", "ascdisable", "ascidentify",
    "failover-only", "debug", "setconfig", "pgaset", "ascset", "zero", "hotplug", "lockstats",
}
# Report commands that may be joined with '+' (API >= 3.1).
JOINABLE = {
    "version", "config", "summary", "devs", "edevs", "pools", "notify", "devdetails",
    "stats", "estats", "coin", "usbstats", "gpucount", "asccount", "pgacount", "lcd",
}

POOL_URLS = [
    "stratum+tcp://pool.example.org:3333",
    "stratum+tcp://eu.pool.example.net:3333",
    "stratum+ssl://backup.example.com:443",
    "stratum+tcp://solo.example.io:3334",
    "stratum+tcp://us-east.example.org:4444",
]

FLAVOURS = {
    "cgminer": {"desc": "cgminer 4.11.1", "api": "3.7", "kind": "ASC", "word": "CGMiner",
                "version": lambda: {"CGMiner": "4.11.1", "API": "3.7"}},
    "bfgminer": {"desc": "bfgminer 5.5.0", "api": "3.1", "kind": "PGA", "word": "BFGMiner",
                 "version": lambda: {"Miner": "bfgminer 5.5.0-34-g866fd36f", "CGMiner": "5.5.0-34-g866fd36f", "API": "3.1"}},
    "sgminer": {"desc": "sgminer 5.6.1", "api": "4.0", "kind": "GPU", "word": "SGMiner",
                "version": lambda: {"SGMiner": "5.6.1", "API": "4.0"}},
    "bmminer": {"desc": "bmminer 2.0.0", "api": "3.1", "kind": "ASC", "word": "BMMiner",
                "version": lambda: {"BMMiner": "2.0.0", "API": "3.1", "Miner": "16.8.1.3", "Type": "Antminer S9"}},
    "oldcgminer": {"desc": "cgminer 2.11.4", "api": "1.25", "kind": "GPU", "word": "CGMiner",
                   "version": lambda: {"CGMiner": "2.11.4", "API": "1.25"}},
}

FAULTS = ("refuse", "hang", "drip", "slow", "garbage", "truncated", "oversize", "html", "deny")
HTML_PAYLOAD = "<script>alert('xss')</script><img src=x onerror=alert(1)>"


class SimRig:
    """One fake miner. ``handle(request_bytes)`` returns the reply bytes, or None
    for a closed connection with no reply (an address outside --api-allow)."""

    def __init__(self, index=0, seed=1, flavour="cgminer", devices=None, pools=None,
                 access="W", fault=None, clock=time.time, name=None):
        self.index = index
        self.flavour = flavour
        self.f = FLAVOURS[flavour]
        self.access = access  # "W", "R", "deny" or a group "P:switchpool:*"
        self.fault = fault
        self.clock = clock
        self.name = name or f"sim{index:02d}"
        rnd = random.Random(f"{seed}-{index}")
        self.rnd = rnd
        kind = self.f["kind"]
        ndev = devices if devices is not None else rnd.randint(1, 4)
        npool = pools if pools is not None else rnd.randint(1, 3)
        base_rate = {"ASC": 13_500_000.0, "PGA": 860.0, "GPU": 480.0}[kind]
        self.pool_diff = {"ASC": 65536.0, "PGA": 1.0, "GPU": 1.0}[kind]
        urls = rnd.sample(POOL_URLS, k=min(npool, len(POOL_URLS)))
        self.pools = [self._new_pool(url, f"farm.{self.name}", "x") for url in urls]
        for i, p in enumerate(self.pools):
            p["priority"] = i
        self.devices = []
        for i in range(ndev):
            self.devices.append({
                "kind": kind, "id": i,
                "name": {"ASC": "BTB", "PGA": "BFL", "GPU": ""}[kind] if flavour != "bmminer" else "BMM",
                "enabled": True, "status": "Alive",
                "rate": base_rate * rnd.uniform(0.85, 1.1),
                "temp": rnd.uniform(55, 72), "fan": rnd.randint(40, 75),
                "intensity": "13", "engine": 1050, "memclock": 1500, "vddc": 1.2,
            })
        # Occasional trouble, decided by the seed.
        if ndev > 1 and rnd.random() < 0.25:
            self.devices[-1]["status"] = rnd.choice(["Sick", "Dead"])
        if len(self.pools) > 1 and rnd.random() < 0.25:
            self.pools[-1]["dead"] = True
        if fault == "html":
            self.pools[0]["url"] = "stratum+tcp://evil.example.org:3333/" + HTML_PAYLOAD
            self.pools[0]["user"] = HTML_PAYLOAD
            for d in self.devices:
                d["name"] = "<b>ASC</b>" + HTML_PAYLOAD
        self.config = {"queue": 1, "scantime": 60, "expiry": 120, "hotplug": 5,
                       "failover_only": False, "strategy": "Failover"}
        self.debug = {"Silent": False, "Quiet": False, "Verbose": False, "Debug": False,
                      "RPCProto": False, "PerDevice": False, "WorkTime": False}
        self.quit_requested = False
        # A rig has been up for a while when the simulator starts.
        self.restart(uptime=rnd.uniform(600, 90_000))

    # -------------------------------------------------------------- state
    def _new_pool(self, url, user, password):
        return {"url": url, "user": user, "pass": password, "enabled": True, "dead": False,
                "priority": 0, "quota": 1, "accepted": 0, "rejected": 0, "stale": 0,
                "diff_acc": 0.0, "diff_rej": 0.0, "getworks": 0, "last_share": 0,
                "best": 0.0, "diff1": 0.0}

    def restart(self, uptime=0.0):
        now = self.clock()
        self.started = now
        self.last_tick = now
        self.best = 0.0
        self.found_blocks = 0
        self.hw = 0
        for d in self.devices:
            d.update(total_mh=0.0, accepted=0, rejected=0, hw=0, diff_acc=0.0,
                     diff_rej=0.0, last_share=0, frac=0.0, last_well=int(now),
                     last_not_well=0 if d["status"] == "Alive" else int(now) - 300)
        for p in self.pools:
            p.update(accepted=0, rejected=0, stale=0, diff_acc=0.0, diff_rej=0.0,
                     getworks=1, last_share=0, best=0.0, diff1=0.0)
        if uptime:
            self.tick(now, warmup=uptime)

    def active_pool(self):
        live = [p for p in self.pools if p["enabled"] and not p["dead"]]
        return min(live, key=lambda p: p["priority"]) if live else None

    def device_rate(self, d, now):
        """The device's current MH/s: zero when disabled or dead, low when sick."""
        if not d["enabled"] or d["status"] == "Dead" or self.active_pool() is None:
            return 0.0
        wobble = 1 + 0.04 * math.sin(now / 7.0 + d["id"] + self.index)
        return d["rate"] * wobble * (0.3 if d["status"] == "Sick" else 1.0)

    def tick(self, now=None, warmup=0.0):
        """Advance counters to ``now`` (plus ``warmup`` seconds of history)."""
        now = self.clock() if now is None else now
        if warmup:
            self.started = now - warmup
            dt = warmup
        else:
            dt = max(0.0, now - self.last_tick)
        self.last_tick = now
        pool = self.active_pool()
        for d in self.devices:
            rate = self.device_rate(d, now)
            d["total_mh"] += rate * dt
            if pool is None or rate <= 0:
                continue
            d["frac"] += rate * 1e6 * dt / (2**32 * self.pool_diff)
            shares = int(d["frac"])
            if not shares:
                continue
            d["frac"] -= shares
            rejected = shares // 40
            accepted = shares - rejected
            d["accepted"] += accepted
            d["rejected"] += rejected
            d["diff_acc"] += accepted * self.pool_diff
            d["diff_rej"] += rejected * self.pool_diff
            d["last_share"] = int(now)
            pool["accepted"] += accepted
            pool["rejected"] += rejected
            pool["diff_acc"] += accepted * self.pool_diff
            pool["diff_rej"] += rejected * self.pool_diff
            pool["diff1"] += shares * self.pool_diff
            pool["last_share"] = int(now)
            pool["getworks"] += max(1, shares // 3)
            # best share: a heavy tail over the shares found
            lucky = self.pool_diff * (1 + (self.rnd.paretovariate(1.2) - 1) * math.log1p(shares))
            self.best = max(self.best, lucky)
            pool["best"] = max(pool["best"], lucky)

    # -------------------------------------------------------------- replies
    def status(self, code, *args, severity=None):
        sev, fmt = CODES[code]
        msg = fmt % args if args else fmt.replace("%d", "0").replace("%s", "")
        st = {"STATUS": severity or sev, "When": int(self.clock()), "Code": code, "Msg": msg,
              "Description": self.f["desc"]}
        if code == 14 and self.flavour == "cgminer":
            del st["Description"]  # cgminer 4.11 omits it for code 14
        return st

    def handle(self, data):
        """Answer one request exactly as a miner would."""
        if self.access == "deny":
            return None
        text = data.decode("utf-8", errors="replace")
        isjson = text[:1] == "{"
        if isjson:
            try:
                obj = json.loads(text)
            except ValueError:
                return self.render({"STATUS": self.status(23)}, True)
            if not isinstance(obj, dict) or "command" not in obj:
                return self.render({"STATUS": self.status(24, "command")}, True)
            command = obj["command"]
            if not isinstance(command, str):
                return self.render({"STATUS": self.status(14)}, True)
            param = obj.get("parameter")
            param = None if param is None else str(param)
        else:
            command, _, param = text.partition("|")
            param = param if _ else None
        self.tick()
        if "+" in command and float(self.f["api"]) >= 3.1:
            parts = []
            for c in command.split("+"):
                if c and c not in parts:
                    parts.append(c)
            results = []
            for c in parts:
                if c not in JOINABLE:
                    allowed = c in PRIVILEGED or c in COMMAND_NAMES
                    reply = {"STATUS": self.status(45, c) if allowed else self.status(14)}
                else:
                    reply = self.dispatch(c, None)
                results.append((c, reply))
            return self.render_join(results, isjson)
        return self.render(self.dispatch(command, param), isjson)

    def allowed(self, command):
        if self.access == "W":
            return True
        if self.access == "R":
            return command not in PRIVILEGED
        group = self.access.split(":")[1:]
        return command in group or ("*" in group and command not in PRIVILEGED)

    def dispatch(self, command, param):
        handler = COMMANDS.get(command)
        if handler is None:
            return {"STATUS": self.status(14)}
        if not self.allowed(command):
            return {"STATUS": self.status(45, command)}
        return handler(self, param)

    def render(self, reply, isjson):
        if isinstance(reply, bytes):
            return reply
        if isjson:
            body = {"STATUS": [reply["STATUS"]]}
            for k, v in reply.items():
                if k != "STATUS":
                    body[k] = v
            body["id"] = 1
            return json.dumps(body, separators=(",", ":")).encode() + b"\0"
        return (self.text_reply(reply) + "\0").encode()

    def render_join(self, results, isjson):
        if isjson:
            body = {}
            for c, reply in results:
                part = {"STATUS": [reply["STATUS"]]}
                part.update({k: v for k, v in reply.items() if k != "STATUS"})
                part["id"] = 1
                body[c] = [part]
            body["id"] = 1
            return json.dumps(body, separators=(",", ":")).encode() + b"\0"
        return ("".join(f"CMD={c}|" + self.text_reply(r) for c, r in results) + "\0").encode()

    @staticmethod
    def text_reply(reply):
        out = [_text_record(None, reply["STATUS"])]
        for section, records in reply.items():
            if section == "STATUS" or not isinstance(records, list):
                continue
            for rec in records:
                first = next(iter(rec), None)
                bare = section if first not in ITEM_KEYS else None
                out.append(_text_record(bare, rec))
        return "".join(out)

    # -------------------------------------------------------------- data
    def _dev_rates(self, d, now):
        rate = self.device_rate(d, now)
        elapsed = max(1.0, now - self.started)
        return d["total_mh"] / elapsed, rate

    def summary_record(self):
        now = self.clock()
        elapsed = int(now - self.started)
        av = sum(self._dev_rates(d, now)[0] for d in self.devices)
        cur = sum(self._dev_rates(d, now)[1] for d in self.devices)
        acc = sum(p["accepted"] for p in self.pools)
        rej = sum(p["rejected"] for p in self.pools)
        dacc = sum(p["diff_acc"] for p in self.pools)
        drej = sum(p["diff_rej"] for p in self.pools)
        total_mh = sum(d["total_mh"] for d in self.devices)
        minutes = max(elapsed / 60.0, 1 / 60)
        rejpct = round(100.0 * drej / (dacc + drej), 4) if dacc + drej else 0.0
        diff1 = dacc + drej
        getworks = sum(p["getworks"] for p in self.pools)
        pool = self.active_pool()
        common = {
            "Found Blocks": self.found_blocks, "Getworks": getworks, "Accepted": acc,
            "Rejected": rej, "Hardware Errors": self.hw, "Utility": round(acc / minutes, 2),
            "Discarded": getworks * 2, "Stale": 0, "Get Failures": 0, "Local Work": getworks * 3,
            "Remote Failures": 0, "Network Blocks": 1 + elapsed // 600,
            "Total MH": round(total_mh, 4),
        }
        if self.flavour == "bfgminer":
            rec = {"Elapsed": elapsed, "Algorithm": "sse4_64", "MHS av": round(av, 3),
                   "MHS 20s": round(cur, 3), **common, "Diff1 Work": diff1,
                   "Work Utility": round(diff1 / minutes, 3)}
        elif self.flavour == "bmminer":
            rec = {"Elapsed": elapsed, "GHS 5s": f"{cur / 1000:.2f}", "GHS av": round(av / 1000, 2),
                   **common, "Work Utility": round(diff1 / minutes, 2)}
        else:
            rec = {"Elapsed": elapsed, "MHS av": round(av, 2), "MHS 5s": round(cur, 2),
                   "MHS 1m": round(cur * 0.99, 2), "MHS 5m": round(av * 1.01, 2),
                   "MHS 15m": round(av, 2), **common, "Work Utility": round(diff1 / minutes, 2)}
            if self.flavour == "oldcgminer":
                for k in ("MHS 1m", "MHS 5m", "MHS 15m"):
                    del rec[k]
        rec.update({
            "Difficulty Accepted": float(dacc), "Difficulty Rejected": float(drej),
            "Difficulty Stale": 0.0 if self.flavour != "bfgminer" else 0,
            "Best Share": int(self.best) if self.flavour != "bfgminer" else round(self.best, 8),
            "Device Hardware%": 0.0, "Device Rejected%": rejpct,
            "Pool Rejected%": rejpct, "Pool Stale%": 0.0,
            "Last getwork": int(now) if pool else 0,
        })
        return rec

    def pool_records(self):
        active = self.active_pool()
        out = []
        for i, p in enumerate(self.pools):
            status = "Disabled" if not p["enabled"] else ("Dead" if p["dead"] else "Alive")
            is_active = p is active
            dsum = p["diff_acc"] + p["diff_rej"]
            rej = round(100.0 * p["diff_rej"] / dsum, 4) if dsum else 0.0
            host = p["url"].split("://")[-1].rsplit(":", 1)[0]
            rec = {"POOL": i, "URL": p["url"], "Status": status, "Priority": p["priority"],
                   "Quota": p["quota"]}
            if self.flavour == "bfgminer":
                rec["Mining Goal"] = "default"
            rec.update({
                "Long Poll": "N", "Getworks": p["getworks"], "Accepted": p["accepted"],
                "Rejected": p["rejected"], "Works": p["getworks"] * 2, "Discarded": p["getworks"],
                "Stale": p["stale"], "Get Failures": 0 if not p["dead"] else 3,
                "Remote Failures": 0, "User": p["user"], "Last Share Time": p["last_share"],
                "Diff1 Shares": p["diff1"],
            })
            if self.flavour != "bfgminer":
                rec["Proxy Type"] = ""
            rec["Proxy"] = ""
            rec.update({"Difficulty Accepted": p["diff_acc"], "Difficulty Rejected": p["diff_rej"],
                        "Difficulty Stale": 0.0,
                        "Last Share Difficulty": self.pool_diff if p["last_share"] else 0.0})
            if self.flavour != "bfgminer":
                rec["Work Difficulty"] = self.pool_diff if is_active else 0.0
            rec.update({"Has Stratum": True, "Stratum Active": is_active,
                        "Stratum URL": host if is_active else ""})
            if self.flavour != "bfgminer":
                rec.update({"Stratum Difficulty": self.pool_diff if is_active else 0.0,
                            "Has Vmask": False, "Has GBT": False})
            rec.update({"Best Share": int(p["best"]) if self.flavour != "bfgminer" else round(p["best"], 8),
                        "Pool Rejected%": rej, "Pool Stale%": 0.0})
            if self.flavour != "bfgminer":
                rec.update({"Bad Work": 0, "Current Block Height": 870_000 if is_active else 0,
                            "Current Block Version": 536870912})
            out.append(rec)
        return out

    def device_record(self, d):
        now = self.clock()
        av, cur = self._dev_rates(d, now)
        kind = d["kind"]
        temp = round(d["temp"] + 3 * math.sin(now / 30 + d["id"]), 2) if d["status"] != "Dead" else 0.0
        elapsed = int(now - self.started)
        minutes = max(elapsed / 60.0, 1 / 60)
        dsum = d["diff_acc"] + d["diff_rej"]
        rejpct = round(100.0 * d["diff_rej"] / dsum, 4) if dsum else 0.0
        last_pool = self.pools.index(self.active_pool()) if self.active_pool() and d["last_share"] else -1
        enabled = "Y" if d["enabled"] else "N"
        status = d["status"] if d["enabled"] else "Disabled"
        shares = {"Accepted": d["accepted"], "Rejected": d["rejected"], "Hardware Errors": d["hw"],
                  "Utility": round(d["accepted"] / minutes, 3)}
        if kind == "PGA":
            return {"PGA": d["id"], "Name": d["name"], "ID": d["id"], "Enabled": enabled,
                    "Status": status, "Temperature": temp, "Device Elapsed": elapsed,
                    "MHS av": round(av, 3), "MHS 20s": round(cur, 3), "MHS rolling": round(cur, 3),
                    **shares, "Stale": 0, "Last Share Pool": last_pool,
                    "Last Share Time": d["last_share"], "Total MH": round(d["total_mh"], 4),
                    "Diff1 Work": dsum, "Work Utility": round(dsum / minutes, 3),
                    "Difficulty Accepted": d["diff_acc"], "Difficulty Rejected": d["diff_rej"],
                    "Difficulty Stale": 0, "Last Share Difficulty": self.pool_diff if d["last_share"] else 0,
                    "Last Valid Work": d["last_share"], "Device Hardware%": 0.0,
                    "Device Rejected%": rejpct}
        if kind == "GPU":
            rec = {"GPU": d["id"], "Enabled": enabled, "Status": status, "Temperature": temp,
                   "Fan Speed": d["fan"] * 40, "Fan Percent": d["fan"], "GPU Clock": d["engine"],
                   "Memory Clock": d["memclock"], "GPU Voltage": d["vddc"],
                   "GPU Activity": 99 if cur else 0, "Powertune": 0,
                   "MHS av": round(av, 2), "MHS 5s": round(cur, 2), **shares,
                   "Intensity": d["intensity"]}
            if self.flavour == "sgminer":
                rec.update({"XIntensity": 0, "RawIntensity": 0})
            rec.update({"Last Share Pool": last_pool, "Last Share Time": d["last_share"],
                        "Total MH": round(d["total_mh"], 4), "Diff1 Work": dsum,
                        "Difficulty Accepted": d["diff_acc"], "Difficulty Rejected": d["diff_rej"],
                        "Last Share Difficulty": self.pool_diff if d["last_share"] else 0.0,
                        "Last Valid Work": d["last_share"], "Device Hardware%": 0.0,
                        "Device Rejected%": rejpct, "Device Elapsed": elapsed})
            return rec
        return {"ASC": d["id"], "Name": d["name"], "ID": d["id"], "Enabled": enabled,
                "Status": status, "Temperature": temp, "MHS av": round(av, 2),
                "MHS 5s": round(cur, 2), "MHS 1m": round(cur, 2), "MHS 5m": round(av, 2),
                "MHS 15m": round(av, 2), **shares, "Last Share Pool": last_pool,
                "Last Share Time": d["last_share"], "Total MH": round(d["total_mh"], 4),
                "Diff1 Work": dsum, "Difficulty Accepted": d["diff_acc"],
                "Difficulty Rejected": d["diff_rej"],
                "Last Share Difficulty": self.pool_diff if d["last_share"] else 0.0,
                "No Device": False, "Last Valid Work": d["last_share"],
                "Device Hardware%": 0.0, "Device Rejected%": rejpct, "Device Elapsed": elapsed}

    def kind_word(self):
        return self.f["kind"]

    def no_devices(self):
        return {"ASC": 105, "PGA": 56, "GPU": 6}[self.kind_word()]


ITEM_KEYS = {"POOL", "ASC", "PGA", "GPU", "CPU", "STATS", "NOTIFY", "DEVDETAILS", "USBSTATS", "STATUS"}


def _text_escape(value):
    if isinstance(value, bool):
        value = "true" if value else "false"
    s = str(value)
    return s.replace("\\", "\\\\").replace(",", "\\,").replace("|", "\\|").replace("=", "\\=")


def _text_record(bare, rec):
    fields = ",".join(f"{_text_escape(k)}={_text_escape(v)}" for k, v in rec.items())
    return (f"{bare}," if bare else "") + fields + "|"


# ---------------------------------------------------------------- commands


def _int(param):
    """atoi, as the miners parse numbers: 'abc' is 0, '2x' is 2."""
    s = (param or "").strip()
    digits = ""
    for i, c in enumerate(s):
        if c.isdigit() or (i == 0 and c in "+-"):
            digits += c
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def cmd_version(rig, param):
    return {"STATUS": rig.status(22, rig.f["word"]), "VERSION": [rig.f["version"]()]}


def cmd_config(rig, param):
    kind = rig.kind_word()
    n = len(rig.devices)
    cfg = rig.config
    if rig.flavour == "bfgminer":
        rec = {"PGA Count": n, "Pool Count": len(rig.pools), "ADL": "N", "ADL in use": "N",
               "Strategy": cfg["strategy"], "Log Interval": 20, "Device Code": "BFL CPU",
               "OS": "Linux", "Failover-Only": cfg["failover_only"], "ScanTime": cfg["scantime"],
               "Queue": cfg["queue"], "Expiry": cfg["expiry"], "Coinbase-Sig": "(null)"}
    elif kind == "GPU":
        rec = {"GPU Count": n, "Pool Count": len(rig.pools), "ADL": "Y", "ADL in use": "Y",
               "Strategy": cfg["strategy"], "Log Interval": 5, "Device Code": "GPU ",
               "OS": "Linux", "Failover-Only": cfg["failover_only"], "ScanTime": cfg["scantime"],
               "Queue": cfg["queue"], "Expiry": cfg["expiry"]}
    else:
        rec = {"ASC Count": n, "PGA Count": 0, "Pool Count": len(rig.pools),
               "Strategy": cfg["strategy"], "Log Interval": 5, "Device Code": "ICA ",
               "OS": "Linux", "Hotplug": cfg["hotplug"]}
    return {"STATUS": rig.status(33, rig.f["word"]), "CONFIG": [rec]}


def cmd_summary(rig, param):
    return {"STATUS": rig.status(11), "SUMMARY": [rig.summary_record()]}


def cmd_pools(rig, param):
    if not rig.pools:
        return {"STATUS": rig.status(8)}
    return {"STATUS": rig.status(7, len(rig.pools)), "POOLS": rig.pool_records()}


def cmd_devs(rig, param):
    if not rig.devices:
        return {"STATUS": rig.status(10, "No %ss" % rig.kind_word())}
    word = {"ASC": "ASC", "PGA": "PGA", "GPU": "GPU"}[rig.kind_word()]
    return {"STATUS": rig.status(9, f"{len(rig.devices)} {word}(s)"),
            "DEVS": [rig.device_record(d) for d in rig.devices]}


def _dev_name(rig, d):
    return d["name"] or "GPU"


def cmd_notify(rig, param):
    if not rig.devices:
        return {"STATUS": rig.status(10, "No %ss" % rig.kind_word())}
    out = []
    for d in rig.devices:
        sick = d["status"] != "Alive"
        rec = {"NOTIFY": d["id"], "Name": _dev_name(rig, d), "ID": d["id"]}
        if rig.flavour != "bfgminer":
            rec["Last Well"] = d["last_well"]
        rec.update({"Last Not Well": d["last_not_well"],
                    "Reason Not Well": ("Device idle for 60s" if d["status"] == "Sick" else
                                        "Device dead - idle for 600s") if sick else "None",
                    "*Thread Fail Init": 0, "*Thread Zero Hash": 0, "*Thread Fail Queue": 0,
                    "*Dev Sick Idle 60s": 1 if sick else 0,
                    "*Dev Dead Idle 600s": 1 if d["status"] == "Dead" else 0,
                    "*Dev Nostart": 0, "*Dev Over Heat": 0, "*Dev Thermal Cutoff": 0,
                    "*Dev Comms Error": 0, "*Dev Throttle": 0})
        out.append(rec)
    return {"STATUS": rig.status(60), "NOTIFY": out}


def cmd_devdetails(rig, param):
    if not rig.devices:
        return {"STATUS": rig.status(10, "No %ss" % rig.kind_word())}
    out = []
    for d in rig.devices:
        if rig.flavour == "bfgminer":
            out.append({"DEVDETAILS": d["id"], "Name": d["name"], "ID": d["id"], "Processors": 1,
                        "Driver": "bitforce", "Kernel": "", "Target Temperature": 89,
                        "Cutoff Temperature": 95})
        else:
            out.append({"DEVDETAILS": d["id"], "Name": _dev_name(rig, d), "ID": d["id"],
                        "Driver": {"ASC": "bitburner", "GPU": "opencl"}[d["kind"]],
                        "Kernel": "ckolivas" if d["kind"] == "GPU" else "",
                        "Model": "Antminer S9" if rig.flavour == "bmminer" else "",
                        "Device Path": f"1:{d['id'] + 4}" if d["kind"] == "ASC" else ""})
    # bfgminer names this section DEVS; cgminer DEVDETAILS.
    return {"STATUS": rig.status(69), ("DEVS" if rig.flavour == "bfgminer" else "DEVDETAILS"): out}


def cmd_stats(rig, param):
    now = rig.clock()
    elapsed = int(now - rig.started)
    out = []
    for d in rig.devices:
        rec = {"STATS": len(out), "ID": f"{_dev_name(rig, d)}{d['id']}", "Elapsed": elapsed,
               "Calls": elapsed // 5, "Wait": 0.003564, "Max": 0.003341, "Min": 0.000022}
        if d["kind"] == "ASC":
            rec.update({"Frequency": 650.0, "Chips": 63, "USB Pipe": "0"})
        out.append(rec)
    for i, p in enumerate(rig.pools):
        out.append({"STATS": len(out), "ID": f"POOL{i}", "Elapsed": elapsed, "Calls": 0,
                    "Wait": 0.0, "Max": 0.0, "Min": 99999999.0, "Pool Calls": 0,
                    "Pool Attempts": 0, "Pool Wait": 0.0, "Pool Max": 0.0, "Pool Min": 99999999.0,
                    "Pool Av": 0.0, "Work Had Roll Time": False, "Work Can Roll": False,
                    "Work Had Expire": False, "Work Roll Time": 0, "Work Diff": rig.pool_diff,
                    "Min Diff": rig.pool_diff, "Max Diff": rig.pool_diff,
                    "Min Diff Count": p["getworks"], "Max Diff Count": p["getworks"],
                    "Times Sent": p["accepted"] + p["rejected"] + 2,
                    "Bytes Sent": 138 * (p["accepted"] + 1), "Times Recv": p["getworks"] + 4,
                    "Bytes Recv": 300 * (p["getworks"] + 2),
                    "Net Bytes Sent": 138 * (p["accepted"] + 1),
                    "Net Bytes Recv": 300 * (p["getworks"] + 2)})
    return {"STATUS": rig.status(70, rig.f["word"]), "STATS": out}


def cmd_coin(rig, param):
    now = rig.clock()
    rec = {"Hash Method": "sha256",
           "Current Block Time": float(round(now - rig.started, 6)) if rig.flavour != "bfgminer" else int(now) - 60,
           "Current Block Hash": "%064x" % (rig.index * 7919 + int(now) // 600),
           "LP": True, "Network Difficulty": 86388558925171.01}
    if rig.flavour == "bfgminer":
        rec["Difficulty Accepted"] = sum(p["diff_acc"] for p in rig.pools)
    return {"STATUS": rig.status(78, rig.f["word"]), "COIN": [rec]}


def cmd_usbstats(rig, param):
    if rig.flavour == "bfgminer":
        return {"STATUS": rig.status(14)}
    asics = [d for d in rig.devices if d["kind"] == "ASC"]
    if not asics:
        return {"STATUS": rig.status(88)}
    return {"STATUS": rig.status(87), "USBSTATS": [
        {"USBSTATS": i, "Name": d["name"], "ID": d["id"], "Stat": "USB",
         "Count": 1000 + i, "Errors": 0} for i, d in enumerate(asics)]}


def cmd_check(rig, param):
    if not param:
        return {"STATUS": rig.status(71)}
    exists = param in COMMANDS
    access = exists and rig.allowed(param)
    return {"STATUS": rig.status(72),
            "CHECK": [{"Exists": "Y" if exists else "N", "Access": "Y" if access else "N"}]}


def cmd_privileged(rig, param):
    return {"STATUS": rig.status(46)}


def _count(kind, code, section):
    def handler(rig, param):
        n = len(rig.devices) if rig.kind_word() == kind else 0
        return {"STATUS": rig.status(code), section: [{"Count": n}]}
    return handler


def _device(rig, kind, param):
    """The device for a ``kind|N`` command, or an error reply."""
    if rig.kind_word() != kind or not rig.devices:
        return None, {"STATUS": rig.status({"ASC": 105, "PGA": 56, "GPU": 6}[kind])}
    if param is None or param == "":
        return None, {"STATUS": rig.status(15)}
    n = _int(param.split(",")[0])
    if n < 0 or n >= len(rig.devices):
        return None, {"STATUS": rig.status({"ASC": 107, "PGA": 58, "GPU": 1}[kind], n, len(rig.devices) - 1)}
    return rig.devices[n], None


def _device_show(kind, code):
    def handler(rig, param):
        d, err = _device(rig, kind, param)
        if err:
            return err
        return {"STATUS": rig.status(code, d["id"]), kind: [rig.device_record(d)]}
    return handler


def _device_enable(kind, enable):
    codes = {"ASC": (110, 108, 111, 109), "PGA": (63, 61, 64, 62), "GPU": (5, 2, 12, 3)}[kind]

    def handler(rig, param):
        d, err = _device(rig, kind, param)
        if err:
            return err
        if enable:
            if d["enabled"]:
                return {"STATUS": rig.status(codes[1], d["id"])}
            d["enabled"] = True
            return {"STATUS": rig.status(codes[0], d["id"])}
        if not d["enabled"]:
            return {"STATUS": rig.status(codes[3], d["id"])}
        d["enabled"] = False
        return {"STATUS": rig.status(codes[2], d["id"])}
    return handler


def _device_identify(kind):
    code = {"ASC": 113, "PGA": 80}[kind]

    def handler(rig, param):
        d, err = _device(rig, kind, param)
        return err or {"STATUS": rig.status(code, d["id"])}
    return handler


def cmd_gpurestart(rig, param):
    d, err = _device(rig, "GPU", param)
    if err:
        return err
    if d["status"] in ("Sick", "Dead"):
        d["status"] = "Alive"
    return {"STATUS": rig.status(13, d["id"])}


def _gpu_set(field, code, low, high):
    def handler(rig, param):
        d, err = _device(rig, "GPU", param)
        if err:
            return err
        if "," not in (param or ""):
            return {"STATUS": rig.status(28)}
        value = param.split(",", 1)[1]
        if field == "intensity":
            if value != "D" and not (value.isdigit() and low <= int(value) <= high):
                return {"STATUS": rig.status(31, value)}
            d["intensity"] = value
            return {"STATUS": rig.status(32, d["id"], value)}
        try:
            num = float(value)
        except ValueError:
            num = 0.0
        d[field] = num if field == "vddc" else int(num)
        return {"STATUS": rig.status(code, d["id"], value)}
    return handler


def _device_set(kind):
    codes = {"ASC": (116, 118, 119, 120), "PGA": (89, 91, 92, 93)}[kind]

    def handler(rig, param):
        d, err = _device(rig, kind, param)
        if err:
            return err
        parts = (param or "").split(",", 2)
        if len(parts) < 2 or not parts[1]:
            return {"STATUS": rig.status(codes[0])}
        opt = parts[1].lower()
        if opt == "help":
            return {"STATUS": rig.status(codes[1], d["id"], "freq: 100-1000, fan: 0-100")}
        if opt in ("freq", "fan") and len(parts) == 3 and parts[2].isdigit():
            return {"STATUS": rig.status(codes[2], d["id"])}
        return {"STATUS": rig.status(codes[3], d["id"], f"invalid option '{parts[1]}'")}
    return handler


def _pool_arg(rig, param):
    if param is None or param == "":
        return None, {"STATUS": rig.status(25)}
    n = _int(param)
    if n < 0 or n >= len(rig.pools):
        return None, {"STATUS": rig.status(26, n, len(rig.pools) - 1)}
    return n, None


def cmd_switchpool(rig, param):
    n, err = _pool_arg(rig, param)
    if err:
        return err
    pool = rig.pools[n]
    pool["enabled"] = True
    # The chosen pool moves to priority 0; the others shift down, order kept.
    others = sorted((p for p in rig.pools if p is not pool), key=lambda p: p["priority"])
    pool["priority"] = 0
    for i, p in enumerate(others, 1):
        p["priority"] = i
    return {"STATUS": rig.status(27, n, pool["url"])}


def cmd_enablepool(rig, param):
    n, err = _pool_arg(rig, param)
    if err:
        return err
    pool = rig.pools[n]
    if pool["enabled"]:
        return {"STATUS": rig.status(49, n, pool["url"])}
    pool["enabled"] = True
    return {"STATUS": rig.status(47, n, pool["url"])}


def cmd_disablepool(rig, param):
    n, err = _pool_arg(rig, param)
    if err:
        return err
    pool = rig.pools[n]
    if not pool["enabled"]:
        return {"STATUS": rig.status(50, n, pool["url"])}
    if sum(1 for p in rig.pools if p["enabled"]) == 1:
        return {"STATUS": rig.status(51, n, pool["url"])}
    pool["enabled"] = False
    return {"STATUS": rig.status(48, n, pool["url"])}


def cmd_addpool(rig, param):
    if not param:
        return {"STATUS": rig.status(52)}
    parts = [unescape(p) for p in split_escaped(param, ",")]
    if len(parts) < 3 or not parts[0]:
        return {"STATUS": rig.status(53, param)}
    pool = rig._new_pool(parts[0], parts[1], parts[2])
    pool["priority"] = len(rig.pools)
    rig.pools.append(pool)
    n = len(rig.pools) - 1
    # bfgminer: "Added pool 'URL'"; cgminer: "Added pool N: 'URL'"
    label = f"'{parts[0]}'" if rig.flavour == "bfgminer" else f"{n}: '{parts[0]}'"
    return {"STATUS": rig.status(55, label)}


def cmd_removepool(rig, param):
    n, err = _pool_arg(rig, param)
    if err:
        return err
    pool = rig.pools[n]
    if len(rig.pools) == 1:
        return {"STATUS": rig.status(66, n, pool["url"])}
    if pool is rig.active_pool():
        return {"STATUS": rig.status(67, n, pool["url"])}
    rig.pools.remove(pool)
    for i, p in enumerate(sorted(rig.pools, key=lambda p: p["priority"])):
        p["priority"] = i
    return {"STATUS": rig.status(68, n, pool["url"])}


def cmd_poolpriority(rig, param):
    if not param:
        return {"STATUS": rig.status(25)}
    order = []
    for part in param.split(","):
        n = _int(part)
        if n < 0 or n >= len(rig.pools):
            return {"STATUS": rig.status(26, n, len(rig.pools) - 1)}
        if n in order:
            return {"STATUS": rig.status(74, n)}
        order.append(n)
    rest = [i for i in sorted(range(len(rig.pools)), key=lambda i: rig.pools[i]["priority"]) if i not in order]
    for prio, i in enumerate(order + rest):
        rig.pools[i]["priority"] = prio
    return {"STATUS": rig.status(73)}


def cmd_poolquota(rig, param):
    if not param:
        return {"STATUS": rig.status(25)}
    n, err = _pool_arg(rig, param.split(",")[0])
    if err:
        return err
    if "," not in param:
        return {"STATUS": rig.status(28)}
    q = _int(param.split(",", 1)[1])
    if q < 0:
        return {"STATUS": rig.status(121, q, "quota")}
    rig.pools[n]["quota"] = q
    return {"STATUS": rig.status(122, rig.pools[n]["url"], q)}


def cmd_save(rig, param):
    return {"STATUS": rig.status(44, param or "/root/.cgminer/cgminer.conf")}


def cmd_quit(rig, param):
    rig.quit_requested = True
    return b'{"STATUS":"BYE","id":1}\0'


def cmd_restart(rig, param):
    rig.restart()
    return b'{"STATUS":"RESTART","id":1}\0'


def cmd_failover(rig, param):
    if not param:
        return {"STATUS": rig.status(75)}
    v = param.strip().lower()
    if v not in ("true", "false"):
        return {"STATUS": rig.status(76)}
    rig.config["failover_only"] = v == "true"
    return {"STATUS": rig.status(77, v)}


def cmd_setconfig(rig, param):
    if not param:
        return {"STATUS": rig.status(85)}
    name, _, value = param.partition(",")
    if name.lower() not in ("queue", "scantime", "expiry"):
        return {"STATUS": rig.status(83, name)}
    if not value:
        return {"STATUS": rig.status(86, name)}
    n = _int(value)
    if n < 0 or n > 9999:
        return {"STATUS": rig.status(84, n, name)}
    rig.config[name.lower()] = n
    return {"STATUS": rig.status(82, name, n)}


def cmd_debug(rig, param):
    flags = {"s": "Silent", "q": "Quiet", "v": "Verbose", "d": "Debug", "r": "RPCProto",
             "p": "PerDevice", "w": "WorkTime"}
    if param:
        key = flags.get(param[:1].lower())
        if key:
            rig.debug[key] = not rig.debug[key]
        elif param[:1].lower() == "n":
            for k in rig.debug:
                rig.debug[k] = False
    return {"STATUS": rig.status(79), "DEBUG": [dict(rig.debug)]}


def cmd_hotplug(rig, param):
    if not param:
        return {"STATUS": rig.status(103)}
    if not param.isdigit() or int(param) > 9999:
        return {"STATUS": rig.status(99, param)}
    rig.config["hotplug"] = int(param)
    if int(param) == 0:
        return {"STATUS": rig.status(101)}
    return {"STATUS": rig.status(100, int(param))}


def cmd_zero(rig, param):
    if not param:
        return {"STATUS": rig.status(94)}
    which, _, summ = param.partition(",")
    names = {"all": "All", "bestshare": "BestShare"}
    if which.lower() not in names:
        return {"STATUS": rig.status(95, which)}
    if which.lower() == "all":
        for p in rig.pools:
            p.update(accepted=0, rejected=0, diff_acc=0.0, diff_rej=0.0, diff1=0.0)
        for d in rig.devices:
            d.update(accepted=0, rejected=0, diff_acc=0.0, diff_rej=0.0, total_mh=0.0)
        rig.started = rig.clock()
    rig.best = 0.0
    for p in rig.pools:
        p["best"] = 0.0
    code = 96 if summ.strip().lower() == "true" else 97
    return {"STATUS": rig.status(code, names[which.lower()])}


def cmd_lockstats(rig, param):
    return {"STATUS": {"STATUS": "W", "When": int(rig.clock()), "Code": 124,
                       "Msg": "Lock stats not enabled", "Description": rig.f["desc"]}}


COMMANDS = {
    "version": cmd_version, "config": cmd_config, "summary": cmd_summary, "pools": cmd_pools,
    "devs": cmd_devs, "edevs": cmd_devs, "notify": cmd_notify, "devdetails": cmd_devdetails,
    "stats": cmd_stats, "estats": cmd_stats, "coin": cmd_coin, "usbstats": cmd_usbstats,
    "check": cmd_check, "privileged": cmd_privileged,
    "gpucount": _count("GPU", 20, "GPUS"), "asccount": _count("ASC", 104, "ASCS"),
    "pgacount": _count("PGA", 59, "PGAS"),
    "gpu": _device_show("GPU", 17), "asc": _device_show("ASC", 106), "pga": _device_show("PGA", 57),
    "gpuenable": _device_enable("GPU", True), "gpudisable": _device_enable("GPU", False),
    "gpurestart": cmd_gpurestart,
    "ascenable": _device_enable("ASC", True), "ascdisable": _device_enable("ASC", False),
    "pgaenable": _device_enable("PGA", True), "pgadisable": _device_enable("PGA", False),
    "ascidentify": _device_identify("ASC"), "pgaidentify": _device_identify("PGA"),
    "gpuintensity": _gpu_set("intensity", 32, 8, 31), "gpumem": _gpu_set("memclock", 35, 0, 0),
    "gpuengine": _gpu_set("engine", 37, 0, 0), "gpufan": _gpu_set("fan", 41, 0, 0),
    "gpuvddc": _gpu_set("vddc", 39, 0, 0),
    "ascset": _device_set("ASC"), "pgaset": _device_set("PGA"),
    "switchpool": cmd_switchpool, "enablepool": cmd_enablepool, "disablepool": cmd_disablepool,
    "addpool": cmd_addpool, "removepool": cmd_removepool, "poolpriority": cmd_poolpriority,
    "poolquota": cmd_poolquota, "save": cmd_save, "quit": cmd_quit, "restart": cmd_restart,
    "failover-only": cmd_failover, "setconfig": cmd_setconfig, "debug": cmd_debug,
    "hotplug": cmd_hotplug, "zero": cmd_zero, "lockstats": cmd_lockstats,
}
COMMAND_NAMES = set(COMMANDS)


# ---------------------------------------------------------------- serving


class _RigProtocol(asyncio.Protocol):
    def __init__(self, farm, rig):
        self.farm, self.rig = farm, rig
        self.transport = None
        self.answered = False
        self.pending = None

    def connection_made(self, transport):
        self.transport = transport
        if self.rig.access == "deny" or self.rig.fault == "deny":
            transport.close()  # outside --api-allow: accepted, then 0 bytes

    def data_received(self, data):
        if self.answered:
            return
        self.answered = True  # a real miner reads one recv() and answers that
        rig = self.rig
        if rig.fault == "hang":
            return  # accept, never answer
        if rig.fault == "garbage":
            rnd = random.Random(len(data))
            self.transport.write(bytes(rnd.randrange(1, 256) for _ in range(300)) + b"\0")
            self.transport.close()
            return
        if rig.fault == "oversize":
            self._stream_oversize()
            return
        reply = rig.handle(data[:8191])
        if reply is None:
            self.transport.close()
            return
        if rig.fault == "truncated":
            reply = reply[: max(1, len(reply) // 2)]
        if rig.fault == "drip":
            self._drip(reply, 0)
            return
        if rig.fault == "slow":
            loop = asyncio.get_running_loop()
            self.pending = loop.call_later(1.5, self._finish, reply)
            return
        self._finish(reply)

    def _finish(self, reply):
        self.transport.write(reply)
        self.transport.close()
        if self.rig.quit_requested:
            self.farm.went_away(self.rig)

    def _drip(self, reply, pos):
        if self.transport.is_closing():
            return
        if pos >= len(reply):
            self.transport.close()
            return
        self.transport.write(reply[pos:pos + 16])
        self.pending = asyncio.get_running_loop().call_later(0.25, self._drip, reply, pos + 16)

    def _stream_oversize(self):
        self.sent = 0
        self.paused = False
        self.transport.write(b'{"STATUS":[{"STATUS":"S","When":0,"Code":11,"Msg":"Summary"}],"SUMMARY":[')
        self.resume_writing()

    def pause_writing(self):
        self.paused = True

    def resume_writing(self):
        self.paused = False
        if self.rig.fault != "oversize" or not self.answered:
            return
        chunk = b'{"Elapsed":1,"MHS av":1.0},' * 4000
        while not self.paused and not self.transport.is_closing():
            if self.sent > 50 * 1024 * 1024:
                self.transport.write(b'{}]}\0')
                self.transport.close()
                return
            self.transport.write(chunk)
            self.sent += len(chunk)

    def connection_lost(self, exc):
        if self.pending is not None:
            self.pending.cancel()


class SimFarm:
    """Serves SimRigs on consecutive ports of one host, from the running loop."""

    def __init__(self, rigs, host="127.0.0.1", base_port=4028, comeback=20.0):
        self.rigs = list(rigs)
        self.host = host
        self.base_port = base_port
        self.comeback = comeback  # seconds a quit rig stays away, as if a watchdog restarted it
        self.servers = {}

    def port_of(self, rig):
        return self.base_port + self.rigs.index(rig)

    async def start(self):
        loop = asyncio.get_running_loop()
        for rig in self.rigs:
            if rig.fault != "refuse":
                await self._listen(rig)
        return self

    async def _listen(self, rig):
        loop = asyncio.get_running_loop()
        self.servers[rig.index] = await loop.create_server(
            lambda rig=rig: _RigProtocol(self, rig), self.host, self.port_of(rig),
            reuse_address=True, backlog=512)

    def went_away(self, rig):
        """The rig quit: stop listening, come back later with fresh counters."""
        server = self.servers.pop(rig.index, None)
        if server:
            server.close()
        rig.quit_requested = False
        loop = asyncio.get_running_loop()
        loop.call_later(self.comeback, lambda: asyncio.ensure_future(self._come_back(rig)))

    async def _come_back(self, rig):
        rig.restart()
        if rig.index not in self.servers:
            await self._listen(rig)

    async def stop(self):
        for server in self.servers.values():
            server.close()
        for server in list(self.servers.values()):
            await server.wait_closed()
        self.servers.clear()


def make_rigs(count, seed=1, faults=None, access=None, flavour=None, clock=time.time):
    """``count`` varied rigs; faults/access map rig index -> mode."""
    faults = faults or {}
    access = access or {}
    names = ["cgminer", "bfgminer", "sgminer", "cgminer", "bmminer", "oldcgminer", "cgminer", "sgminer"]
    return [SimRig(index=i, seed=seed, flavour=flavour or names[i % len(names)],
                   fault=faults.get(i), access=access.get(i, "W"), clock=clock)
            for i in range(count)]


def demo_rigs(seed=1):
    """The eight rigs a first-time user sees: varied kinds and some trouble."""
    rigs = make_rigs(8, seed=seed, access={3: "R"}, faults={6: "html", 7: "hang"})
    rigs[0].devices[-1]["status"] = "Alive"
    if len(rigs[2].devices) > 1:
        rigs[2].devices[1]["status"] = "Sick"
    if len(rigs[4].pools) < 2:
        rigs[4].pools.append(rigs[4]._new_pool(POOL_URLS[4], "farm.sim04", "x"))
        rigs[4].pools[-1]["priority"] = len(rigs[4].pools) - 1
    rigs[4].pools[-1]["dead"] = True
    return rigs
