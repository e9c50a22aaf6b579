"""The Alerts page, acknowledging and silencing (sys, POST, audited), chart data and chart pages."""

from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from farm.models import Site
from farm.scope import maintenance_by_rig, places_of
from minerpanel.auth import client_address
from minerpanel.tiers import SYS, sys_required, tier, usr_required
from rigs.control import audit
from rigs.models import Rig
from rigs.web import scopes
from rigs.web.header import header

from . import alerts, history
from .models import RULES, Alert, Destination, Silence

LIMIT = 500
SILENCE_MINUTES = (30, 60, 240, 1440, 10080)


@usr_required
@require_GET
def alert_list(request):
    """Current alerts (firing, then pending) and the latest resolved, filtered by state, rule, text, and
    the rig's site, rack and tag. Each rig's place is shown beside its name; a firing alert of a rig in
    maintenance is marked held."""
    state = request.GET.get("state", "")
    rule = request.GET.get("rule", "")
    q = request.GET.get("q", "").strip()[:100]
    rows = Alert.objects.select_related("rig")
    scope, chosen_rigs = scopes.context(request.GET), scopes.rig_ids(request.GET)
    if chosen_rigs is not None:
        rows = rows.filter(rig_id__in=chosen_rigs)
    if state in ("firing", "pending", "resolved"):
        rows = rows.filter(state=state)
    if rule in dict(RULES):
        rows = rows.filter(rule=rule)
    for word in q.split():
        rows = rows.filter(Q(rig__name__icontains=word) | Q(text__icontains=word))
    current = [a for a in rows.filter(state__in=("firing", "pending")).order_by("state", "-started")[:LIMIT]]
    past = list(rows.filter(state="resolved").order_by("-ended")[:LIMIT])
    places = places_of({a.rig_id for a in current + past})
    held = maintenance_by_rig(timezone.now(), {a.rig_id for a in current})
    for a in current + past:
        place = places.get(a.rig_id)
        a.place = " / ".join(x for x in (place["site"], place["rack"]) if x) if place else ""
        a.held = held.get(a.rig_id)
    silences = Silence.objects.filter(until__gt=timezone.now()).select_related("rig").order_by("until")
    return render(request, "watch/alerts.html", {
        **header(request), "current": current, "past": past, "silences": silences, "rules": RULES,
        "chosen": {"state": state, "rule": rule}, "q": q, "can_act": tier(request.user) == SYS, "scope": scope,
        "failing": Destination.objects.filter(enabled=True).exclude(last_error="") if tier(request.user) == SYS else [],
        "minutes": SILENCE_MINUTES})


@sys_required
@require_POST
def alert_ack(request, pk):
    alert = get_object_or_404(Alert, pk=pk)
    if alert.acked_at is None:
        alert.acked_by, alert.acked_at = request.user.get_username(), timezone.now()
        alert.save(update_fields=["acked_by", "acked_at"])
    audit(request.user, client_address(request), alert.rig, "alert-ack", {"alert": alert.pk, "rule": alert.rule},
          "S", message=alert.text)
    return redirect("alerts")


@sys_required
@require_POST
def silence(request):
    """Silence a rig, a rule, or a rule on a rig for a while (no notifications; alerts still listed)."""
    rig = None
    if request.POST.get("rig"):
        rig = get_object_or_404(Rig, pk=int(request.POST["rig"]) if request.POST["rig"].isdigit() else 0)
    rule = request.POST.get("rule", "")
    try:
        minutes = int(request.POST.get("minutes", ""))
    except ValueError:
        minutes = 0
    if (rule and rule not in dict(RULES)) or minutes not in SILENCE_MINUTES or (rig is None and not rule):
        audit(request.user, client_address(request), rig, "alert-silence", {"rule": rule[:20], "minutes": minutes},
              "invalid", message="a rig or a rule, and a listed duration")
        return JsonResponse({"error": "a rig or a rule, and one of the listed durations"}, status=400)
    s = Silence.objects.create(rig=rig, rule=rule, until=alerts.silence_until(minutes), by=request.user.get_username())
    audit(request.user, client_address(request), rig, "alert-silence", {"rule": rule, "minutes": minutes}, "S",
          message=f"silenced until {s.until:%Y-%m-%d %H:%M}")
    return redirect("alerts")


@sys_required
@require_POST
def unsilence(request, pk):
    s = get_object_or_404(Silence, pk=pk)
    audit(request.user, client_address(request), s.rig, "alert-unsilence", {"rule": s.rule}, "S")
    s.delete()
    return redirect("alerts")


def width_of(request):
    try:
        return max(10, min(4000, int(request.GET.get("width", 800))))
    except ValueError:
        return 800


def span_of(request):
    span = history.RANGES.get(request.GET.get("range", "24h"))
    if span is None:
        raise Http404("range: one of " + ", ".join(history.RANGES))
    return span


@usr_required
@require_GET
def rig_history(request, pk):
    """A rig's series over ``range`` (1h 24h 7d 30d 1y), at most ``width`` points; ``devices=1`` adds its devices."""
    rig = get_object_or_404(Rig, pk=pk)
    span, width = span_of(request), width_of(request)
    site = places_of([rig.pk])[rig.pk]["site"]
    data = {"rig": rig.name, "site": site, "range": request.GET.get("range", "24h"),
            **history.series(rig.pk, span, width)}
    if request.GET.get("devices"):
        data["devices"] = history.device_series(rig.pk, span, width)
    return JsonResponse(data)


@usr_required
@require_GET
def sparklines(request):
    """{rig id: [H/s, ...]} over the last six hours for the Rigs table (at most 1000 rigs)."""
    ids = [int(i) for i in request.GET.get("rigs", "").split(",")[:1000] if i.isdigit()]
    return JsonResponse({str(k): v for k, v in history.sparklines(ids).items()})


@usr_required
@require_GET
def farm_history(request, site=None):
    """The farm's series, or one site's (``site``: its id; its points carry its name)."""
    span, width = span_of(request), width_of(request)
    name = get_object_or_404(Site, pk=site).name if site is not None else None
    return JsonResponse({"range": request.GET.get("range", "24h"), **({"site": name} if name else {}),
                         **history.farm_series(span, width, site=name)})


def chart_context(rig=None, chosen="24h", site=None):
    """What templates/watch/_charts.html needs: a rig's charts (with its devices), the farm's, or a site's."""
    source = reverse("rig_history", args=[rig.pk]) if rig else \
        reverse("site_history", args=[site.pk]) if site else reverse("farm_history")
    return {"chart_source": source,
            "chart_range": chosen if chosen in history.RANGES else "24h", "chart_ranges": list(history.RANGES),
            "chart_devices": bool(rig), "chart_farm": rig is None}


@usr_required
@require_GET
def charts(request, pk=None):
    """The chart page of a rig, or of the farm without one (``?site=`` a site's id: that site's); drawn
    in the browser by static/charts.js."""
    rig = get_object_or_404(Rig, pk=pk) if pk is not None else None
    chosen = request.GET.get("site", "")
    site = get_object_or_404(Site, pk=int(chosen)) if rig is None and chosen.isdigit() else None
    return render(request, "watch/charts.html", {**header(request), "rig": rig, "site": site,
                                                 "sites": Site.objects.all() if rig is None else [],
                                                 **chart_context(rig, request.GET.get("range", "24h"), site)})
