"""How a driver describes a privileged command it takes: its parameters with types and ranges, the
device kinds it applies to, whether it is dangerous. Plain data; rigs/control/ validates values
against it, builds the forms from it, runs and audits it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # pool, pools, device, int, float, text, url, secret, choice, bool, intensity
    label: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    required: bool = True


@dataclass(frozen=True)
class Command:
    name: str
    label: str
    group: str  # pool, device, miner
    params: tuple = ()
    kinds: tuple = ()  # device kinds for device commands
    dangerous: bool = False
    help: str = ""
    rig_kinds: tuple = ()  # set by the drivers' registry: the kinds that list the command
    permission: str = ""  # a Django permission the user must hold explicitly (superusers included)

    def device_kind(self):
        return self.kinds[0] if self.kinds else None


POOL = Param("pool", "pool", "Pool")
CLIENT = Param("client", "client", "Client")
URL_SCHEMES = ("stratum+tcp://", "stratum+ssl://", "http://", "https://")
SECRET = "•••"
