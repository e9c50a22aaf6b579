"""The driver interface, typed: what the poller, control, the API and the pages may ask of a kind.

Every module listed in rigs.drivers.MODULES is a ``Driver``; a kind states what else it can do
by defining the functions of the capability protocols below (the registry's ``can()`` asks).
mypy holds each driver module against these protocols (rigs/drivers/__init__.py).
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypedDict, Unpack

if TYPE_CHECKING:
    from .described import Command, Curtailing

# A record as the rig sent it, after the driver's mapping: field name -> number, text, bool or None.
Record: TypeAlias = dict[str, Any]
# The cgminer API's shape, which every kind maps its readings into: section name -> records.
Sections: TypeAlias = dict[str, list[Record]]
# Each command's STATUS record (STATUS letter, When, Code, Msg...), by command.
Statuses: TypeAlias = dict[str, Record]
# (letter, message) or (letter, message, code): S/I success, W warning, E error.
Outcome: TypeAlias = tuple[str, str] | tuple[str, str, int | None]
# (ok, message, letter, code); ok is None when the rig could not be asked.
Access: TypeAlias = tuple[bool | None, str, str, int | None]


class Limits(TypedDict, total=False):
    """How long to wait for a rig and how much of its reply to take (settings.RIG_*)."""

    connect_timeout: float
    timeout: float
    max_reply: int


class Rig(Protocol):
    """What a driver reads of a rig: a Rig row or a poller Target. Which fields a kind uses is its
    FIELDS; cgminer notes on it whether the rig joins commands."""

    host: str
    port: int
    token: str
    username: str
    path: str
    logdir: str
    web_port: int | None
    joins: bool | None


class Driver(Protocol):
    """What every kind provides."""

    @property
    def KIND(self) -> str: ...  # noqa: N802 (module constants)

    @property
    def LABEL(self) -> str: ...  # noqa: N802

    @property
    def COMMANDS(self) -> "Sequence[Command]": ...  # noqa: N802

    async def poll(self, rig: Rig, /, **limits: Unpack[Limits]) -> tuple[Sections, Statuses]: ...

    async def command(self, rig: Rig, name: str, values: dict[str, Any], /,
                      **limits: Unpack[Limits]) -> Outcome: ...


class Detects(Protocol):
    async def detect(self, host: str, port: int, /, **limits: Unpack[Limits]) -> str | None: ...


class ChecksAccess(Protocol):
    async def check_access(self, rig: Rig, /, **limits: Unpack[Limits]) -> Access: ...


class Reports(Protocol):
    async def report(self, rig: Rig, command: str, parameter: str | None = None, /,
                     **limits: Unpack[Limits]) -> dict[str, Record]: ...


class ChecksSettings(Protocol):
    def check(self, rig: Rig, /) -> dict[str, str]: ...


class Addresses(Protocol):
    def address(self, rig: Rig, /) -> str: ...


class Curtails(Protocol):
    """A kind that can use less power on command (issue 26 §4): ``CURTAIL`` says how in plain words
    (and which of "sleep" and "power" it takes); ``curtail`` and ``resume`` go through the firmware's
    real write path; ``curtailed`` reads a poll's sections back: True when the rig is asleep, paused or
    in its low-power mode (with ``how="power"`` and a ``value``: at that power target), False when it
    is plainly not, None when the firmware does not say."""

    @property
    def CURTAIL(self) -> "Curtailing": ...  # noqa: N802

    async def curtail(self, rig: Rig, how: str, value: str | None = None, /,
                      **limits: Unpack[Limits]) -> Outcome: ...

    async def resume(self, rig: Rig, /, **limits: Unpack[Limits]) -> Outcome: ...

    def curtailed(self, sections: Sections, how: str | None = None, value: str | None = None, /) -> bool | None: ...
