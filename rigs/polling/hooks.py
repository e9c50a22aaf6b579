"""What the other rooms and apps want done when rigs' data is stored: functions registered in their
AppConfig.ready(), called by the poller and the controls. So polling imports no page, engine or
history code: they come to it.

    hooks.after_batch.register(warm)   # in an AppConfig.ready()
    hooks.after_batch(rig_ids)         # where a batch was stored
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger("minerpanel.poller")
F = TypeVar("F", bound=Callable[..., Any])


class Hook:
    """Functions called in the order they were registered. One that raises is logged, and the
    others still run: a page that cannot be built must not stop the history, nor a command."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.functions: list[Callable[..., Any]] = []

    def register(self, fn: F) -> F:
        if fn not in self.functions:
            self.functions.append(fn)
        return fn

    def __call__(self, *args: Any) -> list[Any]:
        """The answers of the functions that did not raise (and did not answer None)."""
        answers = []
        for fn in list(self.functions):
            try:
                found = fn(*args)
            except Exception:
                log.exception("%s: %s failed", self.name, getattr(fn, "__qualname__", fn))
                continue
            if found is not None:
                answers.append(found)
        return answers

    async def run(self, *args: Any) -> None:
        """Await each function (coroutine functions), logging one that raises."""
        for fn in list(self.functions):
            try:
                await fn(*args)
            except Exception:
                log.exception("%s: %s failed", self.name, getattr(fn, "__qualname__", fn))

    def collect(self, *args: Any) -> list[Any]:
        """Every function's answer, in a list (an exception is the caller's)."""
        return [fn(*args) for fn in list(self.functions)]


# fn(rig_ids) -> [table keys]: write what pages show of these rigs, just stored (their ready rows:
# rigs/web/ready.py), before the batch is announced, and say which tables changed beyond those rigs' rows
# (totals, counts). In the poller's process after each batch (poller.stored), and after a command's re-poll.
after_batch = Hook("after a batch")
# fn(results, seconds, shard): after each round, in the poller's process (history, alerts).
after_round = Hook("after a round")
# fn(kind) -> section names: what after_round's functions read of a round's results (Result.sections) of a
# rig of that kind; the others are dropped once a batch is stored, not held for the whole round (at 25,000 rigs
# a shard, every reply's sections held until the round's end were a gigabyte and more).
kept_for_round = Hook("sections kept for the round's end")
# fn(): when the poller stops, before it returns: finish what after_round handed to a thread, so a stop
# loses no round's history (and a test's database is not written to while it is emptied).
stopping = Hook("poller stopping")
# fn() -> section names: the sections pages show beyond the standard ones, so drivers ask for them.
wanted_sections = Hook("wanted sections")
# async fn(began): on each round of the lead poller (shard 0, or the only one, while it holds its lease):
# work done once for the whole farm, such as multicast discovery (rigs.discovery).
lead_round = Hook("on the lead poller's round")
