"""A fake AvalonMiner 1566 (Canaan cgminer 4.11.1, firmware 24102401_25462b2_9ddf522), after the
captured replies in pyasic's tests and asic-dialects.md §3.6: `version` with `PROD`/`MODEL`, `devs` with
its one AVA10 device at -273 °C, `pools`, `stats` whose `MM ID0` string carries the machine in
`Key[value]` tokens (per-chip `PVT_T`/`PVT_V` lists included), `estats` the same; `ascset|0,...` without
auth (reboot, led, softoff answering `I` code 118, softon closing without a reply); one connection at a
time (a second one is closed unanswered). Where the captures show no `inf`, this simulator puts one bare
in `stats` `Max` (quirk Q5), and can start a reply with a comma (`leading_comma`).

The 1566 has no hash board sensor: `Temp` is its controller's, `MTmax`/`TMax` its chips' maxima and `MTavg`/`TAvg`
their means. ``model="mini3"`` is an Avalon Mini 3 instead (firmware 25011701, after pyasic issue #312's replies):
one board with its own sensor `HBTemp`, the air in and out as `ITemp`/`OTemp`, `LVERSION` instead of `VERSION`,
and the wall power as `PS[6]` with no `WALLPOWER`.
"""

import asyncio
import json

from . import asic

VERSION = {"CGMiner": "4.11.1", "API": "3.7", "STM8": "20.08.01", "PROD": "AvalonMiner 15-194", "MODEL": "15-194",
           "HWTYPE": "MM4v2_X3", "SWTYPE": "MM319", "VERSION": "24102401_25462b2_9ddf522", "LOADER": "d0d779de.00",
           "DNA": "020100008c699117", "MAC": "123456789012", "UPAPI": "2"}
MINI3_VERSION = {"CGMiner": "4.11.1", "API": "3.7", "PROD": "Avalon Mini3", "MODEL": "Mini3", "HWTYPE": "M_MM1v1_X1",
                 "SWTYPE": "MM319", "LVERSION": "25011701_3f53b19", "BVERSION": "25011701_3f53b19",
                 "CGVERSION": "25011701_3f53b19", "MCUVERSION": "Mini3_hb_v1.0", "DNA": "020100008644e532",
                 "MAC": "e0e1a93e2c7d"}
DESC = "cgminer 4.11.1"


class AvalonSim(asic.Machine):
    def __init__(self, index=0, seed=1, leading_comma=False, model="1566", **kw):
        mini3 = model == "mini3"
        super().__init__(index, seed, boards=1 if mini3 else 3, rate_ghs=37_500.0 if mini3 else 61_000.0, **kw)
        self.led, self.leading_comma, self.busy, self.model = False, leading_comma, 0, model
        self.softoff_stays = False

    def st(self, letter, code, msg):
        return [asic.status(letter, code, msg, DESC, self.clock())]

    def rpc(self, data):
        try:
            req = json.loads(data.decode("utf-8", "replace").strip("\0\n "))
            cmd, param = str(req.get("command", "")), req.get("parameter")
        except (ValueError, AttributeError):
            text = data.decode("utf-8", "replace").strip("\0\n ")
            cmd, _, param = text.partition("|")
        if cmd == "ascset":
            return self.ascset(str(param or ""))
        if cmd == "restart":
            self.restart()
            return self.wire({"STATUS": "RESTART"})
        parts = cmd.split("+")
        if any(p not in ("version", "summary", "devs", "pools", "stats", "estats") for p in parts):
            return self.wire({"STATUS": self.st("E", 14, "Invalid command"), "id": 1})
        if len(parts) > 1:
            return self.wire({**{p: [self.answer(p)] for p in parts}, "id": 1})
        return self.wire(self.answer(cmd))

    def wire(self, obj):
        text = asic.dumps(obj).replace('"Max":0.0', '"Max":inf', 1)  # only `stats` has it
        if self.leading_comma:
            text = "," + text[1:]
        return text.encode() + b"\0"

    def answer(self, cmd):
        return getattr(self, "read_" + ("stats" if cmd == "estats" else cmd))()

    def read_version(self):
        version = MINI3_VERSION if self.model == "mini3" else VERSION
        return {"STATUS": self.st("S", 22, "CGMiner versions"), "VERSION": [dict(version)], "id": 1}

    def read_summary(self):
        mhs, acc = self.total_ghs() * 1000, self.accepted()
        return {"STATUS": self.st("S", 11, "Summary"), "SUMMARY": [{
            "Elapsed": self.elapsed, "MHS av": round(sum(self.rates) * 1000 * (not self.sleeping), 2),
            "MHS 30s": round(mhs, 2), "MHS 1m": round(mhs, 2), "MHS 5m": round(mhs, 2), "MHS 15m": round(mhs, 2),
            "Found Blocks": 0, "Getworks": self.elapsed // 36, "Accepted": acc, "Rejected": acc // 150,
            "Hardware Errors": 0, "Utility": round(acc / max(self.elapsed / 60, 1), 2), "Discarded": 0, "Stale": 0,
            "Get Failures": 0, "Local Work": acc * 70, "Remote Failures": 0, "Network Blocks": 2,
            "Total MH": round(mhs * self.elapsed), "Work Utility": round(mhs / 70, 2),
            "Difficulty Accepted": acc * 262144.0, "Difficulty Rejected": acc // 150 * 262144.0,
            "Difficulty Stale": 0.0, "Best Share": 19649871, "Device Hardware%": 0.0, "Device Rejected%": 0.6275,
            "Pool Rejected%": 0.6711, "Pool Stale%": 0.0, "Last getwork": int(self.clock())}], "id": 1}

    def read_devs(self):
        mhs = self.total_ghs() * 1000
        return {"STATUS": self.st("S", 9, "1 ASC(s)"), "DEVS": [{
            "ASC": 0, "Name": "AVA10", "ID": 0, "Enabled": "Y", "Status": "Alive", "Temperature": -273.0,
            "MHS av": round(sum(self.rates) * 1000, 2), "MHS 30s": round(mhs, 2), "MHS 1m": round(mhs, 2),
            "Accepted": self.accepted(), "Rejected": self.accepted() // 150, "Hardware Errors": 0,
            "Device Elapsed": self.elapsed}], "id": 1}

    def read_pools(self):
        acc = self.accepted()
        pools = [{"POOL": i, "URL": f"stratum+tcp://stratum.pool.example:{3333 + i}", "Status": "Alive", "Priority": i,
                  "Quota": 1, "Long Poll": "N", "Getworks": self.elapsed // 36 if i == 0 else 1,
                  "Accepted": acc if i == 0 else 0, "Rejected": acc // 150 if i == 0 else 0,
                  "Works": acc * 70 if i == 0 else 0,
                  "Discarded": 0, "Stale": 0, "Get Failures": 0, "Remote Failures": 0,
                  "User": f"farm.ava{self.index:02d}", "Last Share Time": int(self.clock()) - 11 if i == 0 else 0,
                  "Diff1 Shares": 0, "Proxy Type": "", "Proxy": "",
                  "Difficulty Accepted": acc * 262144.0 if i == 0 else 0.0,
                  "Difficulty Rejected": 0.0, "Difficulty Stale": 0.0,
                  "Last Share Difficulty": 262144.0 if i == 0 else 0.0,
                  "Work Difficulty": 262144.0, "Has Stratum": True, "Stratum Active": i == 0,
                  "Stratum URL": "stratum.pool.example", "Stratum Difficulty": 262144.0, "Has Vmask": True,
                  "Has GBT": False, "Best Share": 19649871 if i == 0 else 0, "Pool Rejected%": 0.6711,
                  "Pool Stale%": 0.0, "Bad Work": 2, "Current Block Height": 882588,
                  "Current Block Version": 536870912} for i in range(3)]
        return {"STATUS": self.st("S", 7, "3 Pool(s)"), "POOLS": pools, "id": 1}

    def mm_id0(self):
        if self.model == "mini3":
            return self.mini3_mm_id0()
        boards = [self.board_ghs(i) for i in range(3)]
        tmax = [int(t) + 8 for t in self.temps]
        tavg = [int(t) for t in self.temps]
        watts = 0 if self.sleeping else 3526
        pvt = " ".join(f"{int(self.temps[0]) - 4 + (i * 7) % 9:3d}" for i in range(160))
        status = "Work: In Idle" if self.sleeping else "Work: In Work"
        return (f"Ver[15-194-24102401_25462b2_9ddf522] DNA[020100008c699117] MEMFREE[1392832.1381104] "
                f"NETFAIL[0 0 0 0 0 0 0 0] SYSTEMSTATU[{status}, Hash Board: 3 ] Elapsed[{self.elapsed}] "
                f"BOOTBY[0x04.00000000] LW[714031] MH[0 0 0] DHW[0] HW[0] DH[1.299%] Temp[31] TMax[{max(tmax)}] "
                f"TAvg[{sum(tavg) // 3}] Fan1[{0 if self.sleeping else 4275}] Fan2[{0 if self.sleeping else 4282}] "
                f"FanR[49%] Vo[296] PS[0 1209 1187 297 {watts} 1188 {watts + 205 if watts else 0}] "
                f"WALLPOWER[{watts + 205 if watts else 0}] PLL0[3346 2549 4722 13703] "
                f"GHSspd[{sum(boards):.2f}] DHspd[1.299%] GHSmm[201920.42] GHSavg[{sum(self.rates):.2f}] "
                f"WU[2570548.05] Freq[345.94] Led[{int(self.led)}] MGHS[{' '.join(f'{b:.2f}' for b in boards)}] "
                f"MTmax[{' '.join(map(str, tmax))}] MTavg[{' '.join(map(str, tavg))}] MVavg[285.7 286.3 285.8] "
                f"TA[480] Core[A3197S] PING[131] POWS[0] EEPROM[160 160 160] HASHS[0 0 0] POOLS[0] "
                f"SoftOFF[{int(self.sleeping)}] ECHU[0 0 0] ECMM[0] PVT_T0[{pvt}] PVT_T1[{pvt}] PVT_T2[{pvt}] "
                f"CRC[0 0 0] COMCRC[0 0 0] FACOPTS0[] ATAOPTS0[--avalon10-freq 240:258:279:300 "
                f"--avalon10-voltage-level 1180 --hash-asic 160] ADJ[1] COP[0 0 0] MPO[3515] MVL[87] WORKMODE[1]")

    def mini3_mm_id0(self):
        """The Mini 3's string: its tokens up to PS as pyasic #312's reply, the rest as the same firmware family
        writes them (the Avalon Q's reply, Canaan's avalon_api_stats)."""
        ghs, board = self.board_ghs(0), int(self.temps[0]) + 10  # the board near its target TarT[75]
        idle = self.sleeping
        ps = "0 1210 4 0 0 2085 0" if idle else "0 1210 2083 37 760 2085 824"
        return (f"HashStatus[{int(not idle)}] Ver[Mini3-25011701_3f53b19] LVer[25011701_3f53b19] "
                f"BVer[25011701_3f53b19] Mcu0Ver[Mini3_hb_v1.0] FW[Release] DNA[020100008644e532] MEMFREE[64584] "
                f"NETFAIL[0 0 0 0 0 0 0 0] SYSTEMSTATU[Work: In {'Idle' if idle else 'Work'}, Hash Board: 1] "
                f"Elapsed[{self.elapsed}] BOOTBY[0x02.00000000] LW[25418634] MH[62] DHW[0] HW[62] DH[1.768%] "
                f"ITemp[39] OTemp[{50 if idle else 63}] HBTemp[{board}] TMax[{0 if idle else board + 11}] "
                f"TAvg[{0 if idle else board + 7}] TarT[75] Fan1[{0 if idle else 3000}] FanR[{0 if idle else 100}%] "
                f"PS[{ps}] PCOMM_E[0] GHSspd[{ghs:.2f}] DHspd[1.768%] GHSmm[40142.64] GHSavg[{self.rates[0]:.2f}] "
                f"WU[524301.12] Freq[271.37] MGHS[{self.rates[0]:.2f}] TA[120] Core[A3197S] BIN[36] PING[52] "
                f"SoftOFF[{4 if idle else 0}] ECHU[0] ECMM[0] PLL0[5210 4011 3876 3623] SF0[252 270 291 312] CRC[0] "
                f"COMCRC[0] ATA0[800-75-2085-252-20] LcdOnoff[1] Activation[0] WORKMODE[2] WORKLEVEL[0] MPO[800] "
                f"CALIALL[7] ADJ[1]")

    def read_stats(self):
        return {"STATUS": self.st("S", 70, "CGMiner stats"), "STATS": [
            {"STATS": 0, "ID": "AVALON0" if self.model == "mini3" else "AVA100", "Elapsed": self.elapsed, "Calls": 0,
             "Wait": 0.0, "Max": 0.0,
             "Min": 99999999.0, "MM ID0": self.mm_id0(), "MM Count": 1, "Smart Speed": 1,
             "Voltage Level Offset": 0, "Nonce Mask": 25},
            {"STATS": 1, "ID": "POOL0", "Elapsed": self.elapsed, "Calls": 0, "Wait": 0.0, "Max": 0.0,
             "Min": 99999999.0, "Pool Calls": 0, "Pool Attempts": 0, "Pool Wait": 0.0}], "id": 1}

    def ascset(self, param):
        args = param.split(",")
        if args[:1] != ["0"] or len(args) < 2:
            return self.wire({"STATUS": self.st("E", 120, "Missing ASC parameter"), "id": 1})
        sub = args[1]
        if sub == "reboot":
            self.restart()
            return self.wire({"STATUS": self.st("S", 119, "ASC 0 set OK"), "id": 1})
        if sub == "led" and len(args) > 2 and args[2] in ("1-1", "1-0"):
            self.led = args[2] == "1-1"
            return self.wire({"STATUS": self.st("S", 119, "ASC 0 set OK"), "id": 1})
        if sub == "softoff" and len(args) > 2:
            self.sleeping = True
            return self.wire({"STATUS": self.st("I", 118, f"ASC 0 set info: success softoff:{args[2]}"), "id": 1})
        if sub == "softon" and len(args) > 2:
            self.sleeping = self.softoff_stays  # a test's Avalon that ignores it
            return None  # closes without a reply (Q18)
        return self.wire({"STATUS": self.st("E", 121, "ASC 0 set failed: unknown option"), "id": 1})


class OneAtATime(asic.RpcConnection):
    """Avalons serve one connection at a time: another one meanwhile is closed unanswered."""

    def connection_made(self, transport):
        super().connection_made(transport)
        self.refused = self.sim.busy > 0
        self.sim.busy += 1
        if self.refused:
            transport.close()

    def data_received(self, data):
        if not self.refused:
            super().data_received(data)

    def connection_lost(self, exc):
        self.sim.busy -= 1


async def serve(sim, host, port):
    loop = asyncio.get_running_loop()
    return [await loop.create_server(lambda: OneAtATime(sim), host, port, reuse_address=True)]


SIMULATION = asic.family("Avalon", "avalon", "ava", "avalon", AvalonSim, serve, False, "", "AvalonMiner 1566",
                         "also N AvalonMiner 1566")
