"""A fake Whatsminer M60S on firmware 20251209 (API v3.0.2), after asic-dialects.md §3.3 and MicroBT's API
v3 manual: TCP 4433 speaks 4-byte little-endian length + JSON both ways and keeps the socket open for
more requests; `get.miner.status` (`summary`, `edevs`, `pools`, joined with `+`; TH/s), `get.device.info`
(whole or `salt` only; `error-code` in mixed shapes; `board-num` a string), and `set.*` commands checked
against a token made from the command, the password, the salt and `ts` (`set.miner.pools` with its list
AES-encrypted). 4028 answers only `get_version` (which commands remain there on real units is not
documented). Error codes other than 0 and their texts are this simulator's own: the manual shows none.
"""

import asyncio
import base64
import hashlib
import json
import time

from rigs.drivers.whatsminer_crypto import decrypt

from . import asic

FIRMWARE = "20251209.16.Rel2"


class WhatsminerV3Sim(asic.Machine):
    def __init__(self, index=0, seed=1, password="super", **kw):
        super().__init__(index, seed, boards=3, rate_ghs=62_000.0, **kw)
        self.password, self.salt = password, "px5hoXa9"
        self.pools = [{"pool": "stratum+tcp://btc.example.org:3333", "worker": f"farm.m60x{index:02d}", "passwd": "x"}]
        self.power_mode, self.power_limit, self.led, self.service = "normal", 3400, "auto", "running"
        self.commands = []

    # ---------------------------------------------------------------- 4028: only get_version
    def rpc(self, data):
        try:
            req = json.loads(data.decode("utf-8", "replace").strip("\0\n "))
        except ValueError:
            req = {}
        cmd = req.get("cmd") or req.get("command") if isinstance(req, dict) else None
        if cmd == "get_version":
            reply = {"STATUS": "S", "When": int(self.clock()), "Code": 131,
                     "Msg": {"api_ver": "3.0.2", "fw_ver": FIRMWARE, "platform": "H616", "chip": "K60"},
                     "Description": ""}
        else:
            reply = {"STATUS": [{"STATUS": "E", "When": int(self.clock()), "Code": 14, "Msg": "invalid cmd",
                                 "Description": ""}], "id": 1}
        return asic.dumps(reply).encode() + b"\0"

    # ---------------------------------------------------------------- 4433
    def answer(self, req):
        if not isinstance(req, dict) or not isinstance(req.get("cmd"), str):
            return self.reply(-1, "invalid request", "")
        cmd = req["cmd"]
        if cmd == "get.miner.status":
            parts = str(req.get("param") or "").split("+")
            if not set(parts) <= {"summary", "edevs", "pools"}:
                return self.reply(-1, "invalid param", cmd)
            return self.reply(0, {p: getattr(self, "status_" + p)() for p in parts}, cmd)
        if cmd == "get.device.info":
            info = self.device_info()
            return self.reply(0, {"salt": self.salt} if req.get("param") == "salt" else info, cmd)
        if cmd.startswith("set."):
            return self.write(cmd, req)
        return self.reply(-1, "invalid command", cmd)

    def reply(self, code, msg, desc):
        return {"code": code, "when": int(self.clock()), "msg": msg, "desc": desc}

    def status_summary(self):
        th = self.total_ghs() / 1000
        return {"elapsed": self.elapsed, "bootup-time": self.elapsed + 101, "freq-avg": 588, "target-freq": 0,
                "factory-hash": 186.0, "hash-average": round(sum(self.rates) / 1000 * (not self.sleeping), 3),
                "hash-1min": round(th, 3), "hash-15min": round(th, 3), "hash-realtime": round(th, 3),
                "power-rate": 18.5, "power-5min": 3390.2, "power-realtime": self.watts(),
                "environment-temperature": 29.4, "board-temperature": [round(t, 1) for t in self.temps],
                "chip-temp-min": round(min(self.temps) + 4, 1), "chip-temp-avg": round(sum(self.temps) / 3 + 11, 1),
                "chip-temp-max": round(max(self.temps) + 19, 1), "power-limit": self.power_limit,
                "up-freq-finish": 1, "fan-speed-in": 0 if self.sleeping else 4680,
                "fan-speed-out": 0 if self.sleeping else 4710}

    def watts(self):
        if self.sleeping:
            return 0
        return min(int(3398 * (0.8 if self.power_mode == "low" else 1.0)), self.power_limit)

    def status_edevs(self):
        return [{"id": i, "slot": i, "hash-average": round(self.board_ghs(i) / 1000, 3), "effective-chips": 172,
                 "chip-temp-min": round(t + 4, 1), "chip-temp-avg": round(t + 11, 1),
                 "chip-temp-max": round(t + 19, 1), "freq": 588} for i, t in enumerate(self.temps)]

    def status_pools(self):
        return [{"id": i + 1, "url": p["pool"], "account": p["worker"], "passwd": p["passwd"],
                 "status": "alive", "stratum-active": i == 0, "pool-priority": i}
                for i, p in enumerate(self.pools)]

    def device_info(self):
        return {"network": {"ip": "127.0.0.1", "proto": "dhcp", "mac": f"C4:09:28:01:00:{self.index % 256:02X}",
                            "hostname": f"WhatsMiner-{self.index:02d}"},
                "miner": {"working": "false" if self.sleeping else "true", "type": "M60S_VK40", "board-num": "3",
                          "detect-hash-rate": "61434:53890:65727", "pool-strategy": "FAILOVER",
                          "miner-sn": f"ZMB1{self.index:04d}"},
                "system": {"api": "3.0.2", "platform": "H616", "fwversion": FIRMWARE, "ledstatus": self.led},
                "power": {"type": "P222C", "mode": self.power_mode, "fanspeed": 6112},
                "salt": self.salt,
                "error-code": [{"531": "2025-03-12 14:52:35", "reason": "Slot1 not found."}, 2010]}

    def write(self, cmd, req):
        ts = req.get("ts")
        digest = hashlib.sha256(f"{cmd}{self.password}{self.salt}{ts}".encode()).digest()
        token = base64.b64encode(digest).decode()[:8]
        if not isinstance(ts, int) or abs(ts - time.time()) > 300 or req.get("token") != token:
            return self.reply(-2, "invalid token", cmd)
        param = req.get("param")
        if cmd == "set.miner.pools":
            try:
                param = decrypt(digest, param)
            except Exception:
                return self.reply(-1, "invalid param", cmd)
        self.commands.append({"cmd": cmd, "param": param})
        if cmd == "set.miner.pools" and isinstance(param, list) and 0 < len(param) <= 3:
            self.pools = [{k: str(p.get(k, "")) for k in ("pool", "worker", "passwd")}
                          for p in param if isinstance(p, dict)]
        elif cmd == "set.miner.power_mode" and param in ("low", "normal", "high"):
            self.power_mode = param
        elif cmd == "set.miner.power_limit" and isinstance(param, int) and 0 <= param <= 99999:
            self.power_limit = param
        elif cmd == "set.system.led" and (param == "auto" or isinstance(param, list)):
            self.led = "auto" if param == "auto" else "manual"
        elif cmd == "set.miner.service" and param in ("restart", "start", "stop"):
            self.sleeping = param == "stop"
            self.restart()
        elif cmd == "set.system.reboot":
            self.restart()
        else:
            return self.reply(-1, "invalid param", cmd)
        return self.reply(0, "ok", cmd)


class FramedConnection(asyncio.Protocol):
    """4433: length-prefixed requests, answered in turn, on a socket left open."""

    def __init__(self, sim):
        self.sim, self.buf = sim, b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        while len(self.buf) >= 4:
            size = int.from_bytes(self.buf[:4], "little")
            if size > 65536:
                self.transport.close()
                return
            if len(self.buf) < 4 + size:
                return
            body, self.buf = self.buf[4:4 + size], self.buf[4 + size:]
            try:
                req = json.loads(body)
            except ValueError:
                req = None
            out = asic.dumps(self.sim.answer(req)).encode()
            self.transport.write(len(out).to_bytes(4, "little") + out)


async def serve(sim, host, rpc_port, v3_port):
    loop = asyncio.get_running_loop()
    return [await asic.serve_rpc(sim, host, rpc_port),
            await loop.create_server(lambda: FramedConnection(sim), host, v3_port, reuse_address=True)]


SIMULATION = asic.family("Whatsminer API v3", "whatsminer3", "m60x", "whatsminer", WhatsminerV3Sim, serve, True, "",
                         "Whatsminer M60S, API v3 (4028 for get_version)",
                         "also N Whatsminer M60S on API v3 (4028, then the framed API on the next port)")
