"""A fleet's client pages: a client's config (view, edit) and its log, for the kinds whose driver
offers them (get_config, set_config, get_log, templates, redact, parse_config: the XMRigCC server).
Sys users only; they ask the server when opened, with the rig timeouts. Secrets are shown as •••
and put back from the server's copy when a config is saved."""

import json
from urllib.parse import urlencode

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from minerpanel.auth import client_address
from minerpanel.tiers import readonly, sys_required
from rigs import control, drivers
from rigs.drivers.errors import RigError
from rigs.models import Rig
from rigs.polling import poller

from .header import header
from .views import control_view


def fleet_rig(pk):
    """The rig, if its driver has client pages; else 404."""
    rig = get_object_or_404(Rig.objects.select_related("snapshot"), pk=pk)
    if not drivers.can(rig.kind, "get_config"):
        raise Http404("This kind of rig has no client pages.")
    return rig


def client_of(request, rig):
    client_id = (request.POST if request.method == "POST" else request.GET).get("client", "")
    known = {str(c.get("Client")) for c in (rig.snapshot.sections.get("CLIENTS") or []) if isinstance(c, dict)} \
        if hasattr(rig, "snapshot") else set()
    if client_id not in known:
        raise Http404("The server lists no such client.")
    return client_id


def back(rig, client_id, page="client_config"):
    return reverse(page, args=[rig.pk]) + "?" + urlencode({"client": client_id})


@sys_required
def client_config(request, pk):
    rig = fleet_rig(pk)
    client_id = client_of(request, rig)
    template = request.GET.get("template", "")
    ctx = {"rig": rig, "client": client_id, "templates": [], "text": "", "error": "", "template": template,
           "may_save": not readonly(request.user, rig)}
    try:
        source = f"template_{template}" if template else client_id
        ctx["templates"] = async_to_sync(rig.driver.templates)(rig, **poller.limits())
        config = async_to_sync(rig.driver.get_config)(rig, source, **poller.limits())
        ctx["text"] = json.dumps(rig.driver.redact(config), indent=2, ensure_ascii=False)
    except RigError as exc:
        ctx["error"] = exc.message
    return render(request, "rigs/client_config.html", {**header(request), **ctx})


@control_view
def client_config_save(request, pk):
    rig = fleet_rig(pk)
    client_id = client_of(request, rig)
    text = request.POST.get("config", "")
    address = client_address(request)
    try:
        config = rig.driver.parse_config(text)
    except ValueError as exc:
        control.audit(request.user, address, rig, "setconfig", {"client": client_id}, "invalid", message=str(exc))
        messages.error(request, f"Config not saved: {exc}")
        ctx = {"rig": rig, "client": client_id, "templates": [], "text": text, "error": "", "may_save": True}
        return render(request, "rigs/client_config.html", {**header(request), **ctx}, status=400)
    try:
        async_to_sync(rig.driver.set_config)(rig, client_id, config, **poller.limits())
    except RigError as exc:
        control.audit(request.user, address, rig, "setconfig", {"client": client_id}, "error", message=exc.message)
        messages.error(request, f"Config not saved: {exc.message}")
        return redirect(back(rig, client_id))
    control.audit(request.user, address, rig, "setconfig", {"client": client_id}, "S",
                  message="config saved on the server; 'Send config' makes the miner load it")
    messages.success(request,
                     f"Config of {client_id} saved on the server. Use 'Send config' to make the miner load it.")
    return redirect(back(rig, client_id))


@sys_required
def client_log(request, pk):
    rig = fleet_rig(pk)
    client_id = client_of(request, rig)
    ctx = {"rig": rig, "client": client_id, "log": "", "error": ""}
    try:
        ctx["log"] = async_to_sync(rig.driver.get_log)(rig, client_id, **poller.limits())
    except RigError as exc:
        ctx["error"] = exc.message
    return render(request, "rigs/client_log.html", {**header(request), **ctx})



