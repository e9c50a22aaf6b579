"""A lease per shard, so two `pollrigs` started for one shard never both poll.

healthchecks' sendalerts claims work by an atomic UPDATE; so does a poller: it
holds a shard while ``UPDATE ... WHERE owner = me OR expires < now`` changes one
row, with the database's clock (no skew between machines). The claim is renewed
inside the transaction of every write of snapshots, so a poller that lost its
shard (paused past the lease, a standby took over) writes nothing more. A clean
stop releases the lease at once. A poller killed with -9 leaves it to expire: a
standby elsewhere takes over within POLL_LEASE seconds, but a poller on the same
machine (hostname and PID namespace) sees the holder's process is gone and takes
it at once (a restart never waits for its own dead predecessor).
"""

import os
import secrets
import socket
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Now


def machine() -> str:
    """This machine as the owners name it: the hostname, and the PID namespace where there is one
    (two containers that share a hostname do not see each other's processes)."""
    try:
        return f"{socket.gethostname()}/{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return socket.gethostname()


def gone(owner: str | None) -> bool:
    """True when ``owner`` ("machine:pid:token") is a process of this machine that no longer runs."""
    host, _, rest = (owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != machine() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it runs, as another user
        return False
    return False


class Lost(Exception):
    """Another poller holds the shard now."""


def shard_name(shard: tuple[int, int] | None) -> str:
    return "all" if not shard else f"{shard[0]}/{shard[1]}"


class Lease:
    def __init__(self, shard: tuple[int, int] | None = None, ttl: float | None = None) -> None:
        self.shard = shard_name(shard)
        self.ttl = timedelta(seconds=ttl or settings.POLL_LEASE or max(30.0, 3 * settings.POLL_INTERVAL))
        self.owner = f"{machine()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.term = 0

    def claim(self) -> bool:
        """Take or renew the shard; True when this process holds it.

        ``term`` counts the times this process took the shard when it was not the last holder: while it
        stays the same, nobody else wrote the shard's snapshots (the poller's memory of them holds)."""
        from rigs.models import PollerLease

        lease = PollerLease.objects.filter(shard=self.shard)
        if lease.filter(owner=self.owner).update(expires=Now() + self.ttl):
            return True  # ours since our last claim, even if it ran out meanwhile: nobody else took it
        if lease.filter(expires__lt=Now()).update(owner=self.owner, expires=Now() + self.ttl):
            self.term += 1
            return True
        try:
            with transaction.atomic():
                PollerLease.objects.create(shard=self.shard, owner=self.owner, expires=Now() + self.ttl)
            self.term += 1
            return True
        except IntegrityError:  # it exists and is someone else's
            pass
        holder = self.holder()
        if gone(holder) and lease.filter(owner=holder).update(owner=self.owner, expires=Now() + self.ttl):
            self.term += 1  # a dead process of this machine held it: no need to wait for its lease to run out
            return True
        return False

    def renew(self) -> None:
        """For the write transaction: raise Lost unless this process still holds the shard."""
        if not self.claim():
            raise Lost(f"another poller ({self.holder()}) holds shard {self.shard}")

    def holder(self) -> str | None:
        from rigs.models import PollerLease

        return PollerLease.objects.filter(shard=self.shard).values_list("owner", flat=True).first()

    def release(self) -> None:
        from rigs.models import PollerLease

        PollerLease.objects.filter(shard=self.shard, owner=self.owner).update(expires=Now() - self.ttl)
