"""/pools/: one form sets the pool list of a site, a rack or a tag (sys users only). Preview first (each
rig's pools now and after, with its worker name from the template), then apply: the plan waits in the
session (the passwords never go back to the browser), each rig's result is listed, every command is
audited with the passwords redacted, and one row sums it up."""

import logging
import secrets

from django.shortcuts import render
from django.views.decorators.http import require_GET

from farm.scope import places_of, rigs_in
from minerpanel.auth import client_address
from minerpanel.tiers import sys_required
from rigs.control import audit
from rigs.drivers.described import URL_SCHEMES
from rigs.web.header import header

from . import pools, scoping
from .access import sys_post

log = logging.getLogger("minerpanel.automation")
SESSION_KEY = "group_pools"


def form_context(request, chosen=None, errors=None):
    return {**header(request), "scopes": scoping.choices(), "chosen": chosen or {}, "errors": errors or {},
            "slots": range(1, pools.MAX_POOLS + 1), "placeholders": pools.PLACEHOLDERS}


@require_GET
@sys_required
def pools_form(request):
    return render(request, "automation/pools.html", form_context(request))


def parse(post):
    """(scope, [(url, user template, password)], errors)."""
    errors = {}
    scope = scoping.parse(post.get("scope"))
    if scope is None:
        errors["scope"] = "Choose a site, a rack or a tag."
    wanted = []
    for i in range(1, pools.MAX_POOLS + 1):
        url = post.get(f"url{i}", "").strip()[:300]
        user = post.get(f"user{i}", "").strip()[:200]
        password = post.get(f"password{i}", "")[:200] or "x"
        if not url and not user:
            continue
        if not url.startswith(URL_SCHEMES) or len(url) < 12 or any(c.isspace() for c in url):
            errors[f"url{i}"] = "A pool URL such as stratum+tcp://pool.example.com:3333."
        if not user:
            errors[f"user{i}"] = "A worker name, or a template such as account.{site}.{rack}x{row}{col}."
        try:
            pools.check_template(user)
        except pools.TemplateError as exc:
            errors[f"user{i}"] = f"Template: {exc}."
        wanted.append((url, user, password))
    if not wanted and "url1" not in errors:
        errors["url1"] = "Give at least pool 1."
    return scope, wanted, errors


def rigs_of(scope, ids=None):
    rigs = rigs_in(scope.site_id, scope.rack_id, scope.tag_id).filter(enabled=True, readonly=False)
    if ids is not None:
        rigs = rigs.filter(pk__in=ids)
    return list(rigs.select_related("snapshot").order_by("name")[:pools.MAX_RIGS])


@sys_post
def pools_preview(request):
    scope, wanted, errors = parse(request.POST)
    chosen = {k: request.POST.get(k, "")[:300] for k in ("scope", "url1", "user1", "url2", "user2", "url3", "user3")}
    if errors:
        audit(request.user, client_address(request), None, "group-pools", {"scope": chosen["scope"][:30]}, "invalid",
              message="; ".join(errors.values())[:500])
        return render(request, "automation/pools.html", form_context(request, chosen, errors), status=400)
    rigs = rigs_of(scope)
    plans = pools.plan(rigs, wanted, places_of([r.pk for r in rigs]))
    token = secrets.token_urlsafe(16)
    request.session[SESSION_KEY] = {"token": token, "scope": scope.value, "pools": wanted,
                                    "rigs": [p.rig.pk for p in plans if p.changes]}
    return render(request, "automation/pools_preview.html", {
        **header(request), "scope": scope, "plans": plans, "token": token, "pools": [(u, w) for u, w, _ in wanted],
        "changing": sum(1 for p in plans if p.changes)})


@sys_post
def pools_apply(request):
    pending = request.session.get(SESSION_KEY) or {}
    if not pending or not secrets.compare_digest(str(pending.get("token", "")), request.POST.get("token", "")):
        audit(request.user, client_address(request), None, "group-pools", {}, "invalid",
              message="no previewed plan (preview again)")
        return render(request, "automation/pools.html", form_context(request, errors={
            "scope": "Nothing previewed to apply (or it was applied already): preview again."}), status=400)
    del request.session[SESSION_KEY]
    scope = scoping.parse(pending["scope"])
    wanted = [tuple(p) for p in pending["pools"]]
    if scope is None:
        return render(request, "automation/pools.html", form_context(request, errors={
            "scope": "That site, rack or tag is gone."}), status=400)
    rigs = rigs_of(scope, pending["rigs"])
    address = client_address(request)
    plans = [p for p in pools.plan(rigs, wanted, places_of([r.pk for r in rigs])) if p.changes]
    results = pools.apply_all(plans, wanted, request.user, address)
    ok = sum(1 for r in results if r.ok)
    audit(request.user, address, None, "group-pools",
          {"scope": scope.label, "pools": [u for u, _, _ in wanted], "workers": [w for _, w, _ in wanted]},
          "S" if ok == len(results) else "E", message=f"{ok} of {len(results)} rig(s) set")
    log.info("group pools for %s by %s: %d of %d", scope.label, request.user.get_username(), ok, len(results))
    return render(request, "automation/pools_result.html", {**header(request), "scope": scope, "results": results,
                                                             "ok": ok})
