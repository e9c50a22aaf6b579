"""One connection to a fake miner: a real miner reads one recv() and answers it, then closes;
and the faults a rig can be given to play (refuse, hang, drip, slow, garbage, truncated,
oversize, html, deny)."""

import asyncio
import random

FAULTS = ("refuse", "hang", "drip", "slow", "garbage", "truncated", "oversize", "html", "deny")


class Connection(asyncio.Protocol):
    def __init__(self, farm, rig):
        self.farm, self.rig = farm, rig
        self.transport = None
        self.answered = False
        self.pending = None

    def connection_made(self, transport):
        self.transport = transport
        if self.rig.access == "deny" or self.rig.fault == "deny":
            transport.close()  # outside --api-allow: accepted, then 0 bytes

    def data_received(self, data):
        if self.answered:
            return
        self.answered = True  # a real miner reads one recv() and answers that
        rig = self.rig
        if rig.fault == "hang":
            return  # accept, never answer
        if rig.fault == "garbage":
            rnd = random.Random(len(data))
            self.transport.write(bytes(rnd.randrange(1, 256) for _ in range(300)) + b"\0")
            self.transport.close()
            return
        if rig.fault == "oversize":
            self._stream_oversize()
            return
        reply = rig.handle(data[:8191])
        if reply is None:
            self.transport.close()
            return
        if rig.fault == "truncated":
            reply = reply[: max(1, len(reply) // 2)]
        if rig.fault == "drip":
            self._drip(reply, 0)
            return
        if rig.fault == "slow":
            loop = asyncio.get_running_loop()
            self.pending = loop.call_later(1.5, self._finish, reply)
            return
        self._finish(reply)

    def _finish(self, reply):
        self.transport.write(reply)
        self.transport.close()
        if self.rig.quit_requested:
            self.farm.went_away(self.rig)

    def _drip(self, reply, pos):
        if self.transport.is_closing():
            return
        if pos >= len(reply):
            self.transport.close()
            return
        self.transport.write(reply[pos:pos + 16])
        self.pending = asyncio.get_running_loop().call_later(0.25, self._drip, reply, pos + 16)

    def _stream_oversize(self):
        self.sent = 0
        self.paused = False
        self.transport.write(b'{"STATUS":[{"STATUS":"S","When":0,"Code":11,"Msg":"Summary"}],"SUMMARY":[')
        self.resume_writing()

    def pause_writing(self):
        self.paused = True

    def resume_writing(self):
        self.paused = False
        if self.rig.fault != "oversize" or not self.answered:
            return
        chunk = b'{"Elapsed":1,"MHS av":1.0},' * 4000
        while not self.paused and not self.transport.is_closing():
            if self.sent > 50 * 1024 * 1024:
                self.transport.write(b'{}]}\0')
                self.transport.close()
                return
            self.transport.write(chunk)
            self.sent += len(chunk)

    def connection_lost(self, exc):
        if self.pending is not None:
            self.pending.cancel()
