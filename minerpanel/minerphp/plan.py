"""What a myminer.php means for MinerPanel: miner.php's settings read by php_reader, as a plan.

    plan = translate(php_reader.read(text), known_fields)

A Plan holds the rigs, accounts and custom pages to create (pages in the form
exportpages/importpages use, each built by pages.py), the environment lines
that carry the settings, notes (what is skipped and why) and problems (what stops
the import). Plain Python: no Django here.
"""

import ipaddress
import re
import shlex

from custompages.builtin import MINERPHP

from . import php_reader
from .pages import page_entry

PAGE_VARIABLES = ("customsummarypages", "user_pages", "sys_pages")
# miner.php's $sys_pages that the panel has as built-in pages, under the same names
BUILTIN_PAGES = {page["name"]: page for page in MINERPHP}
# the built-in pages only Kano's newer miner.php has (v42 and later; Gekko* in cgminer 4.12)
KANO_ONLY = {"Avalon": "Avalon miners", "Avalons": "Avalon modules by state", "S9": "Antminer S9 chains",
             "Gekko": "GekkoScience sticks", "GekkoChips": "GekkoScience chips"}
# settings of Kano's page colouring functions, which the panel does not run
KANO_SETTINGS = {"avatmaxmed", "avatmaxhi", "avatempmed", "avatemphi", "avaghsmmmin", "s9tempmed", "s9temphi",
                 "s9chainmin", "s9acn", "ect"}
TIERS = ("sys", "usr")

# miner.php setting -> (environment variable, how its value is written, miner.php's default)
ENV = {
    "readonly": ("READONLY", "bool", False),
    "checklastshare": ("CHECK_LAST_SHARE", "bool", True),
    "poolinputs": ("POOL_INPUTS", "bool", False),
    "notify": ("NOTIFY", "bool", True),
    "socksndtimeoutsec": ("RIG_CONNECT_TIMEOUT", "seconds", 10),
    "sockrcvtimeoutsec": ("RIG_TIMEOUT", "seconds", 40),
    "autorefresh": ("REFRESH_DEFAULT", "seconds", 0),
    "changerefresh": ("REFRESH_CHANGEABLE", "bool", True),
    "title": ("PANEL_TITLE", "text", "Mine"),
    "dfmt": ("DATETIME_FORMAT_CELLS", "text", "H:i:s j-M-Y \\U\\T\\CP"),
    "rigtotals": ("RIG_TOTALS", "bool", True),
    "forcerigtotals": ("FORCE_RIG_TOTALS", "bool", False),
    "mcastexpect": ("MCAST_EXPECT", "count", 0),
    "mcastaddr": ("MCAST_ADDR", "text", "224.0.0.75"),
    "mcastport": ("MCAST_PORT", "count", 4028),
    "mcastcode": ("MCAST_CODE", "text", "FTW"),
    "mcastlistport": ("MCAST_LISTEN_PORT", "count", 4027),
    "mcasttimeout": ("MCAST_TIMEOUT", "seconds", 1.5),
    "mcastretries": ("MCAST_RETRIES", "count", 0),
}
NOT_NEEDED = {
    "rigipsecurity": "rig addresses are shown to logged-in users only, and errors never show socket internals",
    "ignorerefresh": "carried by REFRESH_DEFAULT/REFRESH_CHANGEABLE",
    "placebuttons": "the buttons live in the panel's header",
    "rigbuttons": "rigs are links in the rig bar",
    "rignames": "rigs without a name are named by their address",
    "allowgen": "formulas here are parsed, never run as code, so they are always allowed",
    "miner_font_family": "the panel has its own style sheet (light and dark)",
    "miner_font_size": "the panel has its own style sheet (light and dark)",
    "bad_font_family": "the panel has its own style sheet (light and dark)",
    "bad_font_size": "the panel has its own style sheet (light and dark)",
    "colouroverride": "the panel has its own style sheet (light and dark)",
    "doctype": "not a setting",
    "rigport": "used for the $rigs entries without a port",
    "mcast": "see DISCOVERY",
    "allowcustompages": "custom pages are always on",
    "add_css_names": "the panel has its own style sheet (light and dark)",
    "mmcmd": "the command Kano's Avalon pages read their MM tables with, which are not imported",
    "per_proc": "the panel reads bfgminer's `procs`, always: its DEVS are the processors, with their ProcID",
}
READ = {"rigs", "userlist", "hidefields", "mcast", "rigport", "allowcustompages", *PAGE_VARIABLES, *ENV, *NOT_NEEDED,
        *KANO_SETTINGS}
# miner.php's own helpers that a copied miner.php assigns: not settings, read nothing from them
MINERPHP_INTERNALS = {"here", "tablebegin", "tableend", "warnfont", "warnoff", "colourtable", "miner", "port",
                      "rigips", "showndate", "rigerror", "rownum", "ses", "haderror", "error", "mobilepage",
                      "mobilesum", "statspage", "statssum", "poolspage", "poolssum", "poolsext", "syspage", "syssum",
                      "devnotpage", "devnotsum", "devdetpage", "devdetsum", "protopage", "protosum", "protoext",
                      "kanogenpage", "kanogensum", "kanogenext", "avalonmmflds", "avalonpage", "avalonsum",
                      "avalonext", "avalonspage", "avalonsmmsum", "avalonssum", "avalonsmmggen", "avalonsext",
                      "s9page", "s9sum", "s9ext"}


class Plan:
    def __init__(self):
        self.rigs = []        # {"name", "host", "port", "line"}
        self.users = []       # {"name", "password", "tier", "line"}
        self.public = []      # page names from $userlist['def']
        self.pages = []       # importpages entries
        self.builtins = []    # names of the panel's built-in pages the file shows ('Kano' => 1)
        self.env = []         # (KEY, value)
        self.notes = []       # what is skipped or changed, and why
        self.problems = []    # what stops the import
        self.discovery = False

    def env_lines(self):
        return [f"{key}={quote(value)}" for key, value in self.env]


def quote(value):
    return value if re.fullmatch(r"[A-Za-z0-9_.,:/@%+-]*", value) else shlex.quote(value)


def at(result, name):
    line = result.lines.get(name)
    return f"line {line}: " if line else ""


def translate(result, known=()):
    plan = Plan()
    plan.known = set(known)
    for line, why, name in result.problems:
        if name and name not in READ:
            plan.notes.append(f"line {line}: ${name} skipped ({why}); it is not a miner.php setting")
        else:
            plan.problems.append(f"line {line}: {why}")
    for line, why in result.skipped:
        plan.notes.append(f"line {line}: {why}")
    values = result.values
    for name in values:
        if name not in READ and name not in MINERPHP_INTERNALS and name not in result.used:
            plan.notes.append(f"{at(result, name)}${name} is not a miner.php setting: ignored")
        elif name in NOT_NEEDED and name not in ("rigport", "mcast", "allowcustompages", "doctype"):
            plan.notes.append(f"{at(result, name)}${name}: not needed ({NOT_NEEDED[name]})")
        elif name in KANO_SETTINGS and name not in result.used:
            plan.notes.append(f"{at(result, name)}${name}: a setting of the PHP functions that colour Kano's "
                              "Avalon and S9 pages, which the panel does not run: ignored")
    rigs(plan, result)
    settings(plan, result)
    if values.get("allowcustompages", True) is False:
        plan.notes.append(f"{at(result, 'allowcustompages')}$allowcustompages is false: miner.php shows no "
                          "custom pages, so none is imported")
    else:
        pages(plan, result)
    users(plan, result)
    return plan


# ---------------------------------------------------------------- rigs


def split_rig(entry, default_port):
    """'host[:port[:name]]', IPv6 in brackets -> (host, port, name); ValueError says why."""
    entry = entry.strip()
    if entry.startswith("["):
        host, sep, rest = entry[1:].partition("]")
        if not sep:
            raise ValueError("an IPv6 address needs its closing ']'")
        if rest and not rest.startswith(":"):
            raise ValueError("expected ':' after the ']'")
        port, _, name = rest[1:].partition(":")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"'{host}' in brackets is not an IPv6 address") from None
    else:
        host, _, rest = entry.partition(":")
        port, _, name = rest.partition(":")
        if "::" in entry:
            raise ValueError("write an IPv6 address in brackets: [::1]:4028")
    if not host:
        raise ValueError("no host")
    port = port.strip() or str(default_port)
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"the port {port!r} is not a number from 1 to 65535")
    return host, int(port), name.strip()


def rigs(plan, result):
    values = result.values
    if "rigs" not in values:
        return
    listed = values["rigs"]
    if values.get("mcast") is True:
        plan.notes.append(f"{at(result, 'rigs')}$mcast is true, so miner.php ignores $rigs: no rig is imported "
                          "from it; run `manage.py discover --mcast --register` (or Discover rigs in the admin)")
        return
    if isinstance(listed, str):
        listed = {0: listed}
    if not isinstance(listed, dict):
        plan.problems.append(f"{at(result, 'rigs')}$rigs is not an array")
        return
    default_port = values.get("rigport", 4028)
    seen = set()
    for entry in listed.values():
        if not isinstance(entry, str):
            plan.problems.append(f"{at(result, 'rigs')}the $rigs entry {entry!r} is not a string")
            continue
        try:
            host, port, name = split_rig(entry, default_port)
        except ValueError as exc:
            plan.problems.append(f"{at(result, 'rigs')}the rig '{entry}': {exc}")
            continue
        if (host, port) in seen:
            plan.notes.append(f"{at(result, 'rigs')}the rig '{entry}' is listed twice: imported once")
            continue
        seen.add((host, port))
        plan.rigs.append({"name": name or (f"[{host}]:{port}" if ":" in host else f"{host}:{port}"),
                          "host": host, "port": port, "entry": entry})


# ---------------------------------------------------------------- settings


def env_value(kind, value):
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("seconds", "count"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("is not a number")
        return str(int(value)) if float(value).is_integer() else str(value)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError("is not text")
    return php_reader.php_str(value)


def settings(plan, result):
    values = result.values
    env = {}
    for var, (key, kind, default) in ENV.items():
        if var not in values or values[var] == default:
            continue
        if var.startswith("mcast") and values.get("mcast") is not True:
            plan.notes.append(f"{at(result, var)}${var}: used with $mcast only, which is off")
            continue
        try:
            env[key] = env_value(kind, values[var])
        except ValueError as exc:
            plan.problems.append(f"{at(result, var)}${var} {exc}")
    if values.get("ignorerefresh") is True:
        env["REFRESH_DEFAULT"], env["REFRESH_CHANGEABLE"] = "0", "false"
    if "DATETIME_FORMAT_CELLS" in env and "P" in env["DATETIME_FORMAT_CELLS"].replace("\\P", ""):
        plan.notes.append(f"{at(result, 'dfmt')}$dfmt: PHP's P (+00:00) is written O (+0000) in the panel's formats")
        env["DATETIME_FORMAT_CELLS"] = re.sub(r"(?<!\\)P", "O", env["DATETIME_FORMAT_CELLS"])
    hide = values.get("hidefields")
    if isinstance(hide, dict) and hide:
        names = [str(k) for k, on in hide.items() if on]
        if any("," in n for n in names):
            plan.problems.append(f"{at(result, 'hidefields')}a $hidefields name contains a comma")
        elif names:
            env["HIDE_FIELDS"] = ",".join(names)
    elif hide not in (None, {}):
        plan.problems.append(f"{at(result, 'hidefields')}$hidefields is not an array of 'SECTION.Field' => 1")
    if values.get("mcast") is True:
        env["DISCOVERY"] = "mcast"
        plan.discovery = True
    plan.env = sorted(env.items())


# ---------------------------------------------------------------- accounts


def users(plan, result):
    userlist = result.values.get("userlist")
    if userlist is None:
        if "userlist" in result.values:
            plan.notes.append(f"{at(result, 'userlist')}$userlist is null: miner.php asks no login; the panel always "
                              "does (create accounts with `manage.py createuser`)")
        return
    if not isinstance(userlist, dict):
        plan.problems.append(f"{at(result, 'userlist')}$userlist is not an array")
        return
    for tier, members in userlist.items():
        if tier == "def":
            names = list(members.values()) if isinstance(members, dict) else [members]
            plan.public = [str(n) for n in names if isinstance(n, (str, int))]
            continue
        if tier not in TIERS:
            plan.notes.append(f"{at(result, 'userlist')}$userlist['{tier}'] is not a tier (sys, usr, def): ignored")
            continue
        if not isinstance(members, dict):
            plan.problems.append(f"{at(result, 'userlist')}$userlist['{tier}'] is not an array of 'name' => 'password'")
            continue
        for name, password in members.items():
            if not isinstance(password, (str, int)) or isinstance(password, bool):
                plan.problems.append(f"{at(result, 'userlist')}the password of '{name}' is not text")
                continue
            plan.users.append({"name": str(name), "password": php_reader.php_str(password), "tier": tier})


# ---------------------------------------------------------------- pages


def resolve(name, spec, values):
    """What miner.php's getcsp() shows for $customsummarypages[name]: (definition, where from),
    ("builtin", None) for the panel's page of that name, or (None, why it is skipped)."""
    if isinstance(spec, dict):
        return spec, None
    if spec is None:
        return None, "is null (miner.php shows no such page)"
    for var in ("user_pages", "sys_pages"):  # miner.php looks in $user_pages first
        defined = values.get(var)
        if isinstance(defined, dict) and isinstance(defined.get(name), dict):
            if var == "sys_pages" and name in BUILTIN_PAGES:
                return "builtin", None  # the file's copy of a page the panel has as miner.php's own
            return defined[name], f"${var}['{name}']"
    if name in BUILTIN_PAGES:
        return "builtin", None
    if name in KANO_ONLY:
        return None, (f"is a built-in page of Kano's newer miner.php ({KANO_ONLY[name]}) that the panel has no "
                      "equivalent for, and its definition is not in this file: skipped (import that miner.php "
                      "itself to carry its $sys_pages, or build the page in the admin)")
    return None, "names no page of $user_pages or of miner.php's built-in pages: skipped, as miner.php does"


def pages(plan, result):
    values = result.values
    value = values.get("customsummarypages")
    if value is None:
        return
    if not isinstance(value, dict):
        plan.problems.append(f"{at(result, 'customsummarypages')}$customsummarypages is not an array of pages")
        return
    where = at(result, "customsummarypages")
    for name, spec in value.items():
        name = str(name)
        spec, source = resolve(name, spec, values)
        if spec == "builtin":
            plan.builtins.append(name)
            continue
        if spec is None:
            plan.notes.append(f"{where}the page '{name}' {source}")
            continue
        if source:
            plan.notes.append(f"{where}the page '{name}' => {php_reader.php_str(value[name])}: imported from {source}")
        try:
            entry = page_entry(name, spec, plan.known, plan.notes, 100 + 10 * len(plan.pages))
        except ValueError as exc:
            plan.problems.append(f"{where}the page '{name}' {exc}" if "is not" in str(exc) or
                                 str(exc).startswith("has") else f"{where}the page '{name}': {exc}")
            continue
        if name == "Summary":
            plan.notes.append(f"{where}the page 'Summary' replaced miner.php's default page: it is imported "
                              "as the Summary page, which / shows (the fixed tables stay at /overview/)")
        plan.pages.append(entry)
    user = values.get("user_pages")
    unused = [str(n) for n in user if n not in value] if isinstance(user, dict) else []
    if unused:
        plan.notes.append(f"{at(result, 'user_pages')}$user_pages {', '.join(repr(n) for n in unused)}: not listed "
                          "in $customsummarypages, so miner.php shows them nowhere: not imported")
