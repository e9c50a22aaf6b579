"""A fake Braiins OS 26.04 (BOSer) on an Antminer S21 Pro, after asic-dialects.md §3.4: RPC on 4028
(cgminer subset in MH/s, boards numbered from 1, `fans`, `temps` (`STATUS E "Not ready"` while
booting), `tunerstatus` with its per-chain list, joins) and the public REST API on the web port:
`POST /api/v1/auth/login` (token, `timeout_s`, sent back as `Authorization: <token>`), power target
(clamped to the model's limits), pause/resume (answer `true` when nothing changed), restart, reboot,
locate.
"""

import json
import secrets

from . import asic

VERSION = {"BOSer": "boser-buildroot 0.1.0-912d084c", "API": "3.7"}
DESC = "BOSer boser-buildroot 0.1.0-912d084c"
READS = ("version", "summary", "devs", "edevs", "pools", "fans", "temps", "tunerstatus", "devdetails")
POWER_LIMITS = (1500, 4500)


class BraiinsSim(asic.Machine):
    def __init__(self, index=0, seed=1, password="root", **kw):
        super().__init__(index, seed, boards=3, rate_ghs=78_000.0, **kw)
        self.password, self.power_target, self.locate = password, 3500, False
        self.tokens = {}
        self.booting = False

    def st(self, letter, code, msg):
        return [asic.status(letter, code, msg, DESC, self.clock())]

    def scale(self):
        return self.power_target / 3500

    # ---------------------------------------------------------------- 4028
    def rpc(self, data):
        try:
            cmd = str(json.loads(data.decode("utf-8", "replace").strip("\0\n ")).get("command", ""))
        except (ValueError, AttributeError):
            return asic.dumps({"STATUS": self.st("E", 23, "Invalid JSON")}).encode() + b"\0"
        parts = cmd.split("+")
        if not all(p in READS for p in parts):
            return asic.dumps({"STATUS": self.st("E", 14, "Invalid command")}).encode() + b"\0"
        if len(parts) > 1:
            return asic.dumps({**{p: [self.answer(p)] for p in parts}, "id": 1}).encode() + b"\0"
        return asic.dumps(self.answer(cmd)).encode() + b"\0"

    def answer(self, cmd):
        if cmd == "temps" and self.booting:
            return {"STATUS": self.st("E", 200, "Not ready"), "id": 1}
        data = getattr(self, "read_" + ("devs" if cmd == "edevs" else cmd))()
        return {"STATUS": self.st("S", {"summary": 11, "devs": 9, "pools": 7, "version": 22}.get(cmd, 201), cmd),
                **data, "id": 1}

    def read_version(self):
        return {"VERSION": [dict(VERSION)]}

    def read_summary(self):
        mhs, acc = self.total_ghs() * 1000 * self.scale(), self.accepted()
        return {"SUMMARY": [{"Elapsed": self.elapsed,
                             "MHS av": round(sum(self.rates) * 1000 * self.scale() * (not self.sleeping), 2),
                             "MHS 5s": round(mhs, 2), "MHS 1m": round(mhs, 2), "MHS 5m": round(mhs, 2),
                             "MHS 15m": round(mhs, 2), "Found Blocks": 0, "Getworks": self.elapsed // 30,
                             "Accepted": acc, "Rejected": acc // 700, "Hardware Errors": acc // 2000,
                             "Utility": round(acc / max(self.elapsed / 60, 1), 2), "Discarded": 0, "Stale": 0,
                             "Get Failures": 0, "Local Work": acc * 30, "Remote Failures": 0, "Network Blocks": 0,
                             "Total MH": round(mhs * self.elapsed), "Work Utility": round(mhs / 70, 2),
                             "Difficulty Accepted": acc * 65536.0, "Difficulty Rejected": acc // 700 * 65536.0,
                             "Difficulty Stale": 0.0, "Best Share": 19_120_542_122, "Device Hardware%": 0.0001,
                             "Device Rejected%": 0.14, "Pool Rejected%": 0.14, "Pool Stale%": 0.0,
                             "Last getwork": int(self.clock())}]}

    def read_devs(self):
        return {"DEVS": [{"ASC": i, "Name": "", "ID": i + 1, "Enabled": "Y",
                          "Status": "Alive" if not self.sleeping else "Paused", "Temperature": 0.0,
                          "MHS av": round(self.rates[i] * 1000 * self.scale() * (not self.sleeping), 2),
                          "MHS 5s": round(self.board_ghs(i) * 1000 * self.scale(), 2),
                          "MHS 1m": round(self.board_ghs(i) * 1000 * self.scale(), 2),
                          "Nominal MHS": 78_000_000.0, "Accepted": self.accepted() // 3, "Rejected": 0,
                          "Hardware Errors": 0, "Device Elapsed": self.elapsed} for i in range(len(self.rates))]}

    def read_devdetails(self):
        return {"DEVDETAILS": [{"DEVDETAILS": i, "Name": "", "ID": i + 1, "Driver": "", "Kernel": "",
                                "Model": "Antminer S21 Pro", "Chips": 65, "Frequency": 535_000_000.0,
                                "Voltage": 13.8} for i in range(len(self.rates))]}

    def read_pools(self):
        acc = self.accepted()
        return {"POOLS": [{"POOL": 0, "URL": "stratum+tcp://stratum.braiins.example:3333", "Status": "Alive",
                           "Priority": 0, "Quota": 1, "Long Poll": "N", "Getworks": self.elapsed // 30,
                           "Accepted": acc, "Rejected": acc // 700, "Works": acc * 30, "Discarded": 0, "Stale": 0,
                           "Get Failures": 0, "Remote Failures": 0, "User": f"farm.bos{self.index:02d}",
                           "Last Share Time": int(self.clock()) - 2, "Diff1 Shares": 0, "Proxy Type": "",
                           "Proxy": "", "Difficulty Accepted": acc * 65536.0,
                           "Difficulty Rejected": acc // 700 * 65536.0,
                           "Difficulty Stale": 0.0, "Last Share Difficulty": 65536.0, "Has Stratum": True,
                           "Stratum Active": True, "Stratum URL": "stratum.braiins.example",
                           "Best Share": 19_120_542_122, "Pool Rejected%": 0.14, "Pool Stale%": 0.0}]}

    def read_fans(self):
        return {"FANS": [{"FAN": i, "ID": i, "RPM": 0 if self.sleeping else 3960 + 20 * i,
                          "Speed": 0 if self.sleeping else 55} for i in range(4)]}

    def read_temps(self):
        return {"TEMPS": [{"TEMP": i, "ID": i + 1, "Board": round(t, 3), "Chip": round(t + 21.5, 3)}
                          for i, t in enumerate(self.temps)]}

    def power(self):
        return 40 if self.sleeping else int(self.power_target * 0.97)

    def read_tunerstatus(self):
        return {"TUNERSTATUS": [{
            "PowerLimit": self.power_target, "ApproximateMinerPowerConsumption": self.power(),
            "ApproximateChainPowerConsumption": self.power() - 120, "DynamicPowerScaling": "Disabled",
            "TunerChainStatus": [{"HashchainIndex": i + 1, "PowerLimitWatt": self.power_target // 3,
                                  "ApproximatePowerConsumptionWatt": self.power() // 3,
                                  "Status": "Tuning individual chips" if self.elapsed < 1800 else "Stable",
                                  "TunerRunning": self.elapsed < 1800, "Iteration": 12, "StageElapsed": 64,
                                  "TuningElapsed": min(self.elapsed, 1800),
                                  "LoadedProfileCreatedOn": 1_777_000_000} for i in range(len(self.rates))]}]}

    # ---------------------------------------------------------------- REST on the web port
    def web(self, method, target, headers, body, peer):
        path = target.split("?")[0]
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return asic.http_reply(400, {"message": "invalid JSON"})
        if path == "/api/v1/auth/login" and method == "POST":
            if not isinstance(data, dict) or data.get("username") != "root" or data.get("password") != self.password:
                return asic.http_reply(401, {"message": "invalid credentials"})
            token = secrets.token_urlsafe(16)
            self.tokens[token] = self.clock() + 3600
            return asic.http_reply(200, {"token": token, "timeout_s": 3600})
        if not path.startswith("/api/v1/"):
            return asic.http_reply(404, {"message": "not found"})
        token = headers.get("authorization", "")
        if self.tokens.get(token, 0) < self.clock():  # "Bearer ..." is not a token here
            return asic.http_reply(401, {"message": "unauthorized"})
        if path == "/api/v1/performance/power-target" and method == "PUT":
            watt = data.get("watt") if isinstance(data, dict) else None
            if not isinstance(watt, int):
                return asic.http_reply(400, {"message": "watt must be an integer"})
            self.power_target = min(max(watt, POWER_LIMITS[0]), POWER_LIMITS[1])
            return asic.http_reply(200, {"watt": self.power_target})
        if path == "/api/v1/actions/locate":
            if method == "PUT":
                if not isinstance(data, bool):
                    return asic.http_reply(400, {"message": "expected true or false"})
                self.locate = data
            return asic.http_reply(200, self.locate)
        action = path.removeprefix("/api/v1/actions/")
        if method == "PUT" and action in ("pause", "resume"):
            already = self.sleeping == (action == "pause")
            self.sleeping = action == "pause"
            return asic.http_reply(200, already)
        if method == "PUT" and action in ("restart", "reboot"):
            self.restart()
            return asic.http_reply(200, False) if action == "restart" else (
                b"HTTP/1.1 204 No Content\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", False)
        return asic.http_reply(404, {"message": "not found"})


async def serve(sim, host, rpc_port, web_port):
    return [await asic.serve_rpc(sim, host, rpc_port), await asic.serve_web(sim.web, host, web_port)]


SIMULATION = asic.family("Braiins OS", "braiins", "bos", "braiins", BraiinsSim, serve, True, "root", "Braiins OS 26.04",
                         "also N Braiins OS 26.04 (RPC and REST on two ports each)")
