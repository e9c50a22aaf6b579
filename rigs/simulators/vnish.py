"""A fake VNish 1.2.6 on an Antminer S19 Pro, after asic-dialects.md §3.2 and VNish's OpenAPI schema
(no public capture of its replies exists): the stock bmminer RPC on 4028 (the Antminer simulator's,
with VNish named in `version`) and the REST API on the web port: `POST /api/v1/unlock` (403 for a
wrong password, 429 after five), the token raw in `Authorization` and as "Bearer" for `system/*`,
`mining/{pause,resume,restart}`, `system/reboot`, `find-miner` (toggles), `status`, `settings` (GET,
POST merging `miner.pools` and `miner.overclock.preset`; it answers the same whether or not it took
them), `autotune/presets`.
"""

import json
import secrets

from . import asic
from .antminer import VERSION, AntminerSim
from .antminer import serve as antminer_serve

PRESETS = ["2700", "3000", "3250", "3500"]


class VnishSim(AntminerSim):
    version = {**VERSION, "Miner": "vnish 1.2.6", "Type": "Antminer S19 Pro (vnish 1.2.6)"}

    def __init__(self, index=0, seed=1, password="admin", **kw):
        super().__init__(index, seed, password=password, **kw)
        self.tokens, self.failures, self.preset, self.find_miner = set(), 0, "3250", False

    def settings(self):
        return {"miner": {"pools": [{"url": p["url"], "user": p["user"], "pass": p["pass"]}
                                    for p in self.conf["pools"] if p["url"]],
                          "overclock": {"preset": self.preset, "globals": {"freq": 675, "volt": 1360}}},
                "ui": {"theme": "dark"}}

    def web(self, method, target, headers, body, peer):
        path = target.split("?")[0]
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return asic.http_reply(400, {"err": "bad json"})
        if path == "/api/v1/unlock" and method == "POST":
            if self.failures >= 5:
                return asic.http_reply(429, {"err": "too many attempts"})
            if not isinstance(data, dict) or data.get("pw") != self.password:
                self.failures += 1
                return asic.http_reply(403, {"err": "wrong password"})
            self.failures = 0
            token = secrets.token_hex(16)
            self.tokens.add(token)
            return asic.http_reply(200, {"token": token})
        if path == "/api/v1/info":
            return asic.http_reply(200, {"miner": "Antminer S19 Pro", "fw_name": "Vnish", "fw_version": "1.2.6",
                                         "system": {"network_status": {"hostname": f"vnish-{self.index:02d}"}}})
        auth = headers.get("authorization", "")
        wanted = "Bearer " if path.startswith("/api/v1/system/") else ""
        if not auth.startswith(wanted) or auth[len(wanted):] not in self.tokens:
            return asic.http_reply(401, {"err": "unauthorized"})
        if path == "/api/v1/status":
            return asic.http_reply(200, {"miner_state": "stopped" if self.sleeping else "mining",
                                         "miner_state_time": self.elapsed, "find_miner": self.find_miner,
                                         "restart_required": False, "reboot_required": False})
        if path == "/api/v1/autotune/presets":
            return asic.http_reply(200, [{"name": p, "pretty": f"{p} watt", "status": "tuned"} for p in PRESETS])
        if path == "/api/v1/settings" and method == "GET":
            return asic.http_reply(200, self.settings())
        if method != "POST":
            return asic.http_reply(405, {"err": "method not allowed"})
        if path == "/api/v1/settings":
            miner = data.get("miner") if isinstance(data, dict) else None
            if isinstance(miner, dict):
                pools = miner.get("pools")
                if isinstance(pools, list) and all(isinstance(p, dict) for p in pools):
                    self.apply({"pools": pools})
                overclock = miner.get("overclock")
                preset = overclock.get("preset") if isinstance(overclock, dict) else None
                if str(preset) in PRESETS:
                    self.preset = str(preset)
            return asic.http_reply(200, {"restart_required": False, "reboot_required": False})
        action = path.removeprefix("/api/v1/")
        if action in ("mining/pause", "mining/resume"):
            self.sleeping = action == "mining/pause"
        elif action in ("mining/restart", "system/reboot"):
            self.restart()
        elif action == "find-miner":
            self.find_miner = not self.find_miner
        else:
            return asic.http_reply(404, {"err": "not found"})
        return asic.http_reply(200, None)


SIMULATION = asic.family("VNish", "vnish", "vn", "vnish", VnishSim, antminer_serve, True, "", "VNish 1.2.6",
                         "also N VNish 1.2.6 (RPC and REST on two ports each)")
