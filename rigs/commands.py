"""Every privileged command, described once: parameters with types and ranges, the
device kinds it applies to, whether it is dangerous. Forms, validation, the bulk
runner and the API use these descriptions. Plain Python, no Django.
"""

from dataclasses import dataclass

from .protocol import as_number, escape_param


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
    rig_kinds: tuple = ("cgminer",)
    permission: str = ""  # a Django permission the user must hold explicitly (superusers included)

    def device_kind(self):
        return self.kinds[0] if self.kinds else None


POOL = Param("pool", "pool", "Pool")
CLIENT = Param("client", "client", "Client")
XMRIGCC_COMMANDS = [  # (XMRigCC word, label, dangerous, help, extra params, permission)
    ("START", "Start", False, "Sticky: the miner mines until STOP.", (), ""),
    ("STOP", "Stop", False, "Sticky: the miner stays paused until START.", (), ""),
    ("RESTART", "Restart", True, "Once: the miner restarts (its uptime resets).", (), ""),
    ("SHUTDOWN", "Shut down", True, "Once: the miner exits and shows offline.", (), ""),
    ("REBOOT", "Reboot machine", True, "Once: the miner runs its reboot command.", (), ""),
    ("UPDATE_CONFIG", "Send config", False, "Once: the miner fetches its config from the server.", (), ""),
    ("PUBLISH_CONFIG", "Fetch config", False, "Once: the miner uploads its config to the server.", (), ""),
    ("UPDATE", "Update miner", True, "Once: the miner downloads the server's update and restarts.", (), ""),
    ("EXECUTE", "Run script", True, "Once: runs a shell script on the miner's machine.",
     (Param("script", "script", "Shell script"),), "rigs.execute_scripts"),
    ("REMOVE", "Remove from list", True, "Forgets the client until it reports again.", (), ""),
]
STRATEGIES = (("0", "Failover"), ("1", "Round Robin"), ("2", "Rotate"), ("3", "Load Balance"), ("4", "Balance"))


def _device_commands():
    out = []
    for kind in ("ASC", "PGA", "GPU"):
        low = kind.lower()
        dev = Param("device", "device", kind)
        out.append(Command(f"{low}enable", f"Enable {kind}", "device", (dev,), (kind,)))
        out.append(Command(f"{low}disable", f"Disable {kind}", "device", (dev,), (kind,)))
        if kind == "GPU":
            out.append(Command("gpurestart", "Restart GPU", "device", (dev,), (kind,), dangerous=True))
        else:
            out.append(Command(f"{low}identify", f"Identify {kind}", "device", (dev,), (kind,),
                               help="Flashes the device's LED, where the driver supports it."))
            out.append(Command(f"{low}set", f"{kind} setting", "device",
                               (dev, Param("option", "text", "Option (help lists them)"),
                                Param("value", "text", "Value", required=False)), (kind,),
                               help="option 'help' asks the device for its options."))
    gpu = Param("device", "device", "GPU")
    out += [
        Command("gpuintensity", "GPU intensity", "device", (gpu, Param("intensity", "intensity", "Intensity (D or 8-31)")), ("GPU",)),
        Command("gpumem", "GPU memory clock", "device", (gpu, Param("mhz", "int", "Memory clock MHz", 0, 9999)), ("GPU",), dangerous=True),
        Command("gpuengine", "GPU engine clock", "device", (gpu, Param("mhz", "int", "Engine clock MHz", 0, 9999)), ("GPU",), dangerous=True),
        Command("gpufan", "GPU fan", "device", (gpu, Param("percent", "int", "Fan %", 0, 100)), ("GPU",)),
        Command("gpuvddc", "GPU voltage", "device", (gpu, Param("volts", "float", "Volts", 0.5, 1.5)), ("GPU",), dangerous=True),
    ]
    return out


COMMANDS = {c.name: c for c in [
    Command("switchpool", "Switch to", "pool", (POOL,), help="Moves the pool to priority 0."),
    Command("enablepool", "Enable", "pool", (POOL,)),
    Command("disablepool", "Disable", "pool", (POOL,)),
    Command("removepool", "Remove", "pool", (POOL,), dangerous=True),
    Command("poolpriority", "Pool priorities", "pool", (Param("order", "pools", "Pools in order, e.g. 2,0,1"),)),
    Command("poolquota", "Pool quota", "pool", (POOL, Param("quota", "int", "Quota", 0, 9999))),
    Command("addpool", "Add pool", "pool", (
        Param("url", "url", "URL"), Param("user", "text", "User"), Param("password", "secret", "Password"),
        Param("name", "text", "Name (sgminer)", required=False), Param("description", "text", "Description (sgminer)", required=False),
        Param("profile", "text", "Profile (sgminer)", required=False), Param("algorithm", "text", "Algorithm (sgminer)", required=False))),
    Command("changestrategy", "Pool strategy", "pool", (
        Param("strategy", "choice", "Strategy", choices=STRATEGIES),
        Param("interval", "int", "Rotate interval (minutes)", 0, 9999, required=False))),
    *_device_commands(),
    Command("pause", "Pause mining", "miner", rig_kinds=("xmrig",)),
    Command("resume", "Resume mining", "miner", rig_kinds=("xmrig",)),
    Command("save", "Save config", "miner", (Param("filename", "text", "File (default: the miner's)", required=False),)),
    Command("restart", "Restart", "miner", dangerous=True, rig_kinds=("cgminer", "ckpool"),
            help="ckpool restarts by handing its connections over to a new process."),
    Command("quit", "Quit miner", "miner", dangerous=True, help="The miner stops until something restarts it."),
    Command("zero", "Zero statistics", "miner", (
        Param("which", "choice", "Which", choices=(("all", "All"), ("bestshare", "Best share"))),
        Param("summary", "bool", "With summary")), dangerous=True),
    Command("failover-only", "Failover only", "miner", (Param("enabled", "bool", "Failover only"),)),
    Command("setconfig", "Set config", "miner", (
        Param("name", "choice", "Setting", choices=(("queue", "queue"), ("scantime", "scantime"), ("expiry", "expiry"))),
        Param("value", "int", "Value", 0, 9999))),
    Command("hotplug", "Hotplug interval", "miner", (Param("seconds", "int", "Seconds (0 disables)", 0, 9999),)),
    Command("debug", "Debug setting", "miner", (Param("setting", "choice", "Toggle", choices=(
        ("s", "Silent"), ("q", "Quiet"), ("v", "Verbose"), ("d", "Debug"), ("r", "RPCProto"),
        ("p", "PerDevice"), ("w", "WorkTime"), ("n", "Normal (all off)"))),)),
    # ckpool: its listener's commands (shared/PROTOCOLS.md 1.3)
    # every one is confirmed: a pool's settings reach all its miners
    Command("loglevel", "Log level", "pool", (Param("level", "int", "Level (0 emergency ... 5 notice ... 7 debug)", 0, 7),),
            rig_kinds=("ckpool",), dangerous=True),
    Command("accept", "Accept miners", "pool", rig_kinds=("ckpool",), dangerous=True,
            help="New stratum connections are accepted."),
    Command("reject", "Reject miners", "pool", rig_kinds=("ckpool",), dangerous=True,
            help="New stratum connections are refused until 'Accept miners'."),
    Command("reconnect", "Reconnect all miners", "pool", rig_kinds=("ckpool",), dangerous=True,
            help="Every connected miner is told to reconnect."),
    Command("resetshares", "Reset shares", "pool", rig_kinds=("ckpool",), dangerous=True,
            help="Zeroes accepted, rejected and best shares of the pool, every user and worker."),
    Command("shutdown", "Shut down", "pool", rig_kinds=("ckpool",), dangerous=True,
            help="ckpool exits and stays down until something starts it."),
    # XMRigCC server: commands for one client, stored by the server and delivered at the miner's next report
    *[Command(f"cc{word.lower().replace('_', '')}", label, "client", (CLIENT, *extra), rig_kinds=("xmrigcc-server",),
              dangerous=dangerous, help=help_, permission=perm)
      for word, label, dangerous, help_, extra, perm in XMRIGCC_COMMANDS],
]}

URL_SCHEMES = ("stratum+tcp://", "stratum+ssl://", "http://", "https://")
SECRET = "•••"


class Invalid(ValueError):
    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def pool_ids(sections):
    return {int(n) for p in sections.get("POOLS") or [] if isinstance(p, dict)
            for n in [as_number(p.get("POOL"))] if n is not None}


def client_ids(sections):
    return {str(c.get("Client")) for c in sections.get("CLIENTS") or [] if isinstance(c, dict) and c.get("Client")}


def device_ids(sections, kind):
    ids = set()
    for d in sections.get("DEVS") or []:
        if isinstance(d, dict) and kind in d and as_number(d[kind]) is not None:
            ids.add(int(as_number(d[kind])))
    return ids


def clean(command, values, sections):
    """Validate form values against the command and the rig's latest snapshot.

    Returns the cleaned values {param: value}; raises Invalid({param: message}).
    """
    errors, out = {}, {}
    for p in command.params:
        value = values.get(p.name)
        raw = "" if value is None else str(value).strip()  # a numeric 0 is a value, not a missing one
        if not raw:
            if p.required and p.kind != "bool":
                errors[p.name] = "required"
            out[p.name] = False if p.kind == "bool" else None
            continue
        try:
            out[p.name] = _clean_one(p, raw, command, sections)
        except ValueError as exc:
            errors[p.name] = str(exc)
    if errors:
        raise Invalid(errors)
    return out


def _clean_one(p, raw, command, sections):
    if p.kind in ("int", "pool", "device"):
        try:
            n = int(raw)
        except ValueError:
            raise ValueError(f"'{raw}' is not a whole number") from None
        if p.kind == "pool":
            known = pool_ids(sections)
            if n not in known:
                raise ValueError(f"the rig has no pool {n}" + (f" (pools: {', '.join(map(str, sorted(known)))})" if known else ""))
        elif p.kind == "device":
            known = device_ids(sections, command.device_kind())
            if n not in known:
                raise ValueError(f"the rig has no {command.device_kind()} {n}")
        elif (p.lo is not None and n < p.lo) or (p.hi is not None and n > p.hi):
            raise ValueError(f"must be between {p.lo:g} and {p.hi:g}")
        return n
    if p.kind == "float":
        try:
            f = float(raw)
        except ValueError:
            raise ValueError(f"'{raw}' is not a number") from None
        if not (p.lo <= f <= p.hi):
            raise ValueError(f"must be between {p.lo:g} and {p.hi:g}")
        return f
    if p.kind == "pools":
        try:
            order = [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise ValueError("a comma-separated list of pool numbers") from None
        known = pool_ids(sections)
        if not order or len(set(order)) != len(order) or not set(order) <= known:
            raise ValueError(f"each pool once, from {sorted(known)}")
        return order
    if p.kind == "intensity":
        if raw.upper() == "D":
            return "D"
        if raw.isascii() and raw.isdigit() and 8 <= int(raw) <= 31:
            return raw
        raise ValueError("D (dynamic) or 8 to 31")
    if p.kind == "choice":
        if raw not in {c for c, _ in p.choices}:
            raise ValueError(f"one of {', '.join(c for c, _ in p.choices)}")
        return raw
    if p.kind == "bool":
        return raw.lower() in ("1", "true", "on", "yes", "y")
    if p.kind == "url":
        if not raw.startswith(URL_SCHEMES) or len(raw) < 12 or any(c.isspace() for c in raw):
            raise ValueError("a pool URL such as stratum+tcp://pool.example.com:3333")
        return raw
    if p.kind == "client":
        known = client_ids(sections)
        if raw not in known:
            raise ValueError("the server lists no such client")
        return raw
    if p.kind == "script":
        if len(raw) > 65536 or any(ord(c) < 32 and c not in "\n\r\t" for c in raw):
            raise ValueError("at most 64 KB of text")
        return raw.replace("\r\n", "\n")
    if len(raw) > 200 or any(ord(c) < 32 for c in raw):
        raise ValueError("at most 200 printable characters")
    return raw


def parameter(command, cleaned):
    """The API parameter string for cleaned values (None when the command takes none)."""
    if not command.params:
        return None
    name = command.name
    if name == "poolpriority":
        return ",".join(str(n) for n in cleaned["order"])
    parts = []
    for p in command.params:
        v = cleaned.get(p.name)
        if v is None:
            continue
        if p.kind == "bool":
            v = "true" if v else "false"
        parts.append(escape_param(v) if p.kind in ("text", "url", "secret") else str(v))
    return ",".join(parts) if parts else None


def redacted(command, cleaned):
    """The values for the audit log, secrets replaced."""
    return {p.name: (SECRET if p.kind == "secret" and cleaned.get(p.name) else cleaned.get(p.name))
            for p in command.params if cleaned.get(p.name) not in (None, "")}


def for_rig(sections, rig_kind="cgminer"):
    """The commands that apply to a rig, given its kind and devices."""
    kinds = {k for d in sections.get("DEVS") or [] if isinstance(d, dict) for k in ("ASC", "PGA", "GPU") if k in d}
    return [c for c in COMMANDS.values() if rig_kind in c.rig_kinds and (not c.kinds or set(c.kinds) & kinds)]
