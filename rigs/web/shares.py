"""A table's totals as the sum of its rigs' shares, kept by differences: when a batch rewrites some rigs,
their old shares are taken away and the new ones added, so the totals of 100,000 rigs cost what the
batch's rigs cost. A share is {name: number}; names starting "max|" keep their largest value instead.

``sums`` holds {name: [total, contributors, float contributors]}: a total with no contributor is
None (a blank cell), and one of integers only stays an integer, as tables.sum_of has it.
"""

MAX = "max|"


def apply(sums, old, new):
    """Take ``old`` (a share, or None) away from ``sums`` and add ``new``; True when a largest value
    may have gone down (its holder's fell or left): then add_up() every share again. A name whose value
    is the same in both is left as it is (most of a rig's share, poll after poll)."""
    lowered = False
    old, new = old or {}, new or {}
    for name, value in old.items():
        slot = sums.get(name)
        if slot is None:
            continue
        was_float = value.__class__ is float
        if name in new:
            now = new[name]
            if now == value and (now.__class__ is float) == was_float:
                continue
            slot[2] += (now.__class__ is float) - was_float
            if name.startswith(MAX):
                if now < value and value >= slot[0]:
                    lowered = True
                slot[0] = max(slot[0], now)
            else:
                slot[0] += now - value
            continue
        slot[1] -= 1
        slot[2] -= was_float
        if name.startswith(MAX):
            if value >= slot[0] and slot[1] > 0:
                lowered = True
        else:
            slot[0] -= value
        if slot[1] <= 0:
            del sums[name]
    for name, value in new.items():
        if name in old and name in sums:
            continue
        slot = sums.get(name)
        if slot is None:
            sums[name] = [value, 1, int(value.__class__ is float)]
            continue
        slot[0] = max(slot[0], value) if name.startswith(MAX) else slot[0] + value
        slot[1] += 1
        slot[2] += value.__class__ is float
    return lowered


def add_up(shares):
    """The sums of these shares, added up afresh (no differences: no rounding left over)."""
    sums = {}
    for share in shares:
        apply(sums, None, share)
    return sums


def total(sums, name, default=None):
    slot = sums.get(name)
    if slot is None:
        return default
    value = slot[0]
    if slot[2] <= 0 and not name.startswith(MAX):
        return int(round(value))
    return value


def keys(sums, prefix):
    """The names' middle parts under ``prefix`` ("a|" -> the algorithms of "a|ALGO|n"), most common first."""
    found = {}
    for name, slot in sums.items():
        if name.startswith(prefix) and name.endswith("|n"):
            found[name[len(prefix):-2]] = slot[0]
    return sorted(found, key=lambda k: (-found[k], k))
