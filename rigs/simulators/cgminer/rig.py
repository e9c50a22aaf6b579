"""One fake miner: its devices, pools and counters, and how it answers a request.

Counters grow with time, privileged commands change its state (switchpool moves
mining to that pool, a disabled device stops hashing), and its replies follow the
real captures in tests/fixtures/real/ (field names and order, value types,
STATUS codes and messages, join layout, text escaping). Flavours: cgminer 4.11
(ASC), bfgminer 5.5 (PGA), sgminer 5.6 (GPU), bmminer (GH/s fields) and an old
cgminer 2.x (API 1.x: no joins). Its SUMMARY, POOLS and DEVS records are built in
records.py.
"""

import json
import math
import random
import time

from .codes import CODES, JOINABLE, PRIVILEGED
from .controls import COMMAND_NAMES, COMMANDS

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
                 "version": lambda: {"Miner": "bfgminer 5.5.0-34-g866fd36f", "CGMiner": "5.5.0-34-g866fd36f",
                                     "API": "3.1"}},
    "sgminer": {"desc": "sgminer 5.6.1", "api": "4.0", "kind": "GPU", "word": "SGMiner",
                "version": lambda: {"SGMiner": "5.6.1", "API": "4.0"}},
    "bmminer": {"desc": "bmminer 2.0.0", "api": "3.1", "kind": "ASC", "word": "BMMiner",
                "version": lambda: {"BMMiner": "2.0.0", "API": "3.1", "Miner": "16.8.1.3", "Type": "Antminer S9"}},
    "oldcgminer": {"desc": "cgminer 2.11.4", "api": "1.25", "kind": "GPU", "word": "CGMiner",
                   "version": lambda: {"CGMiner": "2.11.4", "API": "1.25"}},
}

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
        self.requests = 0  # how many it was asked (tests: two pollers must not both ask)
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
        self.requests += 1
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
    def kind_word(self):
        return self.f["kind"]


ITEM_KEYS = {"POOL", "ASC", "PGA", "GPU", "CPU", "STATS", "NOTIFY", "DEVDETAILS", "USBSTATS", "STATUS"}


def _text_escape(value):
    if isinstance(value, bool):
        value = "true" if value else "false"
    s = str(value)
    return s.replace("\\", "\\\\").replace(",", "\\,").replace("|", "\\|").replace("=", "\\=")


def _text_record(bare, rec):
    fields = ",".join(f"{_text_escape(k)}={_text_escape(v)}" for k, v in rec.items())
    return (f"{bare}," if bare else "") + fields + "|"
