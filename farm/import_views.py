"""The admin's "Place rigs from a CSV file" (sys, POST with CSRF, audited) and its export.

An upload is checked and shown as a dry run first (nothing written); the file is kept for a quarter
of an hour in the panel's cache under its digest, so "Import it" needs no second upload. A file
ticked "import now" is written at once. Either way every line is checked and nothing is written
when one is wrong."""

import hashlib
import io
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from minerpanel.auth import client_address
from minerpanel.tiers import sys_required
from rigs.control import audit

from .csvio import export
from .csvplan import import_csv

log = logging.getLogger("minerpanel.farm")
KEPT = 15 * 60  # seconds an uploaded file waits for "Import it"
TEMPLATE = "admin/farm/import.html"


def kept_key(request, digest):
    return f"farm-import:{request.user.pk}:{digest}"


@sys_required
@require_http_methods(["GET", "POST"])
def import_placements(request):
    context = {"title": "Place rigs from a CSV file", "limit": settings.FARM_CSV_MAX_BYTES}
    if request.method == "GET":
        return render(request, TEMPLATE, context)
    if "file" in request.FILES:
        upload = request.FILES["file"]
        name = upload.name[:200]
        data = upload.read(settings.FARM_CSV_MAX_BYTES + 1)
        dry_run = request.POST.get("now") != "1"
    elif request.POST.get("digest"):
        name = request.POST.get("name", "")[:200]
        data = cache.get(kept_key(request, request.POST["digest"][:64]))
        dry_run = False
        if data is None:
            context["error"] = "That file is no longer kept (a quarter of an hour): choose it again."
            return render(request, TEMPLATE, context, status=400)
    else:
        context["error"] = "Choose a file first."
        return render(request, TEMPLATE, context, status=400)
    plan = import_csv(data, dry_run=dry_run)
    context.update(name=name, plan=plan, dry_run=dry_run, lines=plan.summary() if not plan.errors else [])
    if plan.errors:
        log.warning("placement file %s from %s refused: %s", name, request.user.username, "; ".join(plan.errors[:5]))
        if not dry_run:
            audit(request.user, client_address(request), None, "farm-import", {"file": name}, "invalid",
                  message="\n".join(plan.errors[:50]))
        return render(request, TEMPLATE, context, status=400)
    if dry_run:
        digest = hashlib.sha256(data).hexdigest()
        cache.set(kept_key(request, digest), data, KEPT)
        context["digest"] = digest
    else:
        audit(request.user, client_address(request), None, "farm-import", {"file": name, "rigs": len(plan.lines)},
              "S", message="\n".join(plan.summary())[:5000])
    return render(request, TEMPLATE, context)


@sys_required
@require_GET
def export_placements(request):
    """Every rig's site, rack, slot and tags as CSV (UTF-8 with a BOM, for Excel); ``?sep=;`` for Excel
    in most of Europe."""
    out = io.StringIO()
    out.write("\ufeff")
    export(out, ";" if request.GET.get("sep") == ";" else ",")
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="placements-{timezone.now():%Y%m%d-%H%M}.csv"'
    return response
