"""The cgminer API's privileged commands (the (*) commands of its README), described for the
forms, validation and audit, and how a command's values become the API's parameter string."""

from ..described import POOL, Command, Param
from .protocol import escape_param

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
        Command("gpuintensity", "GPU intensity", "device",
                (gpu, Param("intensity", "intensity", "Intensity (D or 8-31)")), ("GPU",)),
        Command("gpumem", "GPU memory clock", "device", (gpu, Param("mhz", "int", "Memory clock MHz", 0, 9999)),
                ("GPU",), dangerous=True),
        Command("gpuengine", "GPU engine clock", "device", (gpu, Param("mhz", "int", "Engine clock MHz", 0, 9999)),
                ("GPU",), dangerous=True),
        Command("gpufan", "GPU fan", "device", (gpu, Param("percent", "int", "Fan %", 0, 100)), ("GPU",)),
        Command("gpuvddc", "GPU voltage", "device", (gpu, Param("volts", "float", "Volts", 0.5, 1.5)), ("GPU",),
                dangerous=True),
    ]
    return out


COMMANDS = (
    Command("switchpool", "Switch to", "pool", (POOL,), help="Moves the pool to priority 0."),
    Command("enablepool", "Enable", "pool", (POOL,)),
    Command("disablepool", "Disable", "pool", (POOL,)),
    Command("removepool", "Remove", "pool", (POOL,), dangerous=True),
    Command("poolpriority", "Pool priorities", "pool", (Param("order", "pools", "Pools in order, e.g. 2,0,1"),)),
    Command("poolquota", "Pool quota", "pool", (POOL, Param("quota", "int", "Quota", 0, 9999))),
    Command("addpool", "Add pool", "pool", (
        Param("url", "url", "URL"), Param("user", "text", "User"), Param("password", "secret", "Password"),
        Param("name", "text", "Name (sgminer)", required=False),
        Param("description", "text", "Description (sgminer)", required=False),
        Param("profile", "text", "Profile (sgminer)", required=False),
        Param("algorithm", "text", "Algorithm (sgminer)", required=False))),
    Command("changestrategy", "Pool strategy", "pool", (
        Param("strategy", "choice", "Strategy", choices=STRATEGIES),
        Param("interval", "int", "Rotate interval (minutes)", 0, 9999, required=False))),
    *_device_commands(),
    Command("save", "Save config", "miner",
            (Param("filename", "text", "File (default: the miner's)", required=False),)),
    Command("restart", "Restart", "miner", dangerous=True),
    Command("quit", "Quit miner", "miner", dangerous=True, help="The miner stops until something restarts it."),
    Command("zero", "Zero statistics", "miner", (
        Param("which", "choice", "Which", choices=(("all", "All"), ("bestshare", "Best share"))),
        Param("summary", "bool", "With summary")), dangerous=True),
    Command("failover-only", "Failover only", "miner", (Param("enabled", "bool", "Failover only"),)),
    Command("setconfig", "Set config", "miner", (
        Param("name", "choice", "Setting",
              choices=(("queue", "queue"), ("scantime", "scantime"), ("expiry", "expiry"))),
        Param("value", "int", "Value", 0, 9999))),
    Command("hotplug", "Hotplug interval", "miner", (Param("seconds", "int", "Seconds (0 disables)", 0, 9999),)),
    Command("debug", "Debug setting", "miner", (Param("setting", "choice", "Toggle", choices=(
        ("s", "Silent"), ("q", "Quiet"), ("v", "Verbose"), ("d", "Debug"), ("r", "RPCProto"),
        ("p", "PerDevice"), ("w", "WorkTime"), ("n", "Normal (all off)"))),)),
)


def parameter(command, cleaned):
    """The API parameter string for cleaned values (None when the command takes none)."""
    if not command.params:
        return None
    if command.name == "poolpriority":
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
