"""The built-in pages: miner.php's own ($sys_pages: Summary, Kano, Mobile, Stats, Pools,
DevNot, DevDet, Proto, with their sums and extensions), then the manual's examples
($mobilepage/$mobilesum and the Pools page with $poolsext, the listings' typos fixed), and the
pages the drivers declare for their kinds (``CUSTOM_PAGES``: a pool's, a fleet's). Fields, totals and
the extension as miner.php has them, one per line; the panel's own fields (POOL 'In Use', DEVS
'Late Share') are on Summary."""

from rigs import drivers


def lines(*items):
    return "\n".join(items)


SUMMARY = {
    "name": "Summary", "slug": "summary", "order": 0, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "SUMMARY",
         "fields": lines("#", "Elapsed", "MHS av", "MHS 5m", "Found Blocks=Blks", "Difficulty Accepted=DiffA",
                         "Difficulty Rejected=DiffR", "Difficulty Stale=DiffS", "Hardware Errors=HW",
                         "Work Utility", "Network Blocks=Net Blks", "Total MH", "Best Share",
                         "Device Hardware%=Dev HW%", "Device Rejected%=Dev Rej%", "Pool Rejected%=Pool Rej%",
                         "Pool Stale%", "Last getwork"),
         "totals": lines("MHS av", "MHS 5m", "Found Blocks", "Difficulty Accepted", "Difficulty Rejected",
                         "Difficulty Stale", "Hardware Errors", "Work Utility", "Total MH")},
        {"section": "DEVS",
         "fields": lines("#", "ID", "Name", "ASC", "Device Elapsed", "Enabled", "Status", "No Device",
                         "Temperature=Temp", "MHS av", "MHS 5s", "MHS 5m", "Diff1 Work", "Difficulty Accepted=DiffA",
                         "Difficulty Rejected=DiffR", "Hardware Errors=HW", "Work Utility", "Last Valid Work",
                         "Last Share Pool", "Last Share Time", "Late Share", "Total MH",
                         "Device Hardware%=Dev HW%", "Device Rejected%=Dev Rej%"),
         "totals": lines("MHS av", "MHS 5s", "MHS 5m", "Diff1 Work", "Difficulty Accepted", "Difficulty Rejected",
                         "Hardware Errors", "Total MH")},
        {"section": "POOL",
         "fields": lines("POOL", "In Use", "URL", "Status", "Priority", "Quota", "Getworks", "Diff1 Shares",
                         "Difficulty Accepted=DiffA", "Difficulty Rejected=DiffR", "Difficulty Stale=DiffS",
                         "Last Share Difficulty", "Last Share Time", "Best Share", "Pool Rejected%=Pool Rej%",
                         "Pool Stale%"),
         "totals": lines("Getworks", "Diff1 Shares", "Difficulty Accepted", "Difficulty Rejected",
                         "Difficulty Stale")},
    ],
}

KANO = {
    "name": "Kano", "slug": "kano", "order": 5, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "SUMMARY+COIN",
         "fields": lines("SUMMARY.Elapsed=Elapsed", "GEN.Mined=Block%", "GEN.GHS Acc=GH/s Acc",
                         "GEN.GHS av=GH/s av||SUMMARY.MHS av=MHS av", "GEN.GHS 5m=GH/s 5m||SUMMARY.MHS 5m=MHS 5m",
                         "GEN.GHS WU=GH/s WU||SUMMARY.Work Utility=WU", "SUMMARY.Found Blocks=Blks",
                         "SUMMARY.Difficulty Accepted=DiffA", "SUMMARY.Difficulty Rejected=DiffR",
                         "SUMMARY.Hardware Errors=HW", "SUMMARY.Difficulty Stale=DiffS",
                         "SUMMARY.Best Share=Best Share", "SUMMARY.Device Hardware%=Dev HW%",
                         "SUMMARY.Device Rejected%=Dev Rej%", "SUMMARY.Pool Rejected%=Pool Rej%",
                         "SUMMARY.Pool Stale%=Pool Stale%"),
         "totals": lines("GEN.Mined", "GEN.GHS Acc", "GEN.GHS av", "GEN.GHS 5m", "GEN.GHS WU", "SUMMARY.MHS av",
                         "SUMMARY.MHS 5m", "SUMMARY.Work Utility", "SUMMARY.Found Blocks",
                         "SUMMARY.Difficulty Accepted", "SUMMARY.Difficulty Rejected", "SUMMARY.Hardware Errors",
                         "SUMMARY.Difficulty Stale"),
         "gen": lines("GHS Acc=round(pow(2,32) * SUMMARY.Difficulty Accepted / SUMMARY.Elapsed / 10000000) / 100",
                      "Mined=SUMMARY.Elapsed * SUMMARY.Work Utility / 60 / COIN.Network Difficulty",
                      "GHS av=SUMMARY.MHS av / 1000.0", "GHS 5m=SUMMARY.MHS 5m / 1000.0",
                      "GHS WU=round(pow(2,32) * SUMMARY.Work Utility / 60 / 10000000 ) / 100")},
        {"section": "POOL",
         "fields": lines("URL", "Diff1 Shares=Diff Work", "Difficulty Accepted=DiffA", "Difficulty Rejected=DiffR",
                         "Difficulty Stale=DiffS", "Best Share", "GEN.Acc=Pool Acc%", "GEN.Rej=Pool Rej%"),
         "totals": lines("Diff1 Shares", "Difficulty Accepted", "Difficulty Rejected", "Difficulty Stale"),
         "group": "URL",
         "calc": lines("Diff1 Shares=sum", "Difficulty Accepted=sum", "Difficulty Rejected=sum",
                       "Difficulty Stale=sum", "Best Share=max"),
         "gen": lines("Rej=Difficulty Rejected / max(1,Difficulty Accepted+Difficulty Rejected)",
                      "Acc=Difficulty Accepted / max(1,Difficulty Accepted+Difficulty Rejected)")},
    ],
}

MOBILE = {
    "name": "Mobile", "slug": "mobile", "order": 10, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "SUMMARY",
         "fields": lines("Elapsed", "MHS av", "MHS 5m", "Found Blocks=Blks", "Difficulty Accepted=DiffA",
                         "Difficulty Rejected=DiffR", "Hardware Errors=HW", "Work Utility=WU"),
         "totals": lines("MHS av", "MHS 5m", "Found Blocks", "Difficulty Accepted", "Difficulty Rejected",
                         "Hardware Errors", "Work Utility")},
        {"section": "DEVS+NOTIFY",
         "fields": lines("DEVS.Name=Name", "DEVS.ID=ID", "DEVS.Status=Status", "DEVS.Temperature=Temp",
                         "DEVS.MHS av=MHS av", "DEVS.MHS 5m=MHS 5m", "DEVS.Difficulty Accepted=DiffA",
                         "DEVS.Difficulty Rejected=DiffR", "DEVS.Work Utility=WU", "NOTIFY.Last Not Well=Not Well"),
         "totals": lines("DEVS.MHS av", "DEVS.Difficulty Accepted", "DEVS.Difficulty Rejected")},
        {"section": "POOL",
         "fields": lines("POOL", "Status", "Difficulty Accepted=DiffA", "Difficulty Rejected=DiffR",
                         "Last Share Time=LST"),
         "totals": lines("Difficulty Accepted", "Difficulty Rejected")},
    ],
}

STATS = {
    "name": "Stats", "slug": "stats", "order": 12, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "SUMMARY",
         "fields": lines("Elapsed", "MHS av", "MHS 5m", "Found Blocks=Blks", "Difficulty Accepted=DiffA",
                         "Difficulty Rejected=DiffR", "Work Utility=WU", "Hardware Errors=HW Errs",
                         "Network Blocks=Net Blks"),
         "totals": lines("MHS av", "MHS 5m", "Found Blocks", "Difficulty Accepted", "Difficulty Rejected",
                         "Work Utility", "Hardware Errors")},
        {"section": "COIN", "fields": "*"},
        {"section": "STATS", "fields": "*"},
    ],
}

POOLS = {
    "name": "Pools", "slug": "pools", "order": 20, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "SUMMARY",
         "fields": lines("Elapsed", "MHS av", "MHS 5m", "Found Blocks=Blks", "Difficulty Accepted=DiffA",
                         "Difficulty Rejected=DiffR", "Work Utility", "Hardware Errors=HW",
                         "Network Blocks=Net Blks", "Best Share"),
         "totals": lines("MHS av", "MHS 5m", "Found Blocks", "Difficulty Accepted", "Difficulty Rejected",
                         "Work Utility", "Hardware Errors")},
        {"section": "POOL+STATS",
         "fields": lines("STATS.ID=ID", "POOL.URL=URL", "POOL.Difficulty Accepted=DiffA",
                         "POOL.Difficulty Rejected=DiffR", "POOL.Has Stratum=Stratum", "POOL.Stratum Active=StrAct",
                         "POOL.Has GBT=GBT", "STATS.Times Sent=TSent", "STATS.Bytes Sent=BSent",
                         "STATS.Net Bytes Sent=NSent", "STATS.Times Recv=TRecv", "STATS.Bytes Recv=BRecv",
                         "STATS.Net Bytes Recv=NRecv", "GEN.AvShr=AvShr"),
         "totals": lines("POOL.Difficulty Accepted", "POOL.Difficulty Rejected", "STATS.Times Sent",
                         "STATS.Bytes Sent", "STATS.Net Bytes Sent", "STATS.Times Recv", "STATS.Bytes Recv",
                         "STATS.Net Bytes Recv"),
         "group": lines("POOL.URL", "POOL.Has Stratum", "POOL.Stratum Active", "POOL.Has GBT"),
         "calc": lines("POOL.Difficulty Accepted=sum", "POOL.Difficulty Rejected=sum", "STATS.Times Sent=sum",
                       "STATS.Bytes Sent=sum", "STATS.Net Bytes Sent=sum", "STATS.Times Recv=sum",
                       "STATS.Bytes Recv=sum", "STATS.Net Bytes Recv=sum", "POOL.Accepted=sum"),
         "gen": "AvShr=round(POOL.Difficulty Accepted/max(POOL.Accepted,1)*100)/100",
         "having": "STATS.Bytes Recv > 0"},
    ],
}

DEVNOT = {
    "name": "DevNot", "slug": "devnot", "order": 22, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "DEVS+NOTIFY",
         "fields": lines("DEVS.Name=Name", "DEVS.ID=ID", "DEVS.Temperature=Temp", "DEVS.MHS av=MHS av",
                         "DEVS.Difficulty Accepted=DiffA", "DEVS.Difficulty Rejected=DiffR",
                         "NOTIFY.Last Not Well=Last Not Well"),
         "totals": lines("DEVS.MHS av", "DEVS.Difficulty Accepted", "DEVS.Difficulty Rejected")},
    ],
}

DEVDET = {
    "name": "DevDet", "slug": "devdet", "order": 24, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "DEVS+DEVDETAILS",
         "fields": lines("DEVS.Name=Name", "DEVS.ID=ID", "DEVS.Temperature=Temp", "DEVS.MHS av=MHS av",
                         "DEVS.Difficulty Accepted=DiffA", "DEVS.Difficulty Rejected=DiffR",
                         "DEVDETAILS.Device Path=Device"),
         "totals": lines("DEVS.MHS av", "DEVS.Difficulty Accepted", "DEVS.Difficulty Rejected")},
    ],
}

PROTO = {
    "name": "Proto", "slug": "proto", "order": 26, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "CONFIG",
         "fields": lines("ASC Count=ASCs", "PGA Count=PGAs", "Pool Count=Pools", "Strategy", "Device Code", "OS",
                         "Failover-Only")},
        {"section": "SUMMARY",
         "fields": lines("Elapsed", "MHS av", "Found Blocks=Blks", "Difficulty Accepted=Diff Acc",
                         "Difficulty Rejected=Diff Rej", "Hardware Errors=HW Errs", "Network Blocks=Net Blks",
                         "Utility", "Work Utility"),
         "totals": lines("MHS av", "Found Blocks", "Difficulty Accepted", "Difficulty Rejected", "Hardware Errors",
                         "Utility", "Work Utility")},
        {"section": "POOL+STATS",
         "fields": lines("STATS.ID=ID", "POOL.URL=URL", "POOL.Accepted=Acc", "POOL.Difficulty Accepted=DiffA",
                         "POOL.Difficulty Rejected=DiffR", "POOL.Has GBT=GBT", "STATS.Max Diff=Max Work Diff",
                         "STATS.Times Sent=#Sent", "STATS.Bytes Sent=Byte Sent", "STATS.Net Bytes Sent=Net Sent",
                         "STATS.Times Recv=#Recv", "STATS.Bytes Recv=Byte Recv", "STATS.Net Bytes Recv=Net Recv"),
         "totals": lines("POOL.Accepted", "POOL.Difficulty Accepted", "POOL.Difficulty Rejected", "STATS.Times Sent",
                         "STATS.Bytes Sent", "STATS.Net Bytes Sent", "STATS.Times Recv", "STATS.Bytes Recv",
                         "STATS.Net Bytes Recv"),
         "group": lines("POOL.URL", "POOL.Has GBT"),
         "calc": lines("POOL.Accepted=sum", "POOL.Difficulty Accepted=sum", "POOL.Difficulty Rejected=sum",
                       "STATS.Max Diff=max", "STATS.Times Sent=sum", "STATS.Bytes Sent=sum",
                       "STATS.Net Bytes Sent=sum", "STATS.Times Recv=sum", "STATS.Bytes Recv=sum",
                       "STATS.Net Bytes Recv=sum"),
         "having": "STATS.Bytes Recv > 0"},
    ],
}

MINERPHP = [SUMMARY, KANO, MOBILE, STATS, POOLS, DEVNOT, DEVDET, PROTO]

MANUAL_MOBILE = {
    "name": "Mobile (manual)", "slug": "manual-mobile", "order": 50, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "SUMMARY", "fields": "Elapsed\nMHS av\nFound Blocks=Blks\nAccepted\nRejected=Rej\nUtility",
         "totals": "MHS av\nFound Blocks\nAccepted\nRejected\nUtility"},
        {"section": "DEVS+NOTIFY",
         "fields": "DEVS.Name=Name\nDEVS.ID=ID\nDEVS.Status=Status\nDEVS.Temperature=Temp\nDEVS.MHS av=MHS av\n"
                   "DEVS.Accepted=Accept\nDEVS.Rejected=Rej\nDEVS.Utility=Utility\nNOTIFY.Last Not Well=Not Well",
         "totals": "DEVS.MHS av\nDEVS.Accepted\nDEVS.Rejected\nDEVS.Utility"},
        {"section": "POOL", "fields": "POOL\nStatus\nAccepted\nRejected=Rej\nLast Share Time",
         "totals": "Accepted\nRejected"},
    ],
}

MANUAL_POOLS = {
    "name": "Pools (manual)", "slug": "manual-pools", "order": 51, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "SUMMARY",
         "fields": "Elapsed\nMHS av\nMHS 5m\nFound Blocks=Blks\nAccepted\nRejected=Rej\nUtility\n"
                   "Hardware Errors=HW\nWork Utility\nNetwork Blocks=Net Blks\nTotal MH\nBest Share",
         "totals": "MHS av\nMHS 5m\nFound Blocks\nAccepted\nRejected\nUtility\nHardware Errors\n"
                   "Work Utility\nTotal MH"},
        {"section": "POOL+STATS", "title": "Pools over all rigs",
         "fields": "STATS.ID=ID\nPOOL.URL=URL\nPOOL.Difficulty Accepted=Diff Acc\nPOOL.Difficulty Rejected=Diff Rej\n"
                   "POOL.Has Stratum=Stratum\nPOOL.Stratum Active=StrAct\nPOOL.Has GBT=GBT\nSTATS.Times Sent=TSent\n"
                   "STATS.Bytes Sent=BSent\nSTATS.Net Bytes Sent=NSent\nSTATS.Times Recv=TRecv\n"
                   "STATS.Bytes Recv=BRecv\nSTATS.Net Bytes Recv=NRecv\nGEN.AvShr=AvShr",
         "totals": "POOL.Difficulty Accepted\nPOOL.Difficulty Rejected\nSTATS.Times Sent\nSTATS.Bytes Sent\n"
                   "STATS.Times Recv\nSTATS.Bytes Recv",
         "group": "POOL.URL\nPOOL.Has Stratum\nPOOL.Stratum Active\nPOOL.Has GBT",
         "calc": "POOL.Difficulty Accepted=sum\nPOOL.Difficulty Rejected=sum\nSTATS.Times Sent=sum\n"
                 "STATS.Bytes Sent=sum\nSTATS.Times Recv=sum\nSTATS.Bytes Recv=sum",
         "gen": "AvShr=POOL.Difficulty Accepted/max(POOL.Accepted,1)",
         "having": "STATS.Bytes Recv > 0"},
    ],
}

def pages():
    """Every built-in page: miner.php's, the drivers' own (a pool's, a fleet's: their CUSTOM_PAGES), the
    manual's examples."""
    return [*MINERPHP, *drivers.custom_pages(), MANUAL_MOBILE, MANUAL_POOLS]


def create(CustomPage, PageSection, data):
    """Create (or replace) a page from its exported form; returns the page."""
    page, _ = CustomPage.objects.update_or_create(
        slug=data["slug"], defaults={k: data[k] for k in ("name", "order", "public") if k in data})
    PageSection.objects.filter(page=page).delete()
    known = {f.name for f in PageSection._meta.get_fields()}  # a migration's model may predate a field
    for i, s in enumerate(data.get("sections", [])):
        PageSection.objects.create(page=page, order=s.get("order", i),
                                   **{k: v for k, v in s.items() if k != "order" and k in known})
    return page


def add_missing(apps, pages):
    """For data migrations: create the pages whose slug does not exist yet."""
    CustomPage = apps.get_model("custompages", "CustomPage")
    PageSection = apps.get_model("custompages", "PageSection")
    for data in pages:
        if not CustomPage.objects.filter(slug=data["slug"]).exists() and \
                not CustomPage.objects.filter(name=data["name"]).exists():
            create(CustomPage, PageSection, data)
