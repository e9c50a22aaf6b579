"""The privileged commands: each checks its parameter as the miner does, changes the rig's state
and answers with the miner's STATUS code; and the table of every command the rig knows."""

from rigs.drivers.cgminer.protocol import split_escaped, unescape

from .records import device_record
from .reports import (
    _int,
    cmd_coin,
    cmd_config,
    cmd_devdetails,
    cmd_devs,
    cmd_notify,
    cmd_pools,
    cmd_privileged,
    cmd_procs,
    cmd_stats,
    cmd_summary,
    cmd_usbstats,
    cmd_version,
)


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
        return {"STATUS": rig.status(code, d["id"]), kind: [device_record(rig, d)]}
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


def cmd_check(rig, param):
    if not param:
        return {"STATUS": rig.status(71)}
    exists = param in COMMANDS and (param != "procs" or rig.flavour == "bfgminer")  # bfgminer's own
    access = exists and rig.allowed(param)
    return {"STATUS": rig.status(72),
            "CHECK": [{"Exists": "Y" if exists else "N", "Access": "Y" if access else "N"}]}


COMMANDS = {
    "version": cmd_version, "config": cmd_config, "summary": cmd_summary, "pools": cmd_pools,
    "devs": cmd_devs, "edevs": cmd_devs, "procs": cmd_procs, "notify": cmd_notify, "devdetails": cmd_devdetails,
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
