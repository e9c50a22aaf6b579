"""What each step of a rule does to a rig, through the same paths as a person's: ``control.run`` for a
command (validated, audited under the rule's name, the rig's answer kept), ``curtail_rigs`` for sleep and
power (recorded, read back). Each returns (ok, message): the message is the rig's answer, kept on the
step's Action row."""

from datetime import timedelta

from rigs.control import curtail_rigs, run
from rigs.control.commands import COMMANDS
from rigs.drivers.cgminer.protocol import as_number
from rigs.readings.records import active_pool
from watch.models import Destination, Notification

SLEEP_MINUTES = 5.0


def sections(rig):
    snap = getattr(rig, "snapshot", None)
    return snap.sections if snap is not None and isinstance(snap.sections, dict) else {}


def command(rig, name, values, actor):
    known = COMMANDS.get(name)
    if known is None or rig.kind not in known.rig_kinds:
        return False, f"{rig.kind} rigs take no {name} command"
    (outcome,) = run([rig], name, values, actor, None)
    return outcome.ok, f"{outcome.letter}: {outcome.message}"


def next_pool(rig):
    """The pool after the one the rig mines on, by priority (wrapping round); None without another."""
    pools = [p for p in sections(rig).get("POOLS") or []
             if isinstance(p, dict) and as_number(p.get("POOL")) is not None]
    if len(pools) < 2:
        return None
    pools.sort(key=lambda p: (as_number(p.get("Priority")) or 0, as_number(p.get("POOL"))))
    current = active_pool(pools) or pools[0]
    at = next(i for i, p in enumerate(pools) if p is current)
    return int(as_number(pools[(at + 1) % len(pools)]["POOL"]))


def notify(alert, rule_name, rig, now):
    """Queue a message to every destination that wants the alert's rule."""
    title = f"automation: rule {rule_name}: {rig.name} still {alert.text}"[:200]
    body = (f"{rig.name}: {alert.text}, firing since {alert.started:%Y-%m-%d %H:%M %Z}. The rule {rule_name} "
            "has done what it may; a person is needed.")
    rows = [Notification(destination=d, alert=alert, title=title, body=body, next_try=now)
            for d in Destination.objects.filter(enabled=True) if d.wants(alert.rule)]
    Notification.objects.bulk_create(rows)
    return bool(rows), f"queued for {len(rows)} destination(s)" if rows else "no destination wants this rule"


def perform(step, rig, alert, rule_name, actor, now):
    """Do one step on one rig: (ok, message)."""
    reason = f"automation: rule {rule_name}"
    if step.action in ("restart", "reboot"):
        return command(rig, step.action, {}, actor)
    if step.action == "nextpool":
        pool = next_pool(rig)
        if pool is None:
            return False, "the rig lists no other pool to switch to"
        ok, message = command(rig, "switchpool", {"pool": pool}, actor)
        return ok, f"pool {pool}: {message}"
    if step.action in ("sleep", "power"):
        minutes = as_number(step.value) if step.action == "sleep" else None
        until = now + timedelta(minutes=minutes or SLEEP_MINUTES) if step.action == "sleep" else None
        (report,) = curtail_rigs([rig], step.action, step.value if step.action == "power" else None, actor,
                                 reason=reason, until=until)
        woken = f"; wakes at {until:%H:%M}" if until and report.ok else ""
        return report.ok, f"{report.letter}: {report.message} (read back curtailed: {report.read_back}){woken}"
    if step.action == "notify":
        return notify(alert, rule_name, rig, now)
    return False, f"unknown action {step.action}"
