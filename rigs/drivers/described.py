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


# ------------------------------------------------------------ curtailment (rigs/drivers/interface.py Curtails)
@dataclass(frozen=True)
class Curtailing:
    """What a kind can do to use less power, in plain words for the rig page and the README.

    ``sleep``: how it stops hashing ("" when it cannot); ``power``: how it lowers its power and what
    the value is ("" when it cannot); ``reads_back``: what a poll shows of it; ``cannot``: why it cannot
    curtail at all (set when neither)."""

    sleep: str = ""
    power: str = ""
    reads_back: str = ""
    cannot: str = ""
    # how a power curtailment is set back: (the kind's command, its parameter, the SUMMARY field the
    # usual value is read from before curtailing); () where resume alone undoes it
    restore: tuple = ()

    @property
    def hows(self):
        return tuple(h for h in ("sleep", "power") if getattr(self, h))


HOWS = (("sleep", "Sleep (stop hashing)"), ("power", "Lower the power (a target in W or a low-power mode)"))
CURTAIL = Command("curtail", "Curtail", "miner", (
    Param("how", "choice", "How", choices=HOWS),
    Param("value", "text", "Watts or mode (for power)", required=False)), dangerous=True,
    help="Uses less power now, through the firmware's own control: sleep stops hashing; power sets a power "
         "target in watts (or a low-power mode such as low, where the firmware names one). What this kind "
         "does is said above, under Curtailment; Resume ends it.")
RESUME = Command("resume", "Resume mining", "miner",
                 help="Ends a curtailment: wakes a sleeping or paused miner and leaves a low-power mode. A power "
                      "target, limit or profile that Curtail lowered is set back as it was read before.")


def watts(value, lo=100, hi=20000):
    """A power target from a curtail value ("3200", "3200 W", "3.2kW"); None when it is not one (a mode
    name); ValueError when it is a number out of range."""
    text = str(value or "").strip().lower().replace(" ", "")
    factor = 1000 if text.endswith("kw") else 1
    text = text.removesuffix("kw").removesuffix("w")
    try:
        n = float(text) * factor
    except ValueError:
        return None
    if not (lo <= n <= hi):
        raise ValueError(f"a power target from {lo} to {hi} W, not {value}")
    return int(round(n))
