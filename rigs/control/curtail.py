"""Curtailing rigs and resuming them (issue 26 §4): what schedules, price feeds, automation and people call.

Each goes through the same audited path as a person's command (``running.run``: validated, a "sent"
row before anything is sent, the rig's answer kept), then the rigs are polled again (``run`` re-polls)
and each rig's fresh sections are read back by its driver (``drivers.curtailed``). A curtailment is
recorded (``Curtailment``: how, why, by whom, until when, the usual power setting read before it) so
that ``resume_rigs`` can set a power target back and later work can show what is curtailed and since
when. Only sys users, or an automation's ``Actor``, may curtail.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from django.utils import timezone

from minerpanel.tiers import SYS, tier
from rigs import drivers
from rigs.models import Curtailment, Rig
from rigs.polling import poller

from .running import audit, run

log = logging.getLogger("minerpanel.control")


@dataclass(frozen=True)
class Actor:
    """Who curtails when no person does: a schedule, a price feed, a rule ("schedule: weekday peak").
    Audited under this name (no account)."""

    name: str
    is_authenticated: bool = True
    pk: None = None

    @property
    def username(self) -> str:
        return self.name[:150]

    def get_username(self) -> str:
        return self.username


@dataclass
class Report:
    """One rig's result: the command's answer, and what the poll after it read back."""

    rig: Rig
    letter: str  # S I W E, or refused / invalid / error (running.Outcome's)
    message: str
    curtailed: bool | None = None  # read back after the re-poll: True, False, None (the firmware does not say)

    @property
    def ok(self) -> bool:
        return self.letter in ("S", "I")

    @property
    def read_back(self) -> str:
        return {True: "yes", False: "no", None: "unknown"}[self.curtailed]


def allowed(actor: Any) -> bool:
    return isinstance(actor, Actor) or (getattr(actor, "is_authenticated", False) and tier(actor) == SYS)


def _refuse(rigs: Iterable[Rig], actor: Any, address: str | None, name: str, why: str,
            outcome: str = "refused") -> list[Report]:
    reports = []
    for rig in rigs:
        audit(actor, address, rig, name, {}, outcome, message=why)
        reports.append(Report(rig, outcome, why))
    return reports


def _fresh(rigs: Iterable[Rig]) -> dict[int, Rig]:
    """The rigs again, with the snapshots the re-poll stored."""
    return {r.pk: r for r in Rig.objects.select_related("snapshot").filter(pk__in=[r.pk for r in rigs])}


def _sections(rig: Rig) -> dict[str, Any]:
    return rig.snapshot.sections if hasattr(rig, "snapshot") and isinstance(rig.snapshot.sections, dict) else {}


def _summary(rig: Rig) -> dict[str, Any]:
    return next((r for r in _sections(rig).get("SUMMARY") or [] if isinstance(r, dict)), {})


def curtail_rigs(rigs: Iterable[Rig], how: str, value: object = None, actor: Any = None, address: str | None = None,
                 reason: str = "", until: datetime | None = None) -> list[Report]:
    """Curtail each rig (``how``: sleep or power; ``value``: the power target or mode): [Report]."""
    rigs = list(rigs)
    value = "" if value is None else str(value).strip()
    if not allowed(actor):
        return _refuse(rigs, actor, address, "curtail", "curtailing needs a sys user")
    able, reports = [], []
    for rig in rigs:
        can = drivers.curtailment(rig.kind)
        if how not in can.hows:
            why = (can.cannot if not can.hows else f"how: one of {', '.join(can.hows)}" if how not in ("sleep", "power")
                   else f"curtails by {' or '.join(can.hows)} only, not by {how}")
            reports += _refuse([rig], actor, address, "curtail", why, "invalid")
        else:
            able.append(rig)
    before = {r.pk: _summary(r) for r in able}
    watts = {r.pk: _watts(r) for r in able}
    outcomes = run(able, "curtail", {"how": how, "value": value}, actor, address) if able else []
    fresh, now = _fresh(able), timezone.now()
    for o in outcomes:
        rig = fresh.get(o.rig.pk, o.rig)
        read = drivers.curtailed(rig.kind, _sections(rig), how, value or None) if o.ok else None
        reports.append(Report(o.rig, o.letter, o.message, read))
        if o.ok:
            record(rig, how, value, before.get(rig.pk, {}), actor, reason, until, read, now, watts.get(rig.pk))
        log.info("curtail %s %s %s: %s, read back %s", rig.name, how, value, o.letter, read)
    shown([o.rig.pk for o in outcomes if o.ok])
    order = {r.pk: i for i, r in enumerate(rigs)}
    return sorted(reports, key=lambda r: order.get(r.rig.pk, 0))


def _watts(rig: Rig) -> float | None:
    """The rig's power before the command (its brief's figures: reported, else estimated), or None."""
    brief = getattr(getattr(rig, "snapshot", None), "brief", None)
    figures = brief.get("figures") if isinstance(brief, dict) else None
    if not isinstance(figures, dict):
        return None
    watts = figures.get("power_w")
    return float(watts) if isinstance(watts, (int, float)) and not figures.get("curtailed") else None


def record(rig: Rig, how: str, value: str, summary: Mapping[str, Any], actor: Any, reason: str,
           until: datetime | None, read: bool | None, now: datetime, watts: float | None = None) -> None:
    """Open the rig's curtailment row (ending one still open; its usual power setting is kept: the rig's
    reading now may already be a curtailed one, and so is its power before)."""
    spec = drivers.curtailment(rig.kind).restore
    open_rows = Curtailment.objects.filter(rig=rig, ended_at__isnull=True)
    kept = open_rows.exclude(restore="").values_list("restore", flat=True).first()
    by_setting = how == "power" and value.lower() != "low"  # a low-power mode is left by resume itself
    restore = kept or (plain(summary.get(spec[2])) if spec and by_setting else "")
    earlier = open_rows.exclude(watts_before=None).values_list("watts_before", flat=True).first()
    open_rows.update(ended_at=now)
    Curtailment.objects.create(rig=rig, how=how, value=value[:40], restore=restore or "", reason=reason[:200],
                               actor=actor.get_username()[:150], started_at=now, until=until, read_back=read,
                               watts_before=earlier if earlier is not None else watts)


def shown(ids: list[int]) -> None:
    """The pages of these rigs again, now that their Curtailment rows say how, why and until when: the
    re-poll wrote their ready rows before the rows were opened or ended (poller.stored: the rows, the push)."""
    if ids:
        async_to_sync(poller.stored)(ids)


def plain(value: object) -> str:
    """A setting as a command takes it: 3500.0 -> "3500"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)[:40]


def resume_rigs(rigs: Iterable[Rig], actor: Any = None, address: str | None = None,
                reason: str = "") -> list[Report]:
    """End each rig's curtailment: the kind's resume, then the usual power setting set back where one was
    recorded (through the kind's own power command); [Report], read back after the re-poll."""
    rigs = list(rigs)
    if not allowed(actor):
        return _refuse(rigs, actor, address, "resume", "resuming needs a sys user")
    able = [r for r in rigs if drivers.curtailment(r.kind).hows]
    reports = _refuse([r for r in rigs if r not in able], actor, address, "resume",
                      "this kind cannot curtail, so there is nothing to resume", "invalid")
    outcomes = {o.rig.pk: o for o in (run(able, "resume", {}, actor, address) if able else [])}
    open_rows = {c.rig_id: c for c in Curtailment.objects.filter(rig__in=able, ended_at__isnull=True)
                 .order_by("started_at")}
    for rig in able:  # the usual power setting back, through the kind's own command
        row, spec = open_rows.get(rig.pk), drivers.curtailment(rig.kind).restore
        if row and row.how == "power" and row.restore and spec and outcomes.get(rig.pk) and outcomes[rig.pk].ok:
            back = run([rig], spec[0], {spec[1]: row.restore}, actor, address)[0]
            first = outcomes[rig.pk]
            first.message = f"{first.message} {back.message}".strip()
            if not back.ok:
                first.letter = back.letter
    fresh, now = _fresh(able), timezone.now()
    for rig in able:
        o = outcomes.get(rig.pk)
        if o is None:
            continue
        current = fresh.get(rig.pk, rig)
        read = drivers.curtailed(current.kind, _sections(current)) if o.ok else None
        reports.append(Report(rig, o.letter, o.message, read))
        if o.ok:
            Curtailment.objects.filter(rig=rig, ended_at__isnull=True).update(ended_at=now)
        log.info("resume %s: %s, read back curtailed %s", rig.name, o.letter, read)
    shown([pk for pk, o in outcomes.items() if o.ok])
    order = {r.pk: i for i, r in enumerate(rigs)}
    return sorted(reports, key=lambda r: order.get(r.rig.pk, 0))
