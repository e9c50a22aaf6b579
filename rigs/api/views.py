"""The HTTP JSON API: cgminerhttpinterface's URL grammar over the latest snapshots.

    GET  /api/rigs/                                  every rig: reachability, health, error, age, miner, summary,
                                                     site, rack, position, tags (?site= ?rack= ?tag= filter)
    GET  /api/rigs/<rig>/                            summary+devs, as chi-server's root
    GET  /api/rigs/<rig>/<cmd>[+cmd...]/[param]      from the snapshot; ?fresh=1 asks the rig now
    POST /api/rigs/<rig>/<privileged cmd>/           a control token; values as JSON or form fields
    GET  /api/pages/<slug>/                          a custom page's tables

Authentication: ``Authorization: Bearer <token>`` (tokens are made in the panel). Unlike
chi-server: NUL-terminated replies work, errors are JSON with an HTTP status, and
nothing executes files. Sessions are not used here, so no CSRF.
"""

import json
import math
from functools import wraps

from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from custompages.models import CustomPage
from custompages.ready import source_of
from custompages.render import page_context
from farm.scope import empty_place, places_of, rigs_in
from minerpanel.models import ApiToken
from minerpanel.tiers import SYS, tier
from minerpanel.values import parse_id
from rigs import control, drivers
from rigs.control import commands
from rigs.drivers.cgminer.protocol import join_members
from rigs.drivers.errors import RigError
from rigs.models import Rig, with_sections
from rigs.polling import poller
from rigs.readings.freshness import reachability
from rigs.readings.hidden_fields import hide_fields
from rigs.readings.version import miner_version
from rigs.web.recent import Busy, recent
from rigs.web.view_models import rig_health

# Report commands answered from the snapshot, and the sections they gave.
STORED = {"version": "VERSION", "config": "CONFIG", "summary": "SUMMARY", "devs": "DEVS", "pools": "POOLS",
          "notify": "NOTIFY", "devdetails": "DEVDETAILS", "stats": "STATS", "coin": "COIN",
          # ckpool and XMRigCC server rigs
          "poolstatus": "POOLSTATUS", "users": "USERS", "workers": "WORKERS", "clients": "CLIENTS"}
READ_ONLY = set(STORED) | {"edevs", "estats", "usbstats", "gpucount", "asccount", "pgacount", "gpu", "asc", "pga",
                           "check", "lcd"}


def error(status, message, **extra):
    return JsonResponse({"error": message, **extra}, status=status)


def authenticate(request):
    """The request's token (also set as request.token), or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    text = header[7:].strip() if header.lower().startswith("bearer ") else ""
    token = ApiToken.lookup(text)
    if token is not None:
        ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
        request.token = token
    return token


def token_required(view):
    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if authenticate(request) is None:
            return error(401, "a valid token is needed: Authorization: Bearer <token>")
        return view(request, *args, **kwargs)

    return wrapper


def find_rig(key):
    rigs = Rig.objects.select_related("snapshot")
    rig = rigs.filter(name=key).first()
    if rig is None and parse_id(key):
        rig = rigs.filter(pk=parse_id(key)).first()
    return rig


LISTED = ("VERSION", "SUMMARY")  # what /api/rigs/ shows of each rig's sections


def rig_state(rig, now, place=None):
    """One rig as /api/rigs/ lists it. Two words for two things: ``reachability`` says whether the panel
    has fresh data from the rig (ok, stale, unreachable, new: rigs/readings/freshness.py), ``health``
    the worst of its reasons (ok, warn, err; an unreachable or stale rig's is err; None before its
    first poll). ``state`` is ``reachability`` under its old name, kept for scripts that read it."""
    snap = getattr(rig, "snapshot", None) if hasattr(rig, "snapshot") else None
    if snap and hasattr(rig, "read"):  # rigs(): the two sections it shows, read alone
        sections = rig.read
    else:
        sections = snap.sections if snap else {}
    miner, api = miner_version(sections)
    age = snap.age(now) if snap else None
    reach = reachability(snap.polled_at, snap.last_ok_at, snap.error, now) if snap else "new"
    health = rig_health(snap, reach, now)
    return {"name": rig.name, "id": rig.pk, "kind": rig.kind, "description": rig.description,
            "reachability": reach, "state": reach, "error": snap.error if snap else "",
            "health": health["state"] if snap else None,
            "reasons": [{k: r.get(k) for k in ("level", "text", "since")} for r in health["reasons"]],
            "figures": ((snap.brief or {}).get("figures") if snap else None) or {},
            "age_seconds": round(age, 1) if age is not None else None,
            "polled_at": snap.polled_at.isoformat() if snap and snap.polled_at else None,
            "miner": miner, "api": api, "summary": (sections.get("SUMMARY") or [None])[0],
            **(place or empty_place())}


@token_required
def rigs(request):
    """Every rig, or those of ``?site=``, ``?rack=`` and ``?tag=`` (names), with its site, rack, position
    ("row,column") and tags."""
    now = timezone.now()
    chosen = {k: request.GET[k].strip()[:64] for k in ("site", "rack", "tag") if request.GET.get(k, "").strip()}
    # each snapshot's VERSION and SUMMARY, not all its sections: at 100,000 rigs those are gigabytes
    found = with_sections(rigs_in(**chosen) if chosen else Rig.objects.all(), LISTED)
    places = places_of(r.pk for r in found)
    return JsonResponse({"rigs": [rig_state(r, now, places[r.pk]) for r in found]})


def from_snapshot(rig, names):
    """Replies for report commands, built from the stored snapshot, in the miner's layout."""
    snap = getattr(rig, "snapshot", None) if hasattr(rig, "snapshot") else None
    if snap is None or snap.last_ok_at is None:
        return None
    return replies_from(snap.sections or {}, snap.statuses or {}, names, "from the snapshot")


def replies_from(sections, statuses, names, msg):
    replies = {}
    for name in names:
        section = STORED[name]
        body = {"STATUS": [statuses.get(name) or {"STATUS": "S", "Msg": msg}]}
        if section in sections:
            body[section] = sections[section]
        replies[name] = body
    return replies


def layout(command, replies):
    if "+" in command:
        return {**{name: [{**body, "id": 1}] for name, body in replies.items()}, "id": 1}
    return {**next(iter(replies.values())), "id": 1}


@token_required
def rig_command(request, rig, command="summary+devs", parameter=None):
    target = find_rig(rig)
    if target is None:
        return error(404, f"no rig named {rig!r}")
    names = join_members(command) if "+" in command else [command]
    if request.method == "POST":
        return privileged(request, target, command)
    if request.method != "GET":
        return error(405, "GET reads, POST sends privileged commands")
    if any(n not in READ_ONLY for n in names):
        bad = [n for n in names if n not in READ_ONLY]
        if any(n in commands.COMMANDS for n in bad):
            return error(405, f"{', '.join(bad)} changes the rig: POST it with a control token")
        return error(400, f"unknown command {', '.join(bad)}")
    fresh = request.GET.get("fresh") in ("1", "true", "yes")
    if not fresh and parameter in (None, "") and all(n in STORED for n in names):
        replies = from_snapshot(target, names)
        if replies is None:
            reach = rig_state(target, timezone.now())["reachability"]
            return error(503, f"{target.name} has not answered yet", reachability=reach, state=reach)
        snap = target.snapshot
        response = JsonResponse(layout(command, replies))
        response["X-Snapshot-Age"] = f"{snap.age() or 0:.1f}"
        return response
    if not drivers.can(target.kind, "report"):
        if parameter not in (None, "") or any(n not in STORED for n in names):
            return error(400, f"{target.name} is a {target.kind} rig: it answers {', '.join(sorted(STORED))}, "
                              "without parameters")
        try:
            sections, statuses = async_to_sync(target.driver.poll)(target, **poller.limits())
        except RigError as exc:
            return error(502, exc.message, rig=target.name)
        hide_fields(sections, settings.HIDE_FIELDS)
        return JsonResponse(layout(command, replies_from(sections, statuses, names, "asked now")))
    try:
        answers = async_to_sync(target.driver.report)(target, command, parameter or None, **poller.limits())
    except RigError as exc:
        return error(502, exc.message, rig=target.name)
    for body in answers.values():  # HIDE_FIELDS hides on every path, not only in snapshots
        hide_fields(body, settings.HIDE_FIELDS)
    return JsonResponse(layout(command, answers))


def not_a_number(word):
    raise ValueError(f"{word} is not a number JSON allows")


def finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is too large")
    return value


def privileged(request, rig, command):
    name = command
    described = commands.COMMANDS.get(name)
    if described is None:
        return error(400, f"{name!r} is not a privileged command MinerPanel sends")
    if not request.token.can_control or tier(request.token.user) != SYS:
        control.audit(request.token.user, request.META.get("REMOTE_ADDR"), rig, name, {}, "refused",
                      message="API token without control")
        return error(403, "this token may not control rigs")
    if settings.READONLY or rig.readonly:
        control.audit(request.token.user, request.META.get("REMOTE_ADDR"), rig, name, {}, "refused",
                      message="read-only")
        return error(403, "read-only")
    if request.content_type == "application/json":
        try:
            values = json.loads(request.body or b"{}", parse_constant=not_a_number, parse_float=finite)
            assert isinstance(values, dict)
        except (ValueError, AssertionError, RecursionError) as exc:
            control.audit(request.token.user, request.META.get("REMOTE_ADDR"), rig, name, {}, "invalid",
                          message=f"bad JSON body: {str(exc)[:200]}")
            return error(400, "the body must be a JSON object of parameter values (numbers finite, no NaN)")
    else:
        values = request.POST
    if described.dangerous and str(values.get("confirm", "")).lower() not in ("yes", "true", "1"):
        return error(400, f"{name} is dangerous: send confirm=yes")
    (outcome,) = control.run([rig], name, values, request.token.user, request.META.get("REMOTE_ADDR"))
    status = {"invalid": 400, "error": 502}.get(outcome.letter, 200)
    return JsonResponse({"rig": rig.name, "command": name, "status": outcome.letter, "code": outcome.code,
                         "message": outcome.message}, status=status)


@csrf_exempt
def page(request, slug):
    """A custom page's tables as shown; ``?raw=1``: the cell values unformatted."""
    found = CustomPage.objects.filter(slug=slug).first()
    if found is None:
        return error(404, f"no page {slug!r}")
    token = authenticate(request)
    if not found.public and token is None:
        return error(401, "a valid token is needed: Authorization: Bearer <token>")
    user = token.user if token else None
    raw = request.GET.get("raw") == "1"
    sys = user is not None and tier(user) == SYS  # (the Address of a RIGS section)
    try:  # every row of every rig, computed now: once for every caller while it is recent (rigs/web/recent.py)
        made_of = [source_of(d) if isinstance(d, dict) else repr(d) for d in found.definitions()]
        out = recent(("api-page", found.pk, made_of, sys, raw),
                     lambda: page_tables(user, found, raw))
    except Busy as exc:
        response = error(503, "this page is being computed for another request; ask again shortly")
        response["Retry-After"] = str(exc.after)
        return response
    return JsonResponse({"page": found.name, "tables": out})


def page_tables(user, found, raw):
    """The API's tables of a custom page: every row (up to MAX_ROWS a table), formatted or ``raw``."""
    out = []
    for block in page_context(user, found, whole=True)["blocks"]:
        if raw and "result" in block:
            out.append(raw_result(block["result"]))
        elif "table" in block:
            t = block["table"]
            headers = [label for label, _ in t.columns]
            rows = [dict(zip(headers, (c[0] for c in row.cells))) for row in t.rows]
            totals = dict(zip(headers, (c[0] for c in t.totals.cells))) if t.totals else None
            out.append({"title": t.title, "columns": headers, "rows": rows, "totals": totals})
        elif "error" in block:
            out.append({"error": block["error"]})
    return out


def raw_result(result):
    """An engine result's values as the rigs gave them (numbers stay numbers)."""
    headers = ([] if result.grouped else ["Rig"]) + [h for h, _ in result.columns]

    def values(row, rig=True):
        cells = ([row.get("_rig")] if rig and not result.grouped else []) + [row.get(f) for _, f in result.columns]
        return dict(zip(headers, cells))

    totals = None
    if result.totals:
        totals = {h: result.totals.get(f) for h, f in result.columns}
    return {"title": result.title, "columns": headers, "rows": [values(r) for r in result.rows], "totals": totals}
