"""The farm answering multicast discovery as cgminer's mcast_thread does (api.c).

Each rig joins the group on the multicast port, accepts only a message
``cgminer-<its code>-<reply port>`` with a reply port from 1 to 65535, answers only
senders its --api-allow admits (a rig with access "deny" stays silent), and replies
to the sender's address and reply port ``cgm-FTW-<api port>-<description>`` and a
NUL (FTW whatever code was asked). Like cgminer, a rig ignores messages for a
second after each one it answered. One socket serves the farm; every rig answers
for itself, so the replies carry each rig's own API port.
"""

import asyncio
import logging
import socket
import struct
import time

log = logging.getLogger(__name__)
QUIET_AFTER_REPLY = 1.0  # cgminer sleeps 1 s between reads


class Responder(asyncio.DatagramProtocol):
    def __init__(self, farm, code="FTW", quiet=QUIET_AFTER_REPLY):
        self.farm = farm
        self.code = code
        self.quiet = quiet
        self.busy_until = {}
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        text = data[:256].decode("latin-1")
        prefix = f"cgminer-{self.code}-"
        if not text.startswith(prefix):
            log.debug("mcast: ignored %r from %s (wrong code)", text[:40], addr[0])
            return
        port = text[len(prefix):].split("\0", 1)[0]
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            return
        now = time.monotonic()
        for rig in self.farm.rigs:
            if rig.access == "deny" or rig.fault == "refuse" or self.busy_until.get(rig.index, 0) > now:
                continue
            self.busy_until[rig.index] = now + self.quiet
            reply = f"cgm-FTW-{self.farm.port_of(rig)}-{rig.name}".encode() + b"\0"
            self.transport.sendto(reply, (addr[0], int(port)))


async def serve(farm, group="224.0.0.75", port=4028, code="FTW", interface="0.0.0.0", quiet=QUIET_AFTER_REPLY):
    """Join ``group`` and answer discovery for ``farm``; returns the transport (close() it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("", port))
    membership = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(interface))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: Responder(farm, code, quiet), sock=sock)
    return transport
