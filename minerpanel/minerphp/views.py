"""The admin's "Import a myminer.php": upload, see the plan (a dry run), confirm."""

import logging

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from minerpanel.auth import client_address
from minerpanel.tiers import sys_required
from rigs.control import audit

from . import php_reader
from .carryover import PASSWORD_ADVICE, CarryOverError, carry_over, plan_for, report_lines

log = logging.getLogger(__name__)


@sys_required
@require_http_methods(["GET", "POST"])
def import_minerphp(request):
    context = {"title": "Import a myminer.php", "advice": PASSWORD_ADVICE}
    if request.method == "POST" and "file" in request.FILES:
        upload = request.FILES["file"]
        if upload.size > php_reader.MAX_SIZE:
            megabytes = php_reader.MAX_SIZE // 1024 // 1024
            context["error"] = f"{upload.name} is larger than {megabytes} MB: not a settings file."
        else:
            text = upload.read().decode("utf-8", errors="replace")
            return show(request, context, upload.name[:200], text, dry_run=True)
    elif request.method == "POST" and request.POST.get("confirm") and request.POST.get("text"):
        # the file comes back from the plan page: its plaintext passwords are never stored server-side
        return show(request, context, request.POST.get("name", "")[:200], request.POST["text"], dry_run=False)
    elif request.method == "POST":
        context["error"] = "Choose a file first."
    return render(request, "minerpanel/import_minerphp.html", context, status=400 if "error" in context else 200)


def show(request, context, name, text, dry_run):
    if len(text) > php_reader.MAX_SIZE:
        context["error"] = "The file is too large."
        return render(request, "minerpanel/import_minerphp.html", context, status=400)
    plan = plan_for(text)
    context.update(name=name, text=text, dry_run=dry_run, notes=plan.notes)
    try:
        report = carry_over(plan, dry_run=dry_run)
    except CarryOverError as exc:
        log.warning("import of %s by %s refused", name, request.user.username)
        context["problems"] = exc.problems
        return render(request, "minerpanel/import_minerphp.html", context, status=400)
    context["lines"] = report_lines(plan, report)
    if not dry_run:
        done = [line for part in report.values() for line in part if line.startswith(("+", "~"))]
        audit(request.user, client_address(request), None, "importminerphp", {"file": name}, "S",
              message="\n".join(done) or "nothing new")
    return render(request, "minerpanel/import_minerphp.html", context)
