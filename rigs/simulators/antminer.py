"""A fake Antminer S19 Pro on stock firmware (bmminer "cgminer 1.0.0", Dec-2022 build), after
asic-dialects.md §3.1: RPC on 4028 (read-only for the network: privileged commands answer code 45;
joins refused with code 14; `stats` sent with the missing comma `}{` between its two records; GH/s
fields; `chain_rate N` strings, `""` for the empty fourth slot; `Tenperature`, `Pool Stale%%`) and
the web CGI behind HTTP Digest (realm "antMiner Configuration"): get_system_info, get_miner_conf,
set_miner_conf (answers OK whatever it did; only `miner-mode` takes effect, quirk Q17), blink,
get_blink_status, reboot.
"""

import hashlib
import json
import secrets

from . import DemoRig, asic

REALM = "antMiner Configuration"
VERSION = {"BMMiner": "1.0.0", "API": "3.1", "Miner": "49.0.1.3",
           "CompileTime": "Thu Dec  1 16:26:10 CST 2022", "Type": "Antminer S19 Pro"}
READ_COMMANDS = ("version", "summary", "stats", "pools", "devs")


class AntminerSim(asic.Machine):
    version = VERSION
    def __init__(self, index=0, seed=1, password="root", **kw):
        super().__init__(index, seed, boards=3, rate_ghs=36_600.0, **kw)
        self.password = password
        self.conf = {
            "pools": [{"url": "stratum+tcp://btc.example.org:3333", "user": f"farm.s19x{index:02d}", "pass": "x"},
                      {"url": "stratum+tcp://backup.example.net:443", "user": f"farm.s19x{index:02d}", "pass": "x"},
                      {"url": "", "user": "", "pass": ""}],
            "api-listen": True, "api-network": True, "api-groups": "A:stats:pools:devs:summary:version",
            "api-allow": "A:0/0,W:*", "bitmain-fan-ctrl": False, "bitmain-fan-pwm": "100", "bitmain-use-vil": True,
            "bitmain-freq": "675", "bitmain-voltage": "1360", "bitmain-ccdelay": "0", "bitmain-pwth": "0",
            "bitmain-work-mode": "0", "bitmain-freq-level": "100"}
        self.nonces = set()
        self.writes = []  # what set_miner_conf.cgi received, for the tests

    # ------------------------------------------------------------ RPC on 4028
    def rpc(self, data):
        try:
            req = json.loads(data.decode("utf-8", "replace").strip("\0\n "))
            command = str(req.get("command", ""))
        except ValueError:
            text = data.decode("utf-8", "replace").strip("\0\n ")
            command = text.split("|")[0]
        if "+" in command:  # S19-class bmminer refuses joins (Q10)
            return self.reply({"STATUS": [asic.status("E", 14, "Invalid command", "cgminer 1.0.0")]})
        if command in READ_COMMANDS:
            return getattr(self, "rpc_" + command)()
        if command in ("switchpool", "addpool", "enablepool", "disablepool", "removepool", "restart", "quit",
                       "ascset", "privileged"):
            return self.reply({"STATUS": [asic.status("E", 45, f"Access denied to '{command}' command",
                                                      "cgminer 1.0.0")]})
        return self.reply({"STATUS": [asic.status("E", 14, "Invalid command", "cgminer 1.0.0")]})

    def reply(self, obj, text=None):
        return (text or asic.dumps(obj)).encode() + b"\0"

    def ok(self, code, msg):
        return [asic.status("S", code, msg, "cgminer 1.0.0", self.clock())]

    def rpc_version(self):
        return self.reply({"STATUS": self.ok(22, "CGMiner versions"), "VERSION": [dict(self.version)], "id": 1})

    def rpc_summary(self):
        ghs = self.total_ghs()
        acc = self.accepted()
        rec = {"Elapsed": self.elapsed, "GHS 5s": round(ghs, 2),
               "GHS av": round(sum(self.rates) * (0 if self.sleeping else 1), 2),
               "GHS 30m": round(sum(self.rates) * (0 if self.sleeping else 0.998), 2), "Found Blocks": 0,
               "Getworks": self.elapsed // 30, "Accepted": acc, "Rejected": acc // 400, "Hardware Errors": acc // 900,
               "Utility": round(acc / max(self.elapsed / 60, 1), 2), "Discarded": acc * 3, "Stale": 0,
               "Get Failures": 0, "Local Work": acc * 40, "Remote Failures": 0, "Network Blocks": self.elapsed // 600,
               "Total MH": round(ghs * 1000 * self.elapsed, 0), "Work Utility": round(ghs * 14.3, 2),
               "Difficulty Accepted": acc * 65536.0, "Difficulty Rejected": acc // 400 * 65536.0,
               "Difficulty Stale": 0.0, "Best Share": 8_624_119_033, "Device Hardware%": 0.0001,
               "Device Rejected%": 0.25, "Pool Rejected%": 0.25, "Pool Stale%": 0.0, "Last getwork": int(self.clock())}
        return self.reply({"STATUS": self.ok(11, "Summary"), "SUMMARY": [rec], "id": 1})

    def flat_stats(self):
        s = {"STATS": 0, "ID": "BC50", "Elapsed": self.elapsed, "Calls": 0, "Wait": 0.0, "Max": 0.0,
             "Min": 99999999.0, "GHS 5s": f"{self.total_ghs():.2f}", "GHS av": round(sum(self.rates), 2),
             "rate_30m": round(sum(self.rates) * 0.998, 2), "Mode": 2, "miner_count": 3, "frequency": 675,
             "fan_num": 4}
        rpm = 1800 if self.sleeping else 5520
        for i in range(1, 5):
            s[f"fan{i}"] = rpm + 40 * i
        s["temp_num"] = 3
        for i in range(3):
            s[f"temp{i + 1}"] = int(self.temps[i])
        for i in range(3):
            s[f"temp2_{i + 1}"] = int(self.temps[i]) + 15
        s.update({"total_rateideal": 110_000.0, "rate_unit": "GH", "total_freqavg": 675, "total_acn": 342,
                  "total_rate": round(self.total_ghs(), 2), "temp_max": int(max(self.temps)) + 15,
                  "no_matching_work": 0})
        for n in range(1, 5):
            present = n <= 3
            t = int(self.temps[n - 1]) if present else 0
            s[f"chain_acn{n}"] = 114 if present else 0
            s[f"chain_acs{n}"] = " ".join(["oooooooo"] * 14 + ["oo"]) if present else ""
            s[f"chain_hw{n}"] = self.accepted() // 2700 if present else 0
            s[f"chain_rate{n}"] = f"{self.board_ghs(n - 1):.2f}" if present else ""
            s[f"freq{n}"] = 675 if present else 0
            s[f"temp_pcb{n}"] = f"{t - 20}-{t - 22}-{t - 6}-{t - 8}" if present else "0-0-0-0"
            s[f"temp_chip{n}"] = f"{t - 5}-{t - 7}-{t + 9}-{t + 7}" if present else "0-0-0-0"
            s[f"temp_pic{n}"] = f"{t - 20}-{t - 22}-{t - 6}-{t - 8}" if present else "0-0-0-0"
        s["miner_version"] = "49.0.1.3"
        s["miner_id"] = f"80108c4c7b10{self.index:04x}"
        return s

    def rpc_stats(self):
        # bmminer leaves out the comma between the two STATS records (quirk Q2)
        head = asic.dumps({"STATUS": self.ok(70, "CGMiner stats")})[:-1]
        text = (f'{head},"STATS":[{asic.dumps(dict(self.version))}{asic.dumps(self.flat_stats())}],"id":1}}')
        return self.reply(None, text)

    def rpc_pools(self):
        pools = []
        for i, p in enumerate(x for x in self.conf["pools"] if x["url"]):
            acc = self.accepted() if i == 0 else 0
            pools.append({"POOL": i, "URL": p["url"], "Status": "Alive", "Priority": i, "Quota": 1,
                          "Long Poll": "N", "Getworks": self.elapsed // 30 if i == 0 else 1, "Accepted": acc,
                          "Rejected": acc // 400, "Discarded": acc * 3, "Stale": 0, "Get Failures": 0,
                          "Remote Failures": 0, "User": p["user"], "Last Share Time": "0:00:03" if acc else "0",
                          "Diff": "65.5K", "Diff1 Shares": 0, "Proxy Type": "", "Proxy": "",
                          "Difficulty Accepted": acc * 65536.0, "Difficulty Rejected": acc // 400 * 65536.0,
                          "Difficulty Stale": 0.0, "Last Share Difficulty": 65536.0 if acc else 0.0,
                          "Has Stratum": True, "Stratum Active": i == 0,
                          "Stratum URL": p["url"].split("//")[-1].split(":")[0],
                          "Has GBT": False, "Best Share": 8_624_119_033 if acc else 0, "Pool Rejected%": 0.25,
                          "Pool Stale%%": 0.0})
        return self.reply({"STATUS": self.ok(7, f"{len(pools)} Pool(s)"), "POOLS": pools, "id": 1})

    def rpc_devs(self):
        dev = {"ASC": 0, "Name": "BTM_SOC", "ID": 0, "Enabled": "Y", "Status": "Alive", "Tenperature": 0.0,
               "MHS av": 0.0, "MHS 5s": 0.0, "MHS 1m": 0.0, "MHS 5m": 0.0, "MHS 15m": 0.0, "Accepted": 0,
               "Rejected": 0, "Hardware Errors": 0, "Utility": 0.0, "Last Share Pool": 0, "Last Share Time": 0,
               "Total MH": 0.0, "Diff1 Work": 0, "Difficulty Accepted": 0.0, "Difficulty Rejected": 0.0,
               "Last Share Difficulty": 0.0, "Last Valid Work": 0, "Device Hardware%": 0.0,
               "Device Rejected%": 0.0, "Device Elapsed": self.elapsed}
        return self.reply({"STATUS": self.ok(9, "1 ASC(s)"), "DEVS": [dev], "id": 1})

    # ------------------------------------------------------------ the web CGI on 80
    def authorized(self, method, target, headers):
        """Whether the request carries a valid Digest answer to one of our nonces."""
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("digest "):
            return False
        f = {}
        for part in auth[7:].split(","):
            k, _, v = part.strip().partition("=")
            f[k.lower()] = v.strip('"')
        if f.get("nonce") not in self.nonces or f.get("username") != "root" or f.get("uri") != target:
            return False

        def md5(t):
            return hashlib.md5(t.encode()).hexdigest()

        ha1, ha2 = md5(f"root:{REALM}:{self.password}"), md5(f"{method}:{target}")
        want = md5(f"{ha1}:{f['nonce']}:{f.get('nc', '')}:{f.get('cnonce', '')}:{f.get('qop', '')}:{ha2}")
        return secrets.compare_digest(want, f.get("response", ""))

    def web(self, method, target, headers, body, peer):
        path = target.split("?")[0]
        if not path.startswith("/cgi-bin/"):
            return asic.http_reply(404, b"Not Found")
        if not self.authorized(method, target, headers):
            nonce = secrets.token_hex(16)
            self.nonces.add(nonce)
            return asic.http_reply(401, b"401 Unauthorized", (
                f'WWW-Authenticate: Digest realm="{REALM}", nonce="{nonce}", qop="auth"',))
        name = path[len("/cgi-bin/"):]
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        if name == "get_system_info.cgi":
            return asic.http_reply(200, {"minertype": "Antminer S19 Pro", "nettype": "DHCP", "netdevice": "eth0",
                                         "macaddr": f"02:00:00:00:{self.index // 256:02x}:{self.index % 256:02x}",
                                         "hostname": f"Antminer-{self.index:02d}", "ipaddress": "127.0.0.1",
                                         "system_mode": "GNU/Linux", "system_kernel_version": "Linux 4.9.38",
                                         "system_filesystem_version": "Thu Dec  1 16:26:10 CST 2022",
                                         "firmware_type": "Release", "serinum": f"JYZZB4UBBJAJB{self.index:04d}"})
        if name == "get_miner_conf.cgi":
            return asic.http_reply(200, self.conf)
        if name == "get_blink_status.cgi":
            return asic.http_reply(200, {"blink": self.led})
        if method != "POST":
            return asic.http_reply(405 if name in ("set_miner_conf.cgi", "blink.cgi", "reboot.cgi") else 404)
        if name == "set_miner_conf.cgi":
            if not isinstance(data, dict):
                return asic.http_reply(200, {"stats": "error", "code": "M001", "msg": "Invalid JSON"})
            self.writes.append(data)
            self.apply(data)
            return asic.http_reply(200, {"stats": "success", "code": "M000", "msg": "OK!"})
        if name == "blink.cgi":
            self.led = isinstance(data, dict) and str(data.get("blink")).lower() == "true"
            return asic.http_reply(200, {"code": "B000" if self.led else "B100"})
        if name == "reboot.cgi":
            self.restart()
            return asic.http_reply(200, {"stats": "success", "code": "R000", "msg": "rebooting"})
        return asic.http_reply(404, b"Not Found")

    def apply(self, data):
        """set_miner_conf.cgi: pools are taken; the work mode only through `miner-mode` (asic-rs #245)."""
        pools = data.get("pools")
        if isinstance(pools, list) and pools and all(isinstance(p, dict) for p in pools):
            slots = [{"url": str(p.get("url", "")), "user": str(p.get("user", "")), "pass": str(p.get("pass", ""))}
                     for p in pools[:3]]
            self.conf["pools"] = slots + [{"url": "", "user": "", "pass": ""}] * (3 - len(slots))
            self.restart()
        mode = data.get("miner-mode")
        if str(mode) in ("0", "1", "2", "3"):
            self.sleeping = str(mode) == "1"
            self.conf["bitmain-work-mode"] = str(mode)
            self.restart()


async def serve(sim, host, rpc_port, web_port):
    """Serve one fake Antminer: RPC on rpc_port, web CGI on web_port."""
    return [await asic.serve_rpc(sim, host, rpc_port), await asic.serve_web(sim.web, host, web_port)]


def demo():
    return [DemoRig("s19pro", dict(kind="antminer", username="root", token=secrets.token_urlsafe(12),
                                   description="simulated Antminer S19 Pro, stock firmware"),
                    ports=("port", "web_port"))]


SIMULATION = asic.family("Antminer", "antminer", "s19x", "antminer", AntminerSim, serve, True, "root",
                         "Antminer S19 Pro",
                         "also N Antminer S19 Pro (stock firmware): RPC and web CGI on two ports each",
                         demo=demo, serve_demo=asic.serving(AntminerSim, serve))
