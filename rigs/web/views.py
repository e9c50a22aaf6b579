from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from minerpanel.auth import client_address
from minerpanel.tiers import SYS, granted, readonly, sys_required, tier, usr_required
from minerpanel.values import parse_id
from rigs import control, drivers
from rigs.control import commands, forms, params
from rigs.models import AuditEntry, Rig, with_sections

from . import ready_read, scopes, view_models
from .header import header


@usr_required
def overview(request):
    """Every rig, device and pool in fixed tables, built for a thousand rigs."""
    ctx = ready_read.farm_context(request.user, problems=request.GET.get("problems") == "1", params=request.GET)
    query = request.GET.urlencode()  # the pushes render the same rows: the same page of each table
    ctx.update(header(request, live_url="/ws/live/summary/" + (f"?{query}" if query else "")))
    template = "rigs/_live.html" if request.htmx else "rigs/summary.html"
    return render(request, template, ctx)


@usr_required
def rig_detail(request, pk):
    rig = get_object_or_404(Rig.objects.select_related("snapshot"), pk=pk)
    return render_rig(request, rig)


def render_rig(request, rig, kept=None, status=200):
    """The rig page; ``kept``: a refused command's values and error, shown in its form."""
    ctx = view_models.rig_context(request.user, rig)
    if not readonly(request.user, rig):
        ctx["controls"] = forms.rig_controls(rig.snapshot.sections if hasattr(rig, "snapshot") else {},
                                                     rig.kind, lambda perm: granted(request.user, perm), kept)
    bar = ready_read.rig_bar_of()  # (first: it writes the rows of rigs saved since)
    prev_id, next_id = ready_read.neighbours(rig)
    ctx.update(header(request, live_url=f"/ws/live/rig/{rig.pk}/", prev_rig=prev_id, next_rig=next_id, **bar))
    template = "rigs/_live_rig.html" if request.htmx else "rigs/rig.html"
    return render(request, template, ctx, status=status)


@require_GET
@usr_required
def rig_find(request):
    """The rig bar's filter box (past RIGBAR_MAX rigs): one match opens it, more are listed."""
    q = request.GET.get("q", "").strip()[:64]
    exact = Rig.objects.filter(name=q).first() if q else None
    matches = [exact] if exact else list(Rig.objects.filter(name__icontains=q).only("id", "name")[:201]) if q else []
    if len(matches) == 1:
        return redirect("rig_detail", matches[0].pk)
    return render(request, "rigs/find.html", {"q": q, "matches": matches[:200], "more": len(matches) > 200,
                                              **header(request)}, status=200 if matches else 404)


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


# ---------------------------------------------------------------- control

def control_view(view):
    """Privileged views: POST only, sys only, not read-only; every refusal is audited."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        name = ((request.POST.get("command") if request.method == "POST" else request.GET.get("command"))
                or view.__name__)
        rig = Rig.objects.filter(pk=kwargs.get("pk")).first() if "pk" in kwargs else None
        refusal = None
        if request.method != "POST":
            refusal, response = "only POST may change a rig", HttpResponseNotAllowed(["POST"])
        elif not request.user.is_authenticated:
            refusal, response = "not logged in", redirect_to_login(request.get_full_path())
        elif tier(request.user) != SYS:
            refusal, response = ("only sys users may control rigs",
                                 HttpResponseForbidden("Only sys users may control rigs."))
        elif settings.READONLY:
            refusal, response = "READONLY is on", HttpResponseForbidden("The panel is read-only (READONLY).")
        elif rig is not None and rig.readonly:
            refusal, response = "the rig is read-only", HttpResponseForbidden(f"{rig.name} is read-only.")
        if refusal:
            entry = control.audit(request.user, client_address(request), rig, name[:40], {}, "refused", message=refusal)
            if not request.user.is_authenticated and entry.count > control.ANONYMOUS_LIMIT:
                return HttpResponse("Too many refused requests from this address; wait a minute.", status=429,
                                    content_type="text/plain")
            return response
        return view(request, *args, **kwargs)

    return wrapper


def csrf_failure(request, reason=""):
    """A POST without a valid CSRF token: refused, and audited when it aimed at a control."""
    from django.views.csrf import csrf_failure as default

    if request.path.startswith(("/rigs/", "/bulk/", "/maintenance/", "/admin/farm/import/")):
        control.audit(request.user, client_address(request), None, request.POST.get("command", request.path),
                      {}, "refused", message=f"CSRF check failed: {reason}")
    return default(request, reason=reason)


STATUS_LEVEL = {"S": messages.SUCCESS, "I": messages.INFO, "W": messages.WARNING}


def say(request, outcome, rig_name=None):
    prefix = f"{rig_name}: " if rig_name else ""
    messages.add_message(request, STATUS_LEVEL.get(outcome.letter, messages.ERROR), prefix + outcome.message,
                         extra_tags=f"status-{outcome.letter}")


@control_view
def rig_command(request, pk):
    rig = get_object_or_404(Rig.objects.select_related("snapshot"), pk=pk)
    name = request.POST.get("command", "")
    command = commands.COMMANDS.get(name)
    if command is None:
        control.audit(request.user, client_address(request), rig, name or "?", {}, "invalid", message="unknown command")
        return HttpResponseBadRequest("unknown command")
    kept = {"command": name, "values": request.POST}
    if command.dangerous and request.POST.get("confirm") != "yes":
        control.audit(request.user, client_address(request), rig, name, {}, "refused", message="not confirmed")
        return refused_form(request, rig, kept, f"tick 'I am sure' to confirm {command.label}.")
    if name in ("curtail", "resume"):  # recorded and read back (rigs/control/curtail.py), as a schedule's
        outcome = curtailed_here(request, rig, name)
    else:
        (outcome,) = control.run([rig], name, request.POST, request.user, client_address(request))
    if outcome.letter == "invalid":
        return refused_form(request, rig, kept, outcome.message)
    say(request, outcome)
    return redirect("rig_detail", rig.pk)


def curtailed_here(request, rig, name):
    """Curtail or resume one rig from its page: the answer, and what the poll after it read back."""
    address = client_address(request)
    if name == "curtail":
        (report,) = control.curtail_rigs([rig], request.POST.get("how", ""), request.POST.get("value"), request.user,
                                         address, reason="from the rig page")
    else:
        (report,) = control.resume_rigs([rig], request.user, address)
    if report.letter not in ("invalid", "refused"):
        report.message = f"{report.message} Read back after a poll: curtailed {report.read_back}.".strip()
    return report


def refused_form(request, rig, kept, error):
    """A refused command: the page again with the error beside its form and the values
    kept (400), or as a banner for the one-click actions that have no form."""
    kept["error"] = error
    response = render_rig(request, rig, kept, status=400)
    if b'class="error" role="alert"' not in response.content:
        messages.error(request, f"Not sent: {error}")
        return redirect("rig_detail", rig.pk)
    return response


@control_view
def rig_check_access(request, pk):
    rig = get_object_or_404(Rig, pk=pk)
    if not drivers.can(rig.kind, "check_access"):
        raise Http404("This kind of rig has no access check.")
    control.check_access(rig, request.user, client_address(request))
    # the answer is shown once, on the Access line beside the button
    return redirect(reverse("rig_detail", args=[rig.pk]) + "#controls")


LISTED = ("POOLS", "DEVS")  # what Bulk reads of each rig's snapshot
BULK_PICKS = 300  # rigs a Bulk form offers one by one; beyond, they are chosen by group, pool, health or all


def enabled_rigs(ids=None):
    """The enabled rigs (of ``ids``) with their snapshots' POOLS and DEVS, not every section of them (at
    100,000 rigs those are gigabytes; a command run reads a target's own snapshot)."""
    found = Rig.objects.filter(enabled=True) if ids is None else Rig.objects.filter(enabled=True, id__in=ids)
    return with_sections(found, LISTED)


def bulk_targets(post):
    """The rigs a bulk command is for: chosen ones, all, by active pool, with a sick device, or those of a
    site, a rack or a tag (rigs/web/scopes.py: the farm app's groups)."""
    from .tables import active_pool

    rigs = enabled_rigs()
    how = post.get("target", "selected")
    if how == "all":
        return rigs
    if how == "scope":
        ids = scopes.rig_ids(post)
        return [] if ids is None else list(enabled_rigs(ids))
    if how == "pool":
        url = post.get("pool_url", "")
        out = []
        for r in rigs:
            current = active_pool(r.read.get("POOLS", []))
            if current and str(current.get("URL")) == url:
                out.append(r)
        return out
    if how == "sick":
        return [r for r in rigs if any(isinstance(d, dict) and d.get("Status") in ("Sick", "Dead")
                                       for d in r.read.get("DEVS", []))]
    chosen = {parse_id(x) for x in post.getlist("rigs")[:10_000]} - {None}
    return [r for r in rigs if r.pk in chosen]


@require_GET
@sys_required
def bulk(request):
    rigs = enabled_rigs()
    urls = sorted({str(p.get("URL")) for r in rigs for p in r.read.get("POOLS", [])
                   if isinstance(p, dict) and p.get("URL")})
    made = forms.bulk_forms(rigs)
    for f in made:  # a box per rig, in every command's form: 1.5 million boxes at 100,000 rigs
        f["unlisted"] = max(0, len(f["rigs"]) - BULK_PICKS)
        f["rigs"] = f["rigs"][:BULK_PICKS]
    return render(request, "rigs/bulk.html", {**header(request), "pool_urls": urls,
                                              "forms": made, "scope": scopes.context({})})


@control_view
def bulk_run(request):
    name = request.POST.get("command", "")
    command = commands.COMMANDS.get(name)
    if command is None or any(p.kind in params.SNAPSHOT_KINDS for p in command.params):
        return HttpResponseBadRequest("not a command for many rigs")
    if command.dangerous and request.POST.get("confirm") != "yes":
        messages.error(request, f"{command.label} not sent: tick 'I am sure' to confirm.")
        return redirect("bulk")
    targets = [r for r in bulk_targets(request.POST) if not r.readonly and r.kind in command.rig_kinds]
    if not targets:
        messages.error(request, f"No rig matches (read-only rigs, and rigs other than {', '.join(command.rig_kinds)}, "
                                "are left out).")
        return redirect("bulk")
    outcomes = control.run(targets, name, request.POST, request.user, client_address(request))
    return render(request, "rigs/bulk_result.html", {**header(request), "command": command, "outcomes": outcomes})


AUDIT_LIMIT = 500
AUDIT_FILTERS = {"user": "username", "rig": "rig_name", "command": "command", "outcome": "outcome"}


@require_GET
@sys_required
def audit_log(request):
    """The latest 500 entries of the whole log, or of those matching the filters
    (user, rig, command, outcome: exact; q: any word of the message or parameters; site, rack, tag:
    the entries of their rigs, rigs/web/scopes.py)."""
    entries = AuditEntry.objects.all()
    scope, scoped = scopes.context(request.GET), scopes.rig_ids(request.GET)
    if scoped is not None:
        entries = entries.filter(rig_id__in=scoped)
    chosen = {}
    for key, column in AUDIT_FILTERS.items():
        value = request.GET.get(key, "").strip()[:150]
        if value:
            chosen[key] = value
            entries = entries.filter(**{column: value})
    q = request.GET.get("q", "").strip()[:200]
    for word in q.split():
        entries = entries.filter(Q(message__icontains=word) | Q(params__icontains=word) | Q(address__icontains=word))
    total = entries.count()
    choices = [(key, AuditEntry.objects.order_by(column).values_list(column, flat=True).distinct()[:200],
                chosen.get(key))
               for key, column in AUDIT_FILTERS.items()]
    return render(request, "rigs/audit.html", {**header(request), "entries": entries[:AUDIT_LIMIT], "total": total,
                                              "limit": AUDIT_LIMIT, "chosen": chosen or scope["chosen"], "q": q,
                                              "choices": choices, "scope": scope})
