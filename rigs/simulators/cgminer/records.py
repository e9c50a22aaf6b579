"""The SUMMARY, POOLS and DEVS records of one rig, from its counters, in each flavour's
field names, order and value types (as the real captures have them)."""

import math


def _dev_rates(rig, d, now):
    rate = rig.device_rate(d, now)
    elapsed = max(1.0, now - rig.started)
    return d["total_mh"] / elapsed, rate


def summary_record(rig):
    now = rig.clock()
    elapsed = int(now - rig.started)
    av = sum(_dev_rates(rig, d, now)[0] for d in rig.devices)
    cur = sum(_dev_rates(rig, d, now)[1] for d in rig.devices)
    acc = sum(p["accepted"] for p in rig.pools)
    rej = sum(p["rejected"] for p in rig.pools)
    dacc = sum(p["diff_acc"] for p in rig.pools)
    drej = sum(p["diff_rej"] for p in rig.pools)
    total_mh = sum(d["total_mh"] for d in rig.devices)
    minutes = max(elapsed / 60.0, 1 / 60)
    rejpct = round(100.0 * drej / (dacc + drej), 4) if dacc + drej else 0.0
    diff1 = dacc + drej
    getworks = sum(p["getworks"] for p in rig.pools)
    pool = rig.active_pool()
    common = {
        "Found Blocks": rig.found_blocks, "Getworks": getworks, "Accepted": acc,
        "Rejected": rej, "Hardware Errors": rig.hw, "Utility": round(acc / minutes, 2),
        "Discarded": getworks * 2, "Stale": 0, "Get Failures": 0, "Local Work": getworks * 3,
        "Remote Failures": 0, "Network Blocks": 1 + elapsed // 600,
        "Total MH": round(total_mh, 4),
    }
    if rig.flavour == "bfgminer":
        rec = {"Elapsed": elapsed, "Algorithm": "sse4_64", "MHS av": round(av, 3),
               "MHS 20s": round(cur, 3), **common, "Diff1 Work": diff1,
               "Work Utility": round(diff1 / minutes, 3)}
    elif rig.flavour == "bmminer":
        rec = {"Elapsed": elapsed, "GHS 5s": f"{cur / 1000:.2f}", "GHS av": round(av / 1000, 2),
               **common, "Work Utility": round(diff1 / minutes, 2)}
    else:
        rec = {"Elapsed": elapsed, "MHS av": round(av, 2), "MHS 5s": round(cur, 2),
               "MHS 1m": round(cur * 0.99, 2), "MHS 5m": round(av * 1.01, 2),
               "MHS 15m": round(av, 2), **common, "Work Utility": round(diff1 / minutes, 2)}
        if rig.flavour == "oldcgminer":
            for k in ("MHS 1m", "MHS 5m", "MHS 15m"):
                del rec[k]
    rec.update({
        "Difficulty Accepted": float(dacc), "Difficulty Rejected": float(drej),
        "Difficulty Stale": 0.0 if rig.flavour != "bfgminer" else 0,
        "Best Share": int(rig.best) if rig.flavour != "bfgminer" else round(rig.best, 8),
        "Device Hardware%": 0.0, "Device Rejected%": rejpct,
        "Pool Rejected%": rejpct, "Pool Stale%": 0.0,
        "Last getwork": int(now) if pool else 0,
    })
    return rec


def pool_records(rig):
    active = rig.active_pool()
    out = []
    for i, p in enumerate(rig.pools):
        status = "Disabled" if not p["enabled"] else ("Dead" if p["dead"] else "Alive")
        is_active = p is active
        dsum = p["diff_acc"] + p["diff_rej"]
        rej = round(100.0 * p["diff_rej"] / dsum, 4) if dsum else 0.0
        host = p["url"].split("://")[-1].rsplit(":", 1)[0]
        rec = {"POOL": i, "URL": p["url"], "Status": status, "Priority": p["priority"],
               "Quota": p["quota"]}
        if rig.flavour == "bfgminer":
            rec["Mining Goal"] = "default"
        rec.update({
            "Long Poll": "N", "Getworks": p["getworks"], "Accepted": p["accepted"],
            "Rejected": p["rejected"], "Works": p["getworks"] * 2, "Discarded": p["getworks"],
            "Stale": p["stale"], "Get Failures": 0 if not p["dead"] else 3,
            "Remote Failures": 0, "User": p["user"], "Last Share Time": p["last_share"],
            "Diff1 Shares": p["diff1"],
        })
        if rig.flavour != "bfgminer":
            rec["Proxy Type"] = ""
        rec["Proxy"] = ""
        rec.update({"Difficulty Accepted": p["diff_acc"], "Difficulty Rejected": p["diff_rej"],
                    "Difficulty Stale": 0.0,
                    "Last Share Difficulty": rig.pool_diff if p["last_share"] else 0.0})
        if rig.flavour != "bfgminer":
            rec["Work Difficulty"] = rig.pool_diff if is_active else 0.0
        rec.update({"Has Stratum": True, "Stratum Active": is_active,
                    "Stratum URL": host if is_active else ""})
        if rig.flavour != "bfgminer":
            rec.update({"Stratum Difficulty": rig.pool_diff if is_active else 0.0,
                        "Has Vmask": False, "Has GBT": False})
        rec.update({"Best Share": int(p["best"]) if rig.flavour != "bfgminer" else round(p["best"], 8),
                    "Pool Rejected%": rej, "Pool Stale%": 0.0})
        if rig.flavour != "bfgminer":
            rec.update({"Bad Work": 0, "Current Block Height": 870_000 if is_active else 0,
                        "Current Block Version": 536870912})
        out.append(rec)
    return out


def device_record(rig, d):
    now = rig.clock()
    av, cur = _dev_rates(rig, d, now)
    kind = d["kind"]
    temp = round(d["temp"] + 3 * math.sin(now / 30 + d["id"]), 2) if d["status"] != "Dead" else 0.0
    elapsed = int(now - rig.started)
    minutes = max(elapsed / 60.0, 1 / 60)
    dsum = d["diff_acc"] + d["diff_rej"]
    rejpct = round(100.0 * d["diff_rej"] / dsum, 4) if dsum else 0.0
    last_pool = rig.pools.index(rig.active_pool()) if rig.active_pool() and d["last_share"] else -1
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
                "Difficulty Stale": 0, "Last Share Difficulty": rig.pool_diff if d["last_share"] else 0,
                "Last Valid Work": d["last_share"], "Device Hardware%": 0.0,
                "Device Rejected%": rejpct}
    if kind == "GPU":
        rec = {"GPU": d["id"], "Enabled": enabled, "Status": status, "Temperature": temp,
               "Fan Speed": d["fan"] * 40, "Fan Percent": d["fan"], "GPU Clock": d["engine"],
               "Memory Clock": d["memclock"], "GPU Voltage": d["vddc"],
               "GPU Activity": 99 if cur else 0, "Powertune": 0,
               "MHS av": round(av, 2), "MHS 5s": round(cur, 2), **shares,
               "Intensity": d["intensity"]}
        if rig.flavour == "sgminer":
            rec.update({"XIntensity": 0, "RawIntensity": 0})
        rec.update({"Last Share Pool": last_pool, "Last Share Time": d["last_share"],
                    "Total MH": round(d["total_mh"], 4), "Diff1 Work": dsum,
                    "Difficulty Accepted": d["diff_acc"], "Difficulty Rejected": d["diff_rej"],
                    "Last Share Difficulty": rig.pool_diff if d["last_share"] else 0.0,
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
            "Last Share Difficulty": rig.pool_diff if d["last_share"] else 0.0,
            "No Device": False, "Last Valid Work": d["last_share"],
            "Device Hardware%": 0.0, "Device Rejected%": rejpct, "Device Elapsed": elapsed}
