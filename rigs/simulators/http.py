"""The HTTP/1.1 server side the simulators share: requests parsed off a stream and
answered by ``respond(method, target, headers, body, peer) -> (reply bytes, keep open)``."""

import asyncio

BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class HttpProtocol(asyncio.Protocol):
    def __init__(self, respond):
        self.respond, self.buf = respond, b""

    def connection_made(self, transport):
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) else "127.0.0.1"

    def data_received(self, data):
        self.buf += data
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if not sep:
                if len(self.buf) > 65536:
                    self.transport.close()
                return
            lines = head.decode("latin-1").split("\r\n")
            try:
                method, target, _ = lines[0].split(" ", 2)
            except ValueError:
                self.transport.write(BAD_REQUEST)
                self.transport.close()
                return
            headers = {}
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                headers[k.strip().lower()] = v.strip()
            try:
                length = int(headers.get("content-length", "0") or 0)
            except ValueError:
                length = 0
            if len(rest) < length:
                return
            self.buf = rest[length:]
            reply, keep = self.respond(method, target, headers, rest[:length], self.peer)
            self.transport.write(reply)
            if not keep:
                self.transport.close()
                return


async def serve(respond, host, port):
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: HttpProtocol(respond), host, port, reuse_address=True)
