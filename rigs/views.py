from django.conf import settings
from django.http import HttpResponseBadRequest
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from minerpanel.tiers import usr_required

from . import pages
from .models import Rig


def refresh_of(request):
    if not settings.REFRESH_CHANGEABLE:
        return settings.REFRESH_DEFAULT
    value = request.session.get("refresh", settings.REFRESH_DEFAULT)
    return value if value in settings.REFRESH_CHOICES else settings.REFRESH_DEFAULT


def header(request, **extra):
    return {"refresh": refresh_of(request),
            "refresh_choices": settings.REFRESH_CHOICES if settings.REFRESH_CHANGEABLE else [],
            "global_readonly": settings.READONLY, "header_format": settings.DATETIME_FORMAT_HEADER, **extra}


def summary(request):
    if not request.user.is_authenticated:
        # def visitors land on the first public custom page, else log in
        from custompages.models import CustomPage

        first = CustomPage.objects.filter(public=True).first()
        return redirect("custom_page", first.slug) if first else redirect_to_login(request.get_full_path())
    with pages.no_gc_pauses():
        ctx = pages.summary_context(request.user)
        ctx.update(header(request, live_url="/ws/live/summary/"))
        template = "rigs/_live.html" if request.htmx else "rigs/summary.html"
        return render(request, template, ctx)


@usr_required
def rig_detail(request, pk):
    rig = get_object_or_404(Rig.objects.select_related("snapshot"), pk=pk)
    ctx = pages.rig_context(request.user, rig)
    rigs = list(Rig.objects.only("id", "name")[: pages.RIGBAR_MAX + 1])
    ctx.update(header(request, live_url=f"/ws/live/rig/{rig.pk}/", rigs=rigs if len(rigs) <= pages.RIGBAR_MAX else []))
    template = "rigs/_live_rig.html" if request.htmx else "rigs/rig.html"
    return render(request, template, ctx)


@require_POST
@usr_required
def set_refresh(request):
    if not settings.REFRESH_CHANGEABLE:
        return HttpResponseBadRequest("the refresh interval is set by the site (REFRESH_CHANGEABLE is off)")
    try:
        value = int(request.POST.get("refresh", ""))
    except ValueError:
        return HttpResponseBadRequest("refresh must be a number of seconds")
    if value not in settings.REFRESH_CHOICES:
        return HttpResponseBadRequest("refresh must be one of " + ", ".join(map(str, settings.REFRESH_CHOICES)))
    request.session["refresh"] = value
    nxt = request.POST.get("next", "/")
    return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else "/")
