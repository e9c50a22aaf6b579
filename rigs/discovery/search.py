"""Finding rigs: cgminer's multicast discovery (miner.php's $mcast) and a bounded scan.

Multicast, as cgminer's api.c and miner.php do it (../shared/MINERPHP.md): bind a UDP
socket on the listen port (4027), send ``cgminer-<code>-<listen port>`` to the group
(224.0.0.75:4028) once and ``retries`` more times, and collect for ``timeout``
seconds the replies ``cgm-FTW-<api port>[-<description>]`` (NUL-terminated); a rig
is the reply's source address plus that API port. The scan asks `version` of every
address of a private range, a bounded number at a time. In both, only an address
that answers a valid `version` reply is a rig. Plain Python: no Django here.
"""

import asyncio
import ipaddress
import re
import select
import socket
import time
from dataclasses import dataclass

from rigs import drivers

MCAST_ADDR, MCAST_PORT, MCAST_CODE, LISTEN_PORT, MCAST_TIMEOUT = "224.0.0.75", 4028, "FTW", 4027, 1.5
REPLY = re.compile(r"^cgm-FTW-(\d{1,5})(?:-(.*))?$", re.S)
MAX_DESCRIPTION = 64
SCAN_LIMIT = 1024        # addresses per scan
SCAN_CONCURRENCY = 64    # addresses asked at once
SCAN_TIMEOUT = 1.5       # seconds per address


class DiscoveryError(Exception):
    """Discovery could not run (bad range, socket refused); the message says why."""


@dataclass
class Found:
    host: str
    port: int
    description: str = ""
    version: str | None = None  # what answered, as its driver's detect() describes it; None: nothing valid
    kind: str = "cgminer"  # the kind of rig that answered (rigs/drivers/)

    @property
    def name(self):
        return self.description or (f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}")


def check_code(code):
    if not re.fullmatch(r"[A-Za-z0-9_.]{1,32}", code or ""):
        raise DiscoveryError("the code is 1 to 32 letters, digits, '_' or '.' (cgminer splits the message on '-')")
    return code


def request(code, listen_port):
    return f"cgminer-{check_code(code)}-{listen_port}".encode()


def parse_reply(data):
    """b'cgm-FTW-4028-rigA\\0' -> (4028, 'rigA'); None for anything else."""
    text = data.split(b"\0", 1)[0].decode("utf-8", errors="replace")
    m = REPLY.match(text)
    if not m or not 1 <= int(m.group(1)) <= 65535:
        return None
    description = "".join(ch for ch in (m.group(2) or "") if ch.isprintable()).strip()[:MAX_DESCRIPTION]
    return int(m.group(1)), description


def mcast_listen(addr=MCAST_ADDR, port=MCAST_PORT, code=MCAST_CODE, listen_port=LISTEN_PORT,
                 timeout=MCAST_TIMEOUT, retries=0, expect=0):
    """Send the discovery message and collect the answers: [Found] in address order, no duplicates.

    Like miner.php, it stops retrying once ``expect`` rigs answered (0: send retries+1 times)."""
    try:
        group = ipaddress.IPv4Address(addr)
    except ValueError:
        raise DiscoveryError(f"{addr} is not an IPv4 address") from None
    if not group.is_multicast:
        raise DiscoveryError(f"{addr} is not a multicast address (224.0.0.0/4)")
    message = request(code, listen_port)
    found = {}
    try:
        listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError as exc:
        raise DiscoveryError(f"cannot open a UDP socket: {exc.strerror}") from None
    with listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("0.0.0.0", listen_port))
        except OSError as exc:
            raise DiscoveryError(f"cannot listen on UDP port {listen_port}: {exc.strerror} "
                                 "(another discovery running? choose --listen-port)") from None
        for _ in range(max(0, retries) + 1):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
                try:
                    sender.sendto(message, (addr, port))
                except OSError as exc:
                    raise DiscoveryError(f"cannot send to {addr}:{port}: {exc.strerror} "
                                         "(no multicast route on this machine?)") from None
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                ready, _, _ = select.select([listener], [], [], left)
                if not ready:
                    break
                data, (host, _) = listener.recvfrom(1024)
                reply = parse_reply(data)
                if reply:
                    found.setdefault((host, reply[0]), Found(host, reply[0], reply[1]))
            if expect and len(found) >= expect:
                break
    return sorted(found.values(), key=lambda f: (ipaddress.ip_address(f.host), f.port))


def scan_targets(cidr, port, allow_public=False, limit=SCAN_LIMIT):
    """The addresses of ``cidr`` to ask; DiscoveryError for a range too large or public."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise DiscoveryError(f"{cidr!r} is not an address range such as 192.168.1.0/24") from None
    if net.num_addresses > limit:
        raise DiscoveryError(f"{net} has {net.num_addresses} addresses; a scan asks at most {limit} "
                             f"(split the range, or raise the limit with --limit)")
    if not (net.is_private or net.is_loopback or net.is_link_local) and not allow_public:
        raise DiscoveryError(f"{net} is not a private range: scanning other people's addresses is refused "
                             "(--allow-public if it really is your farm)")
    if not 1 <= port <= 65535:
        raise DiscoveryError(f"the port {port} is not from 1 to 65535")
    hosts = list(net.hosts()) if net.num_addresses > 2 else list(net)
    return [str(h) for h in hosts]


async def identify(found, timeout, concurrency=SCAN_CONCURRENCY):
    """Ask each Found what it is (bounded concurrency), each kind's detect() in the drivers' order;
    sets .kind and .version. Returns the list."""
    gate = asyncio.Semaphore(concurrency)

    async def one(f):
        async with gate:
            found = await drivers.detect(f.host, f.port, connect_timeout=timeout, timeout=timeout,
                                         max_reply=256 * 1024)
            if found:
                f.kind, f.version = found

    await asyncio.gather(*(one(f) for f in found))
    return found


async def scan(cidr, port=4028, allow_public=False, limit=SCAN_LIMIT, concurrency=SCAN_CONCURRENCY,
               timeout=SCAN_TIMEOUT):
    """[Found] for the addresses of ``cidr`` whose ``port`` answers a valid `version` reply."""
    targets = scan_targets(cidr, port, allow_public, limit)
    found = await identify([Found(h, port) for h in targets], timeout, min(concurrency, SCAN_CONCURRENCY * 4))
    return [f for f in found if f.version]


async def mcast(timeout_version=SCAN_TIMEOUT, **options):
    """Multicast discovery, then `version` asked of each answer."""
    found = await asyncio.to_thread(mcast_listen, **options)
    return await identify(found, timeout_version)
