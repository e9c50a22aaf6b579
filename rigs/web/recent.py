"""Results computed by whoever asks first and shared for a while by every web process (the API's whole
custom pages): a flood of requests is one computation, and no request waits for another's."""

import hashlib
import logging
import time

from django.core.cache import cache

log = logging.getLogger("minerpanel.pages")
SPACE = ""  # the results are shared under this name (each test has its own: tests/conftest.py)


class Busy(Exception):
    """recent(): another process computes it and none was computed before; retry in ``after`` seconds."""

    def __init__(self, after):
        super().__init__(f"being computed; retry in {after} s")
        self.after = after


def recent(names, make, share=4):
    """``make()``'s result (picklable), computed by whoever asked first and kept in the shared cache for
    ``share`` times what computing it took: the API's whole custom pages, 30 s of a web process at 100,000
    rigs, are computed at most every two minutes however many ask (a flood of requests was as many
    computations, each of every rig). While one process computes it, the others are given the previous
    result, or Busy when there is none yet (a request never waits for another's computation). The cache
    down: computed each time."""
    key = f"recent:{SPACE}" + hashlib.blake2b(repr(names).encode(), digest_size=20).hexdigest()
    try:
        found = cache.get(key)  # (epoch computed, seconds it took, result)
        if found is not None and time.time() - found[0] < share * found[1]:
            return found[2]
        mine = cache.add(key + ":computing", 1, max(60, 2 * share * (found[1] if found else 30)))
    except Exception as exc:
        log.warning("shared results: the cache failed (%s: %s); computing without it", type(exc).__name__, exc)
        return make()
    if not mine:
        if found is not None:
            return found[2]
        raise Busy(10)
    try:
        started = time.monotonic()
        made = make()
        took = time.monotonic() - started
        try:
            cache.set(key, (time.time(), took, made), max(60, 2 * share * took))
        except Exception as exc:
            log.warning("shared results: the cache failed (%s: %s)", type(exc).__name__, exc)
        return made
    finally:
        try:
            cache.delete(key + ":computing")
        except Exception:
            pass
