"""The watchdog (issue 26 §3): rules that act on rigs whose alert keeps firing, held back by guardrails.

``run(now)`` looks at every firing alert a rule covers. A rule's first step is due when the alert has fired
for the rule's minutes; each later step ``wait`` minutes after the one before, while the alert still
fires (it is a new alert, and a new chain, after it resolves). A step is one ``Action`` row, unique per
alert, rule and step: the runner never does a step twice, however often or wherever it runs, and picks up
after a restart from the rows. A step the guardrails hold is recorded as held (with why) and tried again
at the next run.

The guardrails (``AutomationSettings``, one row) hold whatever the rules say:
- the global switch: off, nothing acts and nothing is recorded;
- dry run: the steps are recorded as they would happen (and count against the guardrails below as they
  would), nothing is sent;
- no action on a rig in maintenance;
- at most ``max_per_hour`` actions on one rig per hour;
- a cooldown of ``cooldown_minutes`` after each action on a rig;
- at most ``site_percent`` % of a site's enabled rigs acted on at once (in flight or in their cooldown),
  at least one; rigs in no site count as one site.
Notify-only steps touch no rig: they are held only by the switch and maintenance, and start no cooldown.
"""

import logging
import math
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from farm.scope import in_maintenance
from rigs.control import Actor
from rigs.models import Rig
from watch.models import Alert

from . import actions
from .models import Action, AutomationSettings, Rule

log = logging.getLogger("minerpanel.automation")
ACTED = ("sent", "done", "failed", "dry-run")


class Guard:
    """The guardrails' counts for one run, kept up to date as the run acts."""

    def __init__(self, config, now):
        self.config, self.now = config, now
        cool = timedelta(minutes=config.cooldown_minutes)
        since = now - max(timedelta(hours=1), cool)
        rows = list(Action.objects.filter(at__gte=since, state__in=ACTED, dry_run=config.dry_run)
                    .exclude(action="notify").values_list("rig_id", "at"))
        self.hour: dict[int, int] = {}
        self.last: dict[int, datetime] = {}
        for rig_id, at in rows:
            if at >= now - timedelta(hours=1):
                self.hour[rig_id] = self.hour.get(rig_id, 0) + 1
            self.last[rig_id] = max(at, self.last.get(rig_id, at))
        self.busy = {r for r, at in self.last.items() if at > now - cool}
        self.site_of = dict(Rig.objects.filter(enabled=True).values_list("id", "placement__site_id"))
        self.sizes: dict[int | None, int] = {}
        for site in self.site_of.values():
            self.sizes[site] = self.sizes.get(site, 0) + 1
        self.maintenance = in_maintenance(now)

    def why_not(self, rig_id, action):
        """None when the action may go now; else why it is held."""
        if rig_id in self.maintenance:
            return "held: the rig is in maintenance"
        if action == "notify":
            return None
        c = self.config
        if self.hour.get(rig_id, 0) >= c.max_per_hour:
            return f"held: {c.max_per_hour} action(s) on this rig in the last hour (the most per hour)"
        if rig_id in self.busy:
            return f"held: cooldown of {c.cooldown_minutes:g} min after the last action on this rig"
        site = self.site_of.get(rig_id)
        allowed = max(1, math.floor(self.sizes.get(site, 1) * c.site_percent / 100))
        acting = sum(1 for r in self.busy if self.site_of.get(r) == site)
        if acting >= allowed:
            return (f"held: {acting} of the site's {self.sizes.get(site, 1)} rigs acted on at once "
                    f"(at most {c.site_percent:g} %)")
        return None

    def acted(self, rig_id, action):
        if action != "notify":
            self.hour[rig_id] = self.hour.get(rig_id, 0) + 1
            self.busy.add(rig_id)
            self.last[rig_id] = self.now


def due_step(rule, steps, alert, done, now):
    """The index of the step due now for this alert, or None (done holds its Action rows by step)."""
    for i, step in enumerate(steps):
        row = done.get(i)
        if row is not None and row.state != "held":
            continue
        if i == 0:
            ready = alert.started + timedelta(minutes=rule.minutes)
        else:
            before = done.get(i - 1)
            if before is None or before.at is None:
                return None
            ready = before.at + timedelta(minutes=step.wait)
        return i if now >= ready else None
    return None


def claim(alert, rule, i, step, rig_id, state, message, dry_run, at):
    """Write the step's row (or move a held one on); False when another run has it already."""
    fields = {"rule": rule, "rule_name": rule.name, "rig_id": rig_id, "action": step.action, "value": step.value,
              "state": state, "message": message[:500], "dry_run": dry_run, "at": at}
    held = Action.objects.filter(alert=alert, rule_name=rule.name, step=i, state="held")
    if held.exists():
        return bool(held.update(**{k: v for k, v in fields.items() if k not in ("rule", "rig_id")}))
    try:
        with transaction.atomic():
            Action.objects.create(alert=alert, step=i, **fields)
        return True
    except IntegrityError:
        return False


def run(now=None):
    """One pass of every rule over the firing alerts: [(Action state, rig id, step)] of what changed."""
    now = now or timezone.now()
    config = AutomationSettings.current()
    if not config.enabled:
        return []
    guard = Guard(config, now)
    changed = []
    for rule in Rule.objects.filter(enabled=True).select_related("site", "rack", "tag").prefetch_related("steps"):
        steps = list(rule.steps.all())
        if not steps:
            continue
        scope = rule.rigs().values("id")
        firing = Alert.objects.filter(state="firing", rule=rule.alert, rig_id__in=scope).select_related(
            "rig", "rig__snapshot").order_by("started", "id")
        firing = list(firing)
        rows: dict[int, dict[int, Action]] = {}
        for a in Action.objects.filter(rule_name=rule.name, alert__in=[x.pk for x in firing]):
            rows.setdefault(a.alert_id, {})[a.step] = a
        for alert in firing:
            done = rows.get(alert.pk, {})
            i = due_step(rule, steps, alert, done, now)
            if i is None:
                continue
            step, rig = steps[i], alert.rig
            held = guard.why_not(rig.pk, step.action)
            if held:
                row = done.get(i)
                if row is None or row.message != held:
                    claim(alert, rule, i, step, rig.pk, "held", held, config.dry_run, None)
                    changed.append(("held", rig.pk, i))
                continue
            if config.dry_run:
                if claim(alert, rule, i, step, rig.pk, "dry-run", f"dry run: would {step}", True, now):
                    guard.acted(rig.pk, step.action)
                    changed.append(("dry-run", rig.pk, i))
                continue
            if not claim(alert, rule, i, step, rig.pk, "sent", "sent; no answer recorded yet", False, now):
                continue
            guard.acted(rig.pk, step.action)
            try:
                ok, message = actions.perform(step, rig, alert, rule.name, Actor(f"automation: rule {rule.name}"), now)
            except Exception as exc:  # a step that raises is recorded failed; the others still run
                log.exception("automation: rule %s on %s failed", rule.name, rig.name)
                ok, message = False, f"error: {type(exc).__name__}"
            Action.objects.filter(alert=alert, rule_name=rule.name, step=i).update(
                state="done" if ok else "failed", message=message[:500])
            log.info("automation: rule %s step %d (%s) on %s: %s", rule.name, i + 1, step.action, rig.name, message)
            changed.append(("done" if ok else "failed", rig.pk, i))
    return changed


def recent(rig_id, limit=5):
    return list(Action.objects.filter(rig_id=rig_id).select_related("alert")[:limit])


def counts():
    return dict(Action.objects.values_list("state").annotate(n=Count("id")))
