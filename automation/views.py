"""/curtailment/ (what is curtailed, since when, why, until when; schedules, prices; a sys user's curtail
now and resume now), /energy/ (kWh, cost, curtailed hours and energy not used per site and day) and
/automation/ (the guardrails, the rules, the latest actions). Everyone logged in sees them; only sys users
act (POST with CSRF, audited, refusals too: farm/access.py)."""

import logging

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from farm.models import Site
from minerpanel.auth import client_address
from minerpanel.tiers import SYS, tier, usr_required
from rigs.control import audit
from rigs.drivers.described import HOWS
from rigs.web.header import header

from . import curtailing, energy, pricefeed, scoping, windows
from .access import sys_post
from .models import Action, AutomationSettings, Override, PriceFeed, PricePolicy, Rule, Schedule

log = logging.getLogger("minerpanel.automation")
HOURS = (0, 1, 2, 4, 8, 12, 24)


def schedule_rows(now):
    rows = []
    for s in Schedule.objects.select_related("site", "rack__site", "tag").prefetch_related("windows"):
        ws = list(s.windows.all())
        rows.append({"s": s, "windows": ws, "until": windows.schedule_until(s, ws, now) if s.enabled else None,
                     "zone": windows.zone(s)})
    return rows


def price_rows(now):
    rows = []
    for p in PricePolicy.objects.select_related("site", "feed"):
        rows.append({"p": p, "now": pricefeed.price_at(p.feed.points or [], now.timestamp())})
    return rows


def curtailment_context(request, now):
    return {**header(request), "now": now, "current": curtailing.current(), "schedules": schedule_rows(now),
            "prices": price_rows(now), "feeds": PriceFeed.objects.all(),
            "overrides": Override.objects.filter(until__gt=now).select_related("site", "rack__site", "tag"),
            "can_act": tier(request.user) == SYS, "scopes": scoping.choices(), "hows": HOWS, "hours": HOURS,
            "currency": settings.ENERGY_CURRENCY}


@require_GET
@usr_required
def curtailment(request):
    """What is curtailed now, and what schedules and prices will do."""
    ctx = curtailment_context(request, timezone.now())
    ctx["chosen"] = {"scope": request.GET.get("scope", "")[:30]}
    return render(request, "automation/curtailment.html", ctx)


def hours_of(value, errors):
    text = str(value or "0").strip()
    if not text.isdigit() or int(text) not in HOURS:
        errors["hours"] = f"One of {', '.join(map(str, HOURS))} hours."
        return 0
    return int(text)


def refuse_form(request, errors, action):
    audit(request.user, client_address(request), None, action, {"scope": request.POST.get("scope", "")[:30]},
          "invalid", message="; ".join(errors.values()))
    log.info("%s refused: %s", action, errors)
    ctx = curtailment_context(request, timezone.now())
    ctx.update(errors=errors, chosen={k: request.POST.get(k, "")[:200] for k in ("scope", "how", "value", "hours",
                                                                                   "reason", "form")})
    return render(request, "automation/curtailment.html", ctx, status=400)


def results(request, verb, scope, reports):
    ok = sum(1 for r in reports if r.ok)
    audit(request.user, client_address(request), None, f"{verb}-now", {"scope": scope.label}, "S" if ok else "E",
          message=f"{ok} of {len(reports)} rig(s)")
    return render(request, "automation/curtail_result.html", {**header(request), "verb": verb, "scope": scope,
                                                               "reports": reports, "ok": ok})


@sys_post
def curtail_now(request):
    """Curtail a site, a rack or a tag now (reason manual), until a number of hours or a person's resume."""
    errors = {}
    scope = scoping.parse(request.POST.get("scope"))
    if scope is None:
        errors["scope"] = "Choose a site, a rack or a tag."
    how = request.POST.get("how", "")
    if how not in dict(HOWS):
        errors["how"] = "Sleep, or a power target or mode."
    value = request.POST.get("value", "").strip()[:40]
    if how == "power" and not value:
        errors["value"] = "Give the power target in watts, or a mode such as low."
    hours = hours_of(request.POST.get("hours"), errors)
    words = " ".join(request.POST.get("reason", "").split())[:150] or "curtailed by hand"
    if errors:
        return refuse_form(request, errors, "curtail-now")
    reports = curtailing.curtail_now(scope, how, value, hours, words, request.user, client_address(request))
    return results(request, "curtail", scope, reports)


@sys_post
def resume_now(request):
    """Resume a site, a rack or a tag now; schedules and prices leave it alone for the hours chosen."""
    errors = {}
    scope = scoping.parse(request.POST.get("scope"))
    if scope is None:
        errors["scope"] = "Choose a site, a rack or a tag."
    hours = hours_of(request.POST.get("hours"), errors)
    if errors:
        return refuse_form(request, errors, "resume-now")
    reports = curtailing.resume_now(scope, hours, request.user, client_address(request))
    if not reports:
        audit(request.user, client_address(request), None, "resume-now", {"scope": scope.label}, "S",
              message="nothing was curtailed")
        messages.info(request, f"Nothing in {scope.label} was curtailed."
                      + (f" Schedules and prices leave it alone for {hours} h." if hours else ""))
        return redirect("curtailment")
    return results(request, "resume", scope, reports)


@require_GET
@usr_required
def energy_page(request):
    """Each site's last days: kWh, cost at its tariff, curtailed rig-hours, energy not used."""
    try:
        count = max(1, min(31, int(request.GET.get("days", 7))))
    except ValueError:
        count = 7
    now = timezone.now()
    sites = [{"site": s, "zone": energy.site_zone(s), "days": energy.days(s, count, now),
              "tariff": getattr(s, "tariff", None)} for s in Site.objects.select_related("tariff")]
    return render(request, "automation/energy.html", {**header(request), "sites": sites, "count": count,
                                                       "currency": settings.ENERGY_CURRENCY, "now": now})


@require_GET
@usr_required
def automation_page(request):
    """The guardrails, the rules and their steps, the latest actions."""
    return render(request, "automation/automation.html", {
        **header(request), "config": AutomationSettings.current(),
        "rules": Rule.objects.select_related("site", "rack__site", "tag").prefetch_related("steps"),
        "actions": Action.objects.select_related("rig", "alert")[:100], "can_act": tier(request.user) == SYS})
