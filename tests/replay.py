"""A replay rig: a loopback server that answers each command with a reply captured from a real machine
(tests/fixtures/real/<firmware>/<source>/<command>.json, <command>.json.raw as our own captures keep them, or
<command>.txt for a reply captured in the API's text form, served as it is: the client reads a reply
that is not JSON as text), so the real driver code runs end to end on
what real firmwares sent. Joined requests (``summary+devs``) get cgminer's join layout around the raw
captured replies (broken JSON stays broken, as the firmware sent it); a command with no capture gets
cgminer's "Invalid command"; every reply ends with a NUL and the connection closes."""

import asyncio
import json
from pathlib import Path

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
INVALID = b'{"STATUS":[{"STATUS":"E","When":0,"Code":14,"Msg":"Invalid command"}],"id":1}'


class Replay:
    def __init__(self, folder, joins=True):
        self.folder = REAL / folder
        self.replies = {p.stem: p.read_bytes().strip() for p in self.folder.glob("*.txt")}
        self.replies.update({p.stem: p.read_bytes().strip() for p in self.folder.glob("*.json")})
        # the team's own captures: <command>.json.raw, the reply's bytes as the miner sent them (NUL included)
        self.replies.update({p.name[:-9]: p.read_bytes().strip(b"\0\n ") for p in self.folder.glob("*.json.raw")
                             if "+" not in p.name})
        self.joins = joins
        self.asked = []

    def answer(self, request):
        try:
            req = json.loads(request)
        except ValueError:
            return INVALID
        command = str(req.get("command") or req.get("cmd") or "")
        self.asked.append(command)
        names = [c for c in command.split("+") if c]
        if len(names) == 1 and "+" not in command:
            return self.replies.get(names[0], INVALID)
        if not self.joins:
            return b'{"STATUS":[{"STATUS":"E","When":0,"Code":14,"Msg":"Invalid command"}],"id":1}'
        parts = [b'"%s":[%s]' % (n.encode(), self.replies.get(n, INVALID)) for n in dict.fromkeys(names)]
        return b"{" + b",".join(parts) + b',"id":1}'

    async def handle(self, reader, writer):
        try:
            request = await asyncio.wait_for(reader.read(8191), 2)
            writer.write(self.answer(request) + b"\0")
            await writer.drain()
        finally:
            writer.close()


async def serve(replay, host, port):
    return await asyncio.start_server(replay.handle, host, port)
