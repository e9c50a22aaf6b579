"""A rig as the poller asks it (``Target``) and what it got (``Result``).

A Target's connection settings are the drivers': every Rig field some driver lists in its FIELDS
(``drivers.connection_fields()``; tests/test_poller.py holds the fields below equal to them), asked of the
database as they are. It is what a driver reads of a rig (rigs.drivers.interface.Rig: mypy checks it).
The rest is the poller's own: the kind, the temperatures, what the last snapshot said.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rigs import drivers

if TYPE_CHECKING:
    from rigs.drivers.interface import Rig


@dataclass
class Target:
    id: int
    kind: str = "cgminer"
    # the connection settings (drivers.connection_fields())
    host: str = ""
    port: int = 4028
    token: str = ""
    username: str = ""
    path: str = ""
    logdir: str = ""
    web_port: int | None = None
    # the poller's own
    joins: bool | None = None  # whether the rig joins commands, as last known (cgminer's driver notes it here)
    error: str = ""  # of the previous round, to log only changes
    temp_warn: float | None = None
    temp_err: float | None = None
    wanted: tuple[str, ...] = ()  # sections custom pages use; a driver asks for those it knows how to get
    health_limits: dict[str, Any] | None = None  # readings.brief.health_limits of its temperatures, once a round
    raws: tuple[Any, ...] = ()  # the raw replies a driver read this round (rigs/readings/digits.py)


@dataclass
class Result:
    rig_id: int
    ok: bool
    sections: dict[str, Any] = field(default_factory=dict)
    statuses: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    error_kind: str = ""
    latency_ms: float = 0.0
    joins: bool | None = None
    kind: str = "cgminer"
    health_limits: dict[str, Any] | None = None
    brief: dict[str, Any] | None = None  # as stored (store() sets it), for the history after the round
    raws: tuple[Any, ...] = ()  # the raw replies the driver read this round, until stored (rigs/readings/digits.py)


# what the poller reads of a rig besides its connection settings: (Target field, Rig column)
OWN = (("id", "id"), ("kind", "kind"), ("temp_warn", "temp_warn"), ("temp_err", "temp_err"),
       ("joins", "snapshot__joins"), ("error", "snapshot__error"))


def columns() -> tuple[str, ...]:
    """The columns the poller's query asks of each rig: its own, then the drivers' connection fields."""
    return (*(column for _, column in OWN), *drivers.connection_fields())


def targets(rows: Iterable[tuple[Any, ...]], wanted: tuple[str, ...] = ()) -> list[Target]:
    """Targets from rows of ``columns()``."""
    names = (*(name for name, _ in OWN), *drivers.connection_fields())
    out = []
    for row in rows:
        target = Target(**dict(zip(names, row)), wanted=wanted)
        target.error = target.error or ""
        out.append(target)
    return out


if TYPE_CHECKING:
    def _a_target_is_what_drivers_read(target: Target) -> "Rig":
        return target
