"""The files ckpool rewrites in place every minute, read and retried.

    pool, users, notes = read_logs(logdir)

``logs/pool/pool.status`` (three JSON lines) and ``logs/users/<user>`` (one JSON
object each, with its workers). ckpool truncates and rewrites them, so a read can
catch one half-written: it is retried, then the last good reading is shown. Also
parse_rate (ckpool's hashrate strings) and permission_help (the message when the
panel may not open ckpool's directories, for its sockets as for its files).
"""

import grp
import json
import os
import pwd
import re
import stat
import time
from typing import Any

from . import fastjson
from .cgminer.repair import check_nesting
from .errors import BadReplyError, ConnectError, RigError

MAX_FILE = 1 << 20
MAX_USERS = 5000
FILE_TRIES = 5


def permission_help(path):
    directory = os.path.dirname(path)
    try:
        st = os.stat(directory)
        group, mode = grp.getgrgid(st.st_gid).gr_name, f"{stat.S_IMODE(st.st_mode):04o}"
    except (OSError, KeyError):
        group, mode = "ckpool's group", "not readable"
    try:
        user = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        user = str(os.geteuid())
    return (f"permission denied on {path}: {directory} is mode {mode}, group '{group}', and the panel runs as "
            f"'{user}'. Add that user to the group (usermod -aG {group} {user}) and restart the panel, or create "
            f"{directory} with group {group} and mode 2770 before ckpool starts (ckpool keeps an existing directory).")


_RATE = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.?)")
SUFFIX = {"K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}


def parse_rate(value):
    """A ckpool hashrate string ("1.23T", "87.4M", "1e+03G", "523") in H/s, as ckpool
    reads them back: the leading number, times 1000^k for a suffix. None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    m = _RATE.match(value)
    if not m:
        return None
    return float(m.group(1)) * SUFFIX.get(m.group(2).upper(), 1.0)


def parse_pool_status(raw):
    """The three JSON lines of pool.status, merged; ValueError while half-written."""
    lines = [ln for ln in raw.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    if len(lines) < 3:
        raise ValueError("fewer than three lines")
    merged = {}
    for ln in lines[:3]:
        obj = json.loads(check_nesting(ln), parse_int=fastjson.rig_int)
        if not isinstance(obj, dict):
            raise ValueError("a line is not an object")
        merged.update(obj)
    return merged


def parse_user(raw):
    obj = json.loads(check_nesting(raw).decode("utf-8", errors="replace"), parse_int=fastjson.rig_int)
    if not isinstance(obj, dict):
        raise ValueError("not an object")
    return obj


# The last good reading of each file: ckpool truncates and rewrites them in place, so
# a reader can catch one empty or half-written. After a few tries we show the last one.
_LAST_GOOD: dict[str, Any] = {}  # path -> its last whole reading


def read_file(path, parse, tries=FILE_TRIES, pause=0.05):
    """(data, note): the parsed file, retried while ckpool rewrites it."""
    for attempt in range(tries):
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE + 1)
        if len(raw) > MAX_FILE:
            raise BadReplyError(f"{path} is larger than {MAX_FILE // 1024} KB")
        try:
            data = parse(raw)
        except ValueError:
            if attempt + 1 < tries:
                time.sleep(pause)
            continue
        _LAST_GOOD[path] = data
        return data, ""
    if path in _LAST_GOOD:
        return _LAST_GOOD[path], f"{os.path.basename(path)} was being rewritten; showing the previous reading"
    raise BadReplyError(f"{path} could not be read after {tries} tries (ckpool rewrites it every minute)")


def display_name(filename):
    """A file name as text, whatever bytes it holds."""
    return os.fsencode(filename).decode("utf-8", errors="replace")


def read_logs(logdir):
    """(pool, [(user, data)], notes) from ckpool's logs directory. Blocking: run in a thread."""
    notes = []
    status_path = os.path.join(logdir, "pool", "pool.status")
    try:
        pool, note = read_file(status_path, parse_pool_status)
    except FileNotFoundError:
        raise ConnectError(f"{status_path} does not exist: is the rig's logs directory ckpool's logdir?") from None
    except PermissionError:
        raise ConnectError(permission_help(status_path)) from None
    if note:
        notes.append(note)
    users = []
    users_dir = os.path.join(logdir, "users")
    try:
        entries = sorted(e.name for e in os.scandir(users_dir) if e.is_file() and not e.name.startswith("."))
    except FileNotFoundError:
        entries = []
    except PermissionError:
        raise ConnectError(permission_help(os.path.join(users_dir, "x"))) from None
    if len(entries) > MAX_USERS:
        notes.append(f"{len(entries)} user files; showing the first {MAX_USERS}")
        entries = entries[:MAX_USERS]
    for name in entries:
        try:
            data, note = read_file(os.path.join(users_dir, name), parse_user)
        except (OSError, RigError) as exc:
            reason = exc.message if isinstance(exc, RigError) else exc.strerror
            notes.append(f"user file {display_name(name)}: {reason}")
            continue
        if note:
            notes.append(note)
        users.append((display_name(name), data))
    return pool, users, notes
