"""Running privileged commands: validate, send, explain, audit, re-poll.

Used by the views (one rig or many); the command descriptions are in commands.py.
"""

import asyncio
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.utils import timezone

from minerpanel.tiers import granted
from rigs import drivers
from rigs.drivers.errors import RigError
from rigs.models import AuditEntry, Rig
from rigs.polling import poller

from . import commands, params

log = logging.getLogger("minerpanel.control")


@dataclass
class Outcome:
    rig: Rig
    letter: str  # S I W E F, or refused / invalid / error
    message: str
    code: int | None = None

    @property
    def ok(self) -> bool:
        return self.letter in ("S", "I")


_baton = threading.local()


@contextmanager
def database_turns(lock: threading.Lock) -> Iterator[None]:
    """For threads that run commands side by side (automation/pools.py): they touch the database one at a
    time (``lock``, held but while rigs are asked: asking_rigs), as the rest of the panel does, so SQLite
    never sees two writers while the rigs' slow answers overlap."""
    lock.acquire()
    _baton.lock = lock
    try:
        yield
    finally:
        _baton.lock = None
        lock.release()


@contextmanager
def asking_rigs() -> Iterator[None]:
    """Around the network part of a command: the database lock of database_turns, if held, is let go."""
    lock = getattr(_baton, "lock", None)
    if lock is not None:
        lock.release()
    try:
        yield
    finally:
        if lock is not None:
            lock.acquire()


ANONYMOUS_LIMIT = 30  # refusals without login per source and minute; more are answered 429


def audit(user: Any, address: str | None, rig: Any, command: str, params: Mapping[str, Any] | None, outcome: str,
          code: int | None = None, message: str = "") -> AuditEntry:
    """Write one audit row and return it; refusals without login are aggregated (see anonymous_refusal)."""
    if not getattr(user, "is_authenticated", False):
        return anonymous_refusal(address, rig, command, outcome, message)
    return AuditEntry.objects.create(  # an automation's actor (control.curtail.Actor) is no account: its name only
        user=user if getattr(user, "pk", None) is not None else None, username=user.username, address=address or None,
        rig=rig if isinstance(rig, Rig) else None, rig_name=getattr(rig, "name", rig or "") or "",
        command=command[:40], params=params or {}, outcome=outcome, code=code, message=message[:5000])


def anonymous_refusal(address: str | None, rig: Any, command: str, outcome: str, message: str) -> AuditEntry:
    """One row per source and minute, with a count, so a flood never drowns the real entries."""
    from django.db.models import F

    minute = timezone.now().replace(second=0, microsecond=0)
    rows = AuditEntry.objects.filter(user=None, username="(anonymous)", at__gte=minute, **(
        {"address": address} if address else {"address__isnull": True}))
    if rows.update(count=F("count") + 1):
        return rows.order_by("-id").first()
    return AuditEntry.objects.create(
        username="(anonymous)", address=address or None, rig=rig if isinstance(rig, Rig) else None,
        rig_name=getattr(rig, "name", rig or "") or "", command=command[:40], outcome=outcome,
        message=f"{message[:500]} (later refusals from this address in this minute are counted here)")


def command_bound() -> timedelta:
    """Longer than any command can take (a driver's few requests, each within the rig timeouts): a
    "sent" row older than this is not waiting for an answer in any live process."""
    return timedelta(seconds=max(60, 10 * (settings.RIG_CONNECT_TIMEOUT + settings.RIG_TIMEOUT)))


def mark_interrupted(before: datetime) -> int:
    """Rows still "sent" from before ``before``: the process sending them stopped before the rig
    answered (a crash, kill -9). Kept, and marked so; returns how many."""
    count = AuditEntry.objects.filter(outcome="sent", at__lt=before).update(
        outcome="interrupted", message="interrupted: outcome unknown (the panel stopped before the rig answered)")
    if count:
        log.warning("%d command(s) cut off before their rig answered are marked interrupted in the audit log", count)
    return count


def finish(entry: AuditEntry, outcome: Outcome) -> None:
    """Complete a "sent" audit row with the rig's answer."""
    entry.outcome, entry.code, entry.message = outcome.letter, outcome.code, outcome.message[:5000]
    entry.save(update_fields=["outcome", "code", "message"])


async def _send(rig: Rig, name: str, cleaned: dict[str, Any]) -> Outcome:
    try:
        letter, message, *code = await drivers.driver(rig.kind).command(rig, name, cleaned, **poller.limits())
    except RigError as exc:
        return Outcome(rig, "error", exc.message)
    return Outcome(rig, letter, message, code[0] if code else None)


def run(rigs: Sequence[Rig], name: str, values: Mapping[str, Any], user: Any, address: str | None) -> list[Outcome]:
    """Send one command to each rig concurrently; audit every rig; re-poll them."""
    command = commands.COMMANDS[name]
    prepared, outcomes = [], []
    if not granted(user, command.permission):
        for rig in rigs:
            outcomes.append(Outcome(rig, "refused", f"{command.label} needs the permission '{command.permission}', "
                                                    "which no account has unless given it in the admin."))
            audit(user, address, rig, name, {}, "refused", message=f"lacks {command.permission}")
        return outcomes
    for rig in rigs:
        sections = rig.snapshot.sections if hasattr(rig, "snapshot") else {}
        if rig.kind not in command.rig_kinds:
            outcomes.append(Outcome(rig, "invalid", f"{name} is not a command for {rig.kind} rigs"))
            audit(user, address, rig, name, {}, "invalid", message=f"not a command for {rig.kind} rigs")
            continue
        try:
            cleaned = params.clean(command, values, sections)
        except params.Invalid as exc:
            outcomes.append(Outcome(rig, "invalid", str(exc)))
            audit(user, address, rig, name, {k: str(v)[:200] for k, v in values.items()
                                              if k in {p.name for p in command.params}
                                              and not any(p.kind == "secret" and p.name == k for p in command.params)},
                  "invalid", message=str(exc))
            continue
        prepared.append((rig, cleaned))

    async def all_of() -> list[Outcome]:
        return await asyncio.gather(*(_send(rig, name, cleaned) for rig, cleaned in prepared))

    # written before anything is sent, so a crash mid-command leaves a trace
    entries = [audit(user, address, rig, name, commands.redacted(command, cleaned), "sent",
                     message="sent; no answer recorded yet") for rig, cleaned in prepared]
    with asking_rigs():
        sent = async_to_sync(all_of)() if prepared else []
    now = timezone.now()
    for (rig, _), outcome, entry in zip(prepared, sent, entries):
        finish(entry, outcome)
        log.info("%s sent %s to %s: %s %s", getattr(user, "username", "?"), name, rig.name, outcome.letter,
                 outcome.message)
        denied = drivers.access_denied(rig.kind, outcome.code)  # the driver's rule (cgminer: code 45)
        if denied or (outcome.ok and outcome.letter == "S"):  # what it says about access
            msg = outcome.message if denied else f"{name} was accepted"
            Rig.objects.filter(pk=rig.pk).update(access_ok=not denied, access_msg=msg[:500],
                                                 access_checked_at=now)
        outcomes.append(outcome)
    repoll([rig.pk for rig, _ in prepared])
    order = {rig.pk: i for i, rig in enumerate(rigs)}
    return sorted(outcomes, key=lambda o: order.get(o.rig.pk, 0))


def repoll(ids: Sequence[int]) -> None:
    """Ask the rigs again now, store, and push fresh pages."""
    if not ids:
        return
    targets = [t for t in poller.load_targets() if t.id in set(ids)]

    async def ask() -> list[poller.Result]:
        return await poller.poll_all(targets)

    with asking_rigs():
        results = async_to_sync(ask)()
    poller.store(results)
    async_to_sync(poller.stored)(ids)  # as the poller does: their ready rows, then the push


def check_access(rig: Rig, user: Any, address: str | None) -> tuple[bool | None, str]:
    """Ask the rig whether it takes privileged commands from the panel, and remember the answer."""
    ok, msg, letter, code = async_to_sync(rig.driver.check_access)(rig, **poller.limits())
    Rig.objects.filter(pk=rig.pk).update(access_ok=ok, access_msg=msg[:500], access_checked_at=timezone.now())
    audit(user, address, rig, "privileged", {}, letter, code, msg)
    return ok, msg
