"""The replies to the report commands (version, summary, pools, devs, ...), from a rig's state."""

from .records import device_record, pool_records, summary_record


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
    return {"STATUS": rig.status(11), "SUMMARY": [summary_record(rig)]}


def cmd_pools(rig, param):
    if not rig.pools:
        return {"STATUS": rig.status(8)}
    return {"STATUS": rig.status(7, len(rig.pools)), "POOLS": pool_records(rig)}


def cmd_devs(rig, param):
    if not rig.devices:
        return {"STATUS": rig.status(10, f"No {rig.kind_word()}s")}
    word = {"ASC": "ASC", "PGA": "PGA", "GPU": "GPU"}[rig.kind_word()]
    return {"STATUS": rig.status(9, f"{len(rig.devices)} {word}(s)"),
            "DEVS": [device_record(rig, d) for d in rig.devices]}


def cmd_procs(rig, param):
    """bfgminer's processors: the DEVS records of `devs` with each one's ProcID after its ID (one processor per
    device here, as the captured CPU device); cgminer and the others have no such command."""
    if rig.flavour != "bfgminer":
        return {"STATUS": rig.status(14)}
    reply = cmd_devs(rig, param)
    procs = []
    for rec in reply.get("DEVS", []):
        proc = {}
        for key, value in rec.items():
            proc[key] = value
            if key == "ID":
                proc["ProcID"] = 0
        procs.append(proc)
    if procs:
        reply["DEVS"] = procs
    return reply


def _dev_name(rig, d):
    return d["name"] or "GPU"


def cmd_notify(rig, param):
    if not rig.devices:
        return {"STATUS": rig.status(10, f"No {rig.kind_word()}s")}
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
        return {"STATUS": rig.status(10, f"No {rig.kind_word()}s")}
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


def cmd_privileged(rig, param):
    return {"STATUS": rig.status(46)}
