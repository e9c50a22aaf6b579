"""Curtailment by schedule, by price and by hand (issue 26 §4): which rigs should be curtailed now, and the
commands that make it so, each through ``curtail_rigs``/``resume_rigs`` (the audited path, read back).

The state is the rigs' open ``Curtailment`` rows (rigs/models.py), whose reason says why, first word
first: "schedule: <name>", "price: <site>", "manual: <words>", "automation: rule <name>". ``tick(now)``
is idempotent: it compares what is wanted with the open rows and sends only the difference, so it can run
on every round, from any process, after a restart:

- a rig a schedule's window or its site's price wants curtailed, and not curtailed, is curtailed (its row
  says until when: the window's end);
- a rig curtailed by a schedule or a price that no source wants any more is resumed; one another source
  still wants is left curtailed, its row saying the new reason;
- a manual or automation curtailment whose ``until`` has passed is resumed; one curtailed from the rig
  page, or by hand without an end, is left to a person;
- a person's "resume now" (an ``Override``) keeps schedules and prices off its rigs until it ends;
- rigs in maintenance are left as they are; a rig whose last curtail or resume failed is tried again
  after RETRY (not every round: the audit log would fill).
"""

import logging
from datetime import timedelta

from django.utils import timezone

from farm.scope import in_maintenance
from rigs import drivers
from rigs.control import Actor, curtail_rigs, resume_rigs
from rigs.models import AuditEntry, Curtailment, Rig

from . import pricefeed, windows
from .models import Override, PricePolicy, Schedule

log = logging.getLogger("minerpanel.automation")
RETRY = timedelta(minutes=10)
AUTO = ("schedule:", "price:")  # the reasons tick() owns: it resumes them when nothing wants them
TIMED = ("manual:", "automation:")  # resumed by tick() when their until has passed
WHY = {"schedule": "schedule", "price": "price", "manual": "manual", "automation": "automation"}


def why(reason):
    """The first word of a curtailment's reason: schedule, price, manual, automation; "person" otherwise."""
    word = str(reason).split(":", 1)[0].strip()
    return WHY.get(word, "person")


def detail(reason):
    """The reason after its first word ("evening peak" of "schedule: evening peak")."""
    word, colon, rest = str(reason).partition(":")
    return rest.strip() if colon and word.strip() in WHY else str(reason)


def decide_price(policy, now):
    """Move a site's price state (hysteresis, minimum times); True when it changed. Without a current price
    (a feed down or stale) the state is kept, and the page says why."""
    price = pricefeed.price_at(policy.feed.points or [], now.timestamp())
    seen = policy.price
    policy.price = price
    held = now - policy.changed_at if policy.changed_at else None
    changed = False
    over = price is not None and not policy.curtailed and price > policy.curtail_above
    under = price is not None and policy.curtailed and price < policy.resume_below
    minimum = timedelta(minutes=policy.min_on_minutes if over else policy.min_off_minutes)
    if (over or under) and (held is None or held >= minimum):
        policy.curtailed, changed = over, True
    if changed:
        policy.changed_at = now
        log.info("price %s at %s: %s", policy.site.name, price, "curtail" if policy.curtailed else "resume")
    if changed or seen != price:  # a write only when something moved
        policy.save(update_fields=["curtailed", "changed_at", "price"])
    return changed


def wanted(now):
    """{rig id: (reason, how, value, until)} of what schedules and prices want curtailed at ``now``."""
    out: dict[int, tuple] = {}
    for s in Schedule.objects.filter(enabled=True).select_related("site", "rack__site", "tag").prefetch_related(
            "windows"):
        until = windows.schedule_until(s, list(s.windows.all()), now)
        if until is not None:
            for rig_id in s.rigs().values_list("id", flat=True):
                out.setdefault(rig_id, (f"schedule: {s.name}", s.how, s.value, until))
    for p in PricePolicy.objects.filter(enabled=True, feed__enabled=True).select_related("site", "feed"):
        decide_price(p, now)
        if p.curtailed:
            for rig_id in Rig.objects.filter(enabled=True, placement__site=p.site).values_list("id", flat=True):
                out.setdefault(rig_id, (f"price: {p.site.name}", p.how, p.value, None))
    for o in Override.objects.filter(until__gt=now):
        for rig_id in o.rigs().values_list("id", flat=True):
            out.pop(rig_id, None)
    return out


def failed_lately():
    """The rigs whose curtail or resume failed within RETRY (by the wall clock: the audit's)."""
    since = timezone.now() - RETRY
    return set(AuditEntry.objects.filter(command__in=("curtail", "resume"), at__gte=since, rig__isnull=False)
               .exclude(outcome__in=("S", "I", "sent")).values_list("rig_id", flat=True))


def tick(now=None):
    """Curtail and resume what schedules, prices and ends say; {"curtailed": [ids], "resumed": [ids]}."""
    now = now or timezone.now()
    want = wanted(now)
    held = in_maintenance(now) | failed_lately()
    open_rows = {c.rig_id: c for c in Curtailment.objects.filter(ended_at__isnull=True).order_by("started_at")}
    to_curtail: dict[tuple, list[int]] = {}
    to_resume: dict[str, list[int]] = {}
    for rig_id, (reason, how, value, until) in want.items():
        row = open_rows.get(rig_id)
        if row is None:
            if rig_id not in held:
                to_curtail.setdefault((reason, how, value, until), []).append(rig_id)
        elif row.reason.startswith(AUTO) and (row.reason, row.until) != (reason, until):
            Curtailment.objects.filter(pk=row.pk).update(reason=reason[:200], until=until)  # now this source's
    for rig_id, row in open_rows.items():
        if rig_id in held or rig_id in want:
            continue
        if row.reason.startswith(AUTO) or (row.reason.startswith(TIMED) and row.until and row.until <= now):
            to_resume.setdefault(row.reason, []).append(rig_id)
    done: dict[str, list[int]] = {"curtailed": [], "resumed": []}
    for (reason, how, value, until), ids in to_curtail.items():
        rigs = [r for r in Rig.objects.select_related("snapshot").filter(pk__in=ids)
                if how in drivers.curtailment(r.kind).hows]  # a kind that cannot is shown, not tried each round
        for report in curtail_rigs(rigs, how, value or None, Actor(reason), reason=reason, until=until):
            if report.ok:
                done["curtailed"].append(report.rig.pk)
    for reason, ids in to_resume.items():
        for report in resume_rigs(list(Rig.objects.select_related("snapshot").filter(pk__in=ids)), Actor(reason)):
            if report.ok:
                done["resumed"].append(report.rig.pk)
    return done


def scope_rigs(scope):
    """The enabled rigs of a site, rack or tag (``scope``: a Scoped-like object with site/rack/tag ids)."""
    from farm.scope import rigs_in

    return list(rigs_in(scope.site_id, scope.rack_id, scope.tag_id).filter(enabled=True).select_related("snapshot"))


def curtail_now(scope, how, value, hours, words, user, address, now=None):
    """A person's "curtail now" for a site, rack or tag: [Report]. It ends at ``hours`` (None: by hand)."""
    now = now or timezone.now()
    Override.objects.filter(site_id=scope.site_id, rack_id=scope.rack_id, tag_id=scope.tag_id,
                            until__gt=now).update(until=now)
    until = now + timedelta(hours=hours) if hours else None
    return curtail_rigs(scope_rigs(scope), how, value or None, user, address, reason=f"manual: {words}"[:200],
                        until=until)


def resume_now(scope, hours, user, address, now=None):
    """A person's "resume now": the curtailed rigs of the scope resumed, and schedules and prices kept off
    them for ``hours`` (0: they may curtail again at the next round)."""
    now = now or timezone.now()
    if hours:
        Override.objects.create(site_id=scope.site_id, rack_id=scope.rack_id, tag_id=scope.tag_id,
                                by=user.get_username()[:150], until=now + timedelta(hours=hours))
    ids = set(Curtailment.objects.filter(ended_at__isnull=True).values_list("rig_id", flat=True))
    rigs = [r for r in scope_rigs(scope) if r.pk in ids]
    return resume_rigs(rigs, user, address, reason="manual") if rigs else []


def current(now=None):
    """The open curtailments, newest first, with their rig and why (for the page and the rig block)."""
    rows = list(Curtailment.objects.filter(ended_at__isnull=True).select_related("rig", "rig__placement__site")
                .order_by("-started_at"))
    for row in rows:
        row.why, row.detail = why(row.reason), detail(row.reason)
        place = getattr(row.rig, "placement", None)
        row.site_name = place.site.name if place is not None else ""
    return rows



def by_rig(rig_ids=None):
    """{rig id: {"why", "reason", "since", "until", "how", "value"}} of the rigs curtailed now, in one query:
    what an Overview column asks."""
    rows = Curtailment.objects.filter(ended_at__isnull=True).order_by("started_at")
    if rig_ids is not None:
        rows = rows.filter(rig_id__in=list(rig_ids))
    return {r.rig_id: {"why": why(r.reason), "reason": detail(r.reason), "since": r.started_at, "until": r.until,
                       "how": r.how, "value": r.value} for r in rows}
