"""Avalon (Canaan's cgminer 4.11.1 fork) on TCP 4028 (research: asic-dialects.md §3.6).

Reads: `version` (`PROD`, `MODEL`), `summary`, `pools`, and `stats`, whose `MM ID0` string holds the
machine as `Key[value]` tokens (`GHSspd`, `GHSmm`, `MGHS[b0 b1 b2]` in GH/s, the chips' `TMax`/`Tmax` and
`MTmax`, the hash boards' `HBTemp`/`HBITemp`/`HBOTemp` (see temperatures()), `Fan1..4`, `WALLPOWER`
or the watts of `PS[...]` (see power()), `SYSTEMSTATU`...); newer units write
it as `MM ID0:Summary`. Boards come from those lists (the single `devs` device says -273 °C). Writes
go to the same port without any password: `ascset|0,<sub>,<args>` (reboot, LED, soft off/on), success
being `S` or `I`; `softon` may close without answering. Avalons answer one connection at a time: a
command that meets a poll is tried again once.
"""

import asyncio
import re
import time
from typing import Any, Unpack

from . import asic, cgminer, curtailing
from .cgminer import client
from .described import CURTAIL as CURTAIL_COMMAND
from .described import RESUME, Command, Curtailing, Param
from .errors import NoReplyError, RigError
from .interface import Access, Limits, Outcome, Rig, Sections, Statuses

KIND = "avalon"
LABEL = "Avalon (Canaan cgminer)"
FIELDS = ("host", "port")
NEEDS_SECRET = False  # no password: its API port takes commands from anyone who reaches it
access_denied = cgminer.access_denied  # it answers on the cgminer API: its access-denied rule
ABOUT = ("Avalon: rates from `summary` (MH/s) and per board from `stats` `MM ID0` (`MGHS`, GH/s), boards' "
         "temperatures from `HBTemp` or `HBITemp`/`HBOTemp` where the model sends them, chips' from `MTmax`/`TMax`, "
         "power from `WALLPOWER` (or `PS`), fans from `Fan1..4`; the AVALON section lists the other `MM ID0` "
         "values. Controls (reboot, LED, soft off/on, restart) go to its API port, which asks no password: "
         "anyone who reaches the port can send them. Pools are changed on its web page.")
COMMANDS = (
    Command("softpower", "Soft off / on", "miner", (
        Param("action", "choice", "Action", choices=(("off", "Soft off (stop hashing)"), ("on", "Soft on"))),),
        dangerous=True, help="Stops or restarts hashing without cutting the power supply."),
    CURTAIL_COMMAND,
    RESUME,
    asic.IDENTIFY,
    asic.RESTART,
    asic.REBOOT,
)
CURTAIL = Curtailing(
    sleep="soft off (`ascset|0,softoff,1:<now>`): the hash boards stop, the power supply stays on; Resume sends "
          "soft on (`softon`, which closes the connection without answering).",
    reads_back="`stats` MM ID0 `SoftOFF` (0 while hashing; 4 and SYSTEMSTATU \"Work: In Idle\" on a soft-off Avalon Q, "
               "tests/fixtures/real/avalon/asic-rs-avalonq-25052801).")
POLL_COMMANDS = ["version", "summary", "pools", "stats"]
_TOKEN = re.compile(r"(\w+)\[([^\]]*)\]")
LONG = re.compile(r"(PVT_[TV]\d+|MW\d*|SF\d+|PLL\d+|ATAOPTS\d+|FACOPTS\d+|ATABD\d+)\Z")


def tokens(text):
    """{key: value} of an `MM ID0` string; the first spelling of a key wins."""
    out: dict[str, str] = {}
    for key, value in _TOKEN.findall(str(text or "")):
        out.setdefault(key, value.strip())
    return out


def numbers(value):
    return [asic.num(v) for v in str(value or "").split()]


def mm_record(stats):
    for rec in stats or []:
        if isinstance(rec, dict):
            for key in ("MM ID0", "MM ID0:Summary"):
                if isinstance(rec.get(key), str):
                    return tokens(rec[key])
    return {}


def power(mm):
    """The machine's watts: `WALLPOWER` where the firmware writes it; else from `PS[...]`, whose layout depends on
    the model. Canaan's A10 manual: PS[err vctl vhash amps watts vset], the fifth the hash boards' output; newer
    firmwares add a seventh, the wall (the 1566's equals its WALLPOWER; the Nano 3s source calls it "poutwall"),
    which Mini 3, Q and Nano 3s send without WALLPOWER. The Nano 3 (non-S) sends PS[err 0 0 amps cV watts ?]:
    PS[4] 2792 is 27.92 V, PS[5] the watts, taken only when the truncated amps agree with them. None otherwise."""
    wall = asic.num(mm.get("WALLPOWER"))
    if wall:
        return wall
    ps = numbers(mm.get("PS"))
    if str(mm.get("Ver", "")).lower().startswith("nano3-"):
        amps, volts, watts = (ps[3], ps[4], ps[5]) if len(ps) > 5 else (None, None, None)
        if amps is not None and volts and watts and amps <= watts / (volts / 100) < amps + 1:
            return watts
        return None
    if len(ps) >= 7:
        return ps[6]
    return ps[4] if len(ps) == 6 else None


BOARD_SENSORS = ("HBTemp", "HBITemp", "HBOTemp")  # the hash boards' own sensors (Mini 3; Q: inlet and outlet)


def temperatures(mm, count):
    """(board temps, chip temps) per board, and the machine's (hottest board, hottest chip). Boards come from the
    hash boards' sensors where the model sends them (`HBTemp`, `HBITemp`/`HBOTemp`); the 1566 and the Nano 3 send
    none (their `Temp` is the controller's, `OTemp` the air outlet). `MTmax[...]` is each board's hottest chip
    and `TMax` the machine's (Canaan's get_miner_temp_max / m_temp_summax: chips); `MTavg`/`TAvg` are chip means,
    never the board. A sensor reading 0 (a soft-off Q's TMax[0]) is no reading."""
    sensors = [numbers(mm.get(k)) for k in BOARD_SENSORS]
    chips = numbers(mm.get("MTmax"))
    if count == 1 and not chips:
        chips = [asic.num(mm.get("TMax", mm.get("Tmax")))]
    boards = [asic.hottest(*(s[i] for s in sensors if i < len(s))) for i in range(count)]
    chips = [asic.hottest(chips[i]) if i < len(chips) else None for i in range(count)]
    board = asic.hottest(*(t for s in sensors for t in s))  # also where no MGHS lists the boards
    chip = asic.hottest(*chips, asic.num(mm.get("TMax", mm.get("Tmax"))))
    return boards, chips, board, chip


def to_sections(sections):
    mm = mm_record(sections.get("STATS"))
    summary = dict(asic.first(sections.get("SUMMARY")))
    summary.update({**asic.rates(mm, "G", {"GHSspd": "MHS 5s", "GHSavg": "MHS av"}), **summary})  # without summary
    rates, volts = numbers(mm.get("MGHS")), numbers(mm.get("MVavg"))
    boards, chips, board, chip = temperatures(mm, len(rates))
    devs = [asic.board(i, asic.mhs(r, "G"), "AVA", boards[i], chips[i],
                       {"Voltage": volts[i] if i < len(volts) else None})
            for i, r in enumerate(rates)]
    watts = power(mm)
    fans = asic.fans((i, asic.num(mm.get(f"Fan{i}"))) for i in range(1, 5))
    return asic.mapped(sections, summary, devs, {
        "Temperature": board, "Chip Temp": chip,
        "Ambient Temp": asic.hottest(asic.num(mm.get("Temp", mm.get("ITemp")))), "Power": watts,
        "Efficiency J/TH": asic.efficiency(watts, asic.num(summary.get("MHS 1m")) or asic.num(summary.get("MHS av"))),
        "Nominal MHS": asic.mhs(mm.get("GHSmm"), "G"), "Power Limit": asic.num(mm.get("MPO")),
        "Work Mode": mm.get("WORKMODE"), "System Status": mm.get("SYSTEMSTATU"), "Boards": len(devs)},
        FANS=fans, AVALON=[{k: v for k, v in mm.items() if not LONG.match(k)}] if mm else [])


async def poll(rig: Rig, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]:
    return await asic.poll(rig, POLL_COMMANDS, to_sections, **limits)


async def ascset(rig, args, **limits):
    """One `ascset|0,...`, tried again once when the Avalon is busy with another connection."""
    for attempt in (1, 2):
        try:
            return await client.call(rig.host, rig.port, "ascset", f"0,{args}", **limits)
        except NoReplyError:
            if attempt == 2 or args.startswith("softon"):
                raise
            await asyncio.sleep(0.3)


async def command(rig: Rig, name: str, values: dict[str, Any], **limits: Unpack[Limits]) -> Outcome:
    if name == "curtail":
        return await curtail(rig, values.get("how") or "", values.get("value"), **limits)
    if name == "resume":
        return await resume(rig, **limits)
    if name == "restart":
        reply = await client.call(rig.host, rig.port, "restart", **limits)
        return ("S", "cgminer is restarting.") if reply.ok else ("E", reply.msg[:200])
    if name == "softpower":
        sub = "softoff" if values.get("action") == "off" else "softon"
        try:
            reply = await ascset(rig, f"{sub},1:{int(time.time())}", **limits)
        except NoReplyError:  # as it does for soft on (Q18): its stats tell whether it took it
            return await soft_on_read_back(rig, **limits)
    elif name == "identify":
        reply = await ascset(rig, "led,1-1" if values.get("on") else "led,1-0", **limits)
    elif name == "reboot":
        reply = await ascset(rig, "reboot,0", **limits)
    else:
        raise RigError(f"{name} is not an Avalon command")
    if reply.letter in ("S", "I"):  # "ASC 0 set OK" or "ASC 0 set info: success ..." (Q9)
        return "S", reply.msg[:200], reply.code
    return "E", reply.msg[:200] or "the Avalon refused it", reply.code


async def soft_on_read_back(rig, **limits):
    """After a soft on that closed without answering: `stats` says whether the Avalon left soft off."""
    try:
        sections, _ = await poll(rig, **limits)
    except RigError:
        sections = {}
    if curtailed(sections) is False:
        return "S", "Soft on: the Avalon closed the connection without answering, and its stats say it is on."
    return "W", ("The Avalon closed the connection without answering, as it does for soft on; the next poll shows "
                 "whether it hashes again.")


async def curtail(rig: Rig, how: str, value: str | None = None, **limits: Unpack[Limits]) -> Outcome:
    curtailing.check(LABEL, CURTAIL, how, value)
    return await command(rig, "softpower", {"action": "off"}, **limits)


async def resume(rig: Rig, **limits: Unpack[Limits]) -> Outcome:
    return await command(rig, "softpower", {"action": "on"}, **limits)


def curtailed(sections: Sections, how: str | None = None, value: str | None = None) -> bool | None:
    mm = asic.first(sections.get("AVALON"))
    soft = asic.num(mm.get("SoftOFF"))
    if "In Idle" in str(mm.get("SYSTEMSTATU") or curtailing.summary(sections).get("System Status") or ""):
        return True
    return None if soft is None else soft != 0


async def check_access(rig: Rig, **limits: Unpack[Limits]) -> Access:
    return await asic.access(cgminer.read(rig, ["version"], **limits),
                             "The Avalon's API port takes commands from anyone who reaches it (it has no password).")


async def detect(host: str, port: int, **limits: Unpack[Limits]) -> str | None:
    text = await asic.version_text(host, port, **limits)
    if "AVALON" not in text:
        return None
    # Avalon Q and Nano write their firmware as LVERSION (and cgminer's as CGVERSION), not VERSION
    firmware = asic.probed(text, "VERSION") or asic.probed(text, "LVERSION") or asic.probed(text, "CGVERSION")
    return f"{asic.probed(text, 'PROD') or 'Avalon'} (Canaan cgminer, firmware {firmware.lower()})"
