"""The built-in pages, as the manual defines them ($mobilepage/$mobilesum, and the
Pools page with $poolsext), with the listings' typos fixed: the missing quote
before Accepted, and the gen given as a name -> formula pair."""

MOBILE = {
    "name": "Mobile", "slug": "mobile", "order": 10, "public": False,
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

POOLS = {
    "name": "Pools", "slug": "pools", "order": 20, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "RIGS"},
        {"section": "SUMMARY",
         "fields": "Elapsed\nMHS av\nMHS 5m\nFound Blocks=Blks\nAccepted\nRejected=Rej\nUtility\n"
                   "Hardware Errors=HW\nWork Utility\nNetwork Blocks=Net Blks\nTotal MH\nBest Share",
         "totals": "MHS av\nMHS 5m\nFound Blocks\nAccepted\nRejected\nUtility\nHardware Errors\nWork Utility\nTotal MH"},
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

CKPOOL = {
    "name": "ckpool", "slug": "ckpool", "order": 30, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "POOLSTATUS", "title": "Pools",
         "fields": "Users\nWorkers\nIdle\nMHS 1m\nMHS 1hr\nMHS 1d\nDifficulty Accepted=Accepted\nBest Share\n"
                   "Round Diff%\nListener\nStratifier\nGenerator",
         "totals": "Users\nWorkers\nMHS 1m\nMHS 1hr\nMHS 1d"},
        {"section": "USERS+WORKERS", "title": "Workers",
         "fields": "USERS.User=User\nWORKERS.Worker=Worker\nWORKERS.MHS 1m=MHS 1m\nWORKERS.MHS 1hr=MHS 1hr\n"
                   "GEN.Part=% of user\nWORKERS.Shares=Shares\nWORKERS.Best Share=Best Share\n"
                   "WORKERS.Last Share Time=Last Share Time",
         "totals": "WORKERS.MHS 1m\nWORKERS.MHS 1hr\nWORKERS.Shares",
         "gen": "Part=round(100*WORKERS.MHS 1hr/max(USERS.MHS 1hr,0.000001),1)",
         "sort": "USERS.User\nWORKERS.Worker"},
    ],
}

FLEET = {
    "name": "XMRigCC", "slug": "xmrigcc", "order": 40, "public": False,
    "sections": [
        {"section": "DATE"},
        {"section": "CLIENTS", "title": "XMRigCC miners",
         "fields": "Client\nStatus\nMHS 10s\nMHS 1m\nMHS 15m\nAccepted\nRejected\nPool\nAlgorithm\nVersion\n"
                   "Elapsed\nCPU\nGPUs",
         "totals": "MHS 10s\nMHS 1m\nMHS 15m\nAccepted\nRejected"},
    ],
}

PAGES = [MOBILE, POOLS, CKPOOL, FLEET]


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
        if not CustomPage.objects.filter(slug=data["slug"]).exists():
            create(CustomPage, PageSection, data)
