"""The rack map (/map/) and maintenance (/maintenance/): every logged-in user sees them; only sys users
start or end maintenance (POST with CSRF, audited, refusals too)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from minerpanel.auth import client_address
from minerpanel.tiers import SYS, tier, usr_required
from rigs.control import audit
from rigs.models import Rig
from rigs.web.header import header

from . import access
from . import maintenance as windows
from .maphtml import racks_html
from .models import Maintenance, Site
from .rackmap import METRICS, pick_site, site_map


def map_context(site_value, metric, now=None):
    now = now or timezone.now()
    site = pick_site(site_value)
    m = site_map(site, metric, now)
    return {"m": m, "site": site, "metric": m.metric, "racks": racks_html(m), "now": now,
            "states": [(word, m.counts.get(state, 0)) for state, word in
                       (("ok", "ok"), ("warn", "warning"), ("err", "problem"), ("new", "no data"))
                       if m.counts.get(state)]}


def fragment(site_value, metric):
    """The live part of the map, as the WebSocket pushes it (farm/live.py)."""
    return render_to_string("farm/_map_live.html", {**map_context(site_value, metric), "oob": True})


@require_GET
@usr_required
@gzip_page
def rack_map(request):
    """One site's racks (``?site=`` its id or name; the first without), coloured by ``?metric=``;
    ``?wall=1``: for a wall screen, no header, each site in turn for ``?every=`` seconds."""
    ctx = map_context(request.GET.get("site", "").strip(), request.GET.get("metric", "health"))
    if request.htmx:
        return render(request, "farm/_map_live.html", ctx)
    sites = list(Site.objects.all())
    site = ctx["site"]
    query = {"site": site.pk if site else "", "metric": ctx["metric"]}
    ctx.update(header(request, live_url="/ws/map/?" + urlencode(query)), sites=sites, metrics=METRICS.items(),
               unsited=Rig.objects.filter(enabled=True, placement__isnull=True).count(),
               wall_url="?" + urlencode({**query, "wall": 1}), can_act=tier(request.user) == SYS)
    if request.GET.get("wall") != "1":
        return render(request, "farm/map.html", ctx)
    try:
        every = max(5, min(3600, int(request.GET.get("every", settings.MAP_WALL_SECONDS))))
    except ValueError:
        every = settings.MAP_WALL_SECONDS
    later = sites[(sites.index(site) + 1) % len(sites)] if site in sites else None
    ctx.update(every=every, next_url="?" + urlencode({"site": later.pk if later else "", "metric": ctx["metric"],
                                                      "wall": 1, "every": every}),
               rotates=len(sites) > 1, refresh_seconds=max(5, int(settings.MAP_PUSH_GAP)))
    return render(request, "farm/wall.html", ctx)


sys_post = access.sys_post("only sys users may set maintenance", "Only sys users may start or end maintenance.")


def back(request, fallback="maintenance"):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) \
            and target.startswith("/"):
        return redirect(target)
    return redirect(fallback)


def maintenance_context(request, now):
    current = Maintenance.objects.filter(ends__gt=now).select_related("rig", "rack__site", "site").order_by("starts")
    past = Maintenance.objects.filter(ends__lte=now).select_related("rig", "rack__site", "site").order_by("-ends")[:50]
    return {**header(request), "current": list(current), "past": past, "now": now, "hours": windows.HOURS,
            "targets": windows.targets(), "can_act": tier(request.user) == SYS}


@require_GET
@usr_required
def maintenance_list(request):
    """The windows in force and upcoming, the latest ended; for sys users a form to start one."""
    ctx = maintenance_context(request, timezone.now())
    ctx["chosen"] = {"target": request.GET.get("target", "")[:20]}
    return render(request, "farm/maintenance.html", ctx)


@sys_post
def maintenance_start(request):
    now = timezone.now()
    req, errors = windows.parse(request.POST, now)
    if errors:
        audit(request.user, client_address(request), None, "maintenance",
              {"target": request.POST.get("target", "")[:20]}, "invalid", message="; ".join(errors.values()))
        ctx = maintenance_context(request, now)
        ctx.update(errors=errors, chosen={k: request.POST.get(k, "")[:300] for k in
                                          ("target", "rig_name", "reason", "hours", "until", "starts")})
        return render(request, "farm/maintenance.html", ctx, status=400)
    w = windows.start(req, request.user)
    audit(request.user, client_address(request), w.rig, "maintenance",
          {"scope": w.scope_label, "starts": w.starts.isoformat(timespec="minutes"),
           "ends": w.ends.isoformat(timespec="minutes")}, "S", message=w.reason)
    until, starts = timezone.localtime(w.ends), timezone.localtime(w.starts)
    later = "" if w.starts <= now else f" (from {starts:%Y-%m-%d %H:%M})"
    messages.success(request, f"{w.scope_label.capitalize()} is in maintenance until {until:%Y-%m-%d %H:%M}{later}.")
    return back(request)


@sys_post
def maintenance_end(request, pk):
    w = get_object_or_404(Maintenance.objects.select_related("rig", "rack__site", "site"), pk=pk)
    if windows.end(w, request.user):
        audit(request.user, client_address(request), w.rig, "maintenance-end", {"scope": w.scope_label}, "S",
              message=f"ended early: {w.reason}")
        messages.success(request, f"Maintenance of {w.scope_label} ended.")
    else:
        messages.info(request, f"The maintenance of {w.scope_label} was over already.")
    return back(request)


def rig_box(user, rig, now=None):
    """What the rig page shows of the rig's place and maintenance (templatetags/farm.py)."""
    from .scope import maintenance_of, places_of

    now = now or timezone.now()
    place = places_of([rig.pk])[rig.pk]
    site = Site.objects.filter(placements__rig=rig).first()
    slot = place["position"].split(",") if place["position"] else None
    return {"rig": rig, "place": place, "site": site, "slot": slot, "now": now, "window": maintenance_of(rig.pk, now),
            "open": list(Maintenance.objects.filter(rig=rig, ends__gt=now).order_by("starts")),
            "can_act": tier(user) == SYS, "hours": windows.HOURS}

