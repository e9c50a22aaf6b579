"""The admin's "Discover rigs": run multicast discovery or a scan, tick the rigs, add them."""

import asyncio
import logging

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from minerpanel.auth import client_address
from minerpanel.tiers import sys_required
from rigs.control import audit

from . import search
from .register import existing, expect_warning, mcast_options, register

log = logging.getLogger(__name__)
SESSION_KEY = "discovered_rigs"


class DiscoverForm(forms.Form):
    how = forms.ChoiceField(choices=[("mcast", "Multicast (miners started with --api-mcast)"),
                                     ("scan", "Scan a private address range")], widget=forms.RadioSelect,
                            initial="mcast")
    code = forms.RegexField(regex=r"^[A-Za-z0-9_.]{1,32}$", initial=settings.MCAST_CODE, required=False,
                            help_text="The miners' --api-mcast-code.")
    cidr = forms.CharField(max_length=64, required=False, label="Range", help_text="e.g. 192.168.1.0/24")
    port = forms.IntegerField(min_value=1, max_value=65535, initial=4028,
                              help_text="Multicast: the group's UDP port. Scan: the miners' API port.")
    timeout = forms.FloatField(min_value=0.2, max_value=10, initial=1.5, help_text="Seconds.")

    def clean(self):
        data = super().clean()
        if data.get("how") == "scan" and not data.get("cidr"):
            self.add_error("cidr", "Give the range to scan.")
        return data


def run(data):
    if data["how"] == "mcast":
        options = mcast_options(code=data["code"] or None, port=data["port"], timeout=data["timeout"])
        found = asyncio.run(search.mcast(**options))
        return found, expect_warning(found, options["expect"])
    return asyncio.run(search.scan(data["cidr"], data["port"], timeout=data["timeout"])), None


@sys_required
@require_http_methods(["GET", "POST"])
def discover(request):
    context = {"title": "Discover rigs"}
    form = DiscoverForm(request.POST if request.POST.get("action") == "run" else None)
    if request.method == "POST" and request.POST.get("action") == "run" and form.is_valid():
        try:
            found, context["warning"] = run(form.cleaned_data)
        except search.DiscoveryError as exc:
            form.add_error(None, str(exc))
            log.warning("discovery by %s failed: %s", request.user.username, exc)
        else:
            request.session[SESSION_KEY] = [vars(f) for f in found]
            known = existing(found)
            context["found"] = [(i, f, known.get((f.host, f.port))) for i, f in enumerate(found)]
            context["ran"] = True
    elif request.method == "POST" and request.POST.get("action") == "add":
        stored = [search.Found(**f) for f in request.session.get(SESSION_KEY, [])]
        ticked = {int(i) for i in request.POST.getlist("rig") if i.isdigit()}
        chosen = [f for i, f in enumerate(stored) if i in ticked]
        context["added"] = register(chosen) if chosen else ["Tick the rigs to add."]
        if chosen:
            audit(request.user, client_address(request), None, "discover-register",
                  {"rigs": [f"{f.host}:{f.port}" for f in chosen]}, "S", message="\n".join(context["added"]))
            request.session.pop(SESSION_KEY, None)
    context["form"] = form
    return render(request, "rigs/discover.html", context, status=400 if form.errors else 200)
