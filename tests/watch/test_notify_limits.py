"""A destination's reply costs the panel at most notify_limits.MAX_REPLY bytes and TIMEOUT seconds
(issue 23 item 4), for web hooks (requests) and mail (smtplib), against hostile servers on loopback."""

import socket
import socketserver
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.conftest import free_port
from watch import notify, notify_limits

BIG = 50 * 1024 * 1024


class Server:
    """A loopback server whose handler is ``handle(self)`` (an http.server or a socketserver one)."""

    def __init__(self, handler_class, http=True):
        self.sent, self.stop = 0, threading.Event()
        cls = ThreadingHTTPServer if http else socketserver.ThreadingTCPServer
        cls.daemon_threads = True
        handler_class.server_state = self
        self.server = cls(("127.0.0.1", free_port()), handler_class)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve():
    started = []

    def make(handler_class, http=True):
        started.append(Server(handler_class, http))
        return started[-1]

    yield make
    for s in started:
        s.close()


class Huge(BaseHTTPRequestHandler):
    """200 and a 50 MB body, made lazily, 64 kB at a time, while the client reads."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", str(BIG))
        self.end_headers()
        chunk = b"x" * 65536
        try:
            while self.server_state.sent < BIG and not self.server_state.stop.is_set():
                self.wfile.write(chunk)
                self.server_state.sent += len(chunk)
        except OSError:
            pass

    def log_message(self, *args):
        pass


class Trickle(BaseHTTPRequestHandler):
    """A byte every 0.1 s, forever: in the headers (``?where=head``) or in the body."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            if "head" in self.path:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            else:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")
            while not self.server_state.stop.wait(0.1):
                self.wfile.write(b"x")
                self.wfile.flush()
        except OSError:
            pass

    def log_message(self, *args):
        pass


def test_a_50_mb_reply_is_cut_and_the_process_does_not_grow(serve):
    server = serve(Huge)
    notify.send(f"json://127.0.0.1:{server.port}/hook", "t", "b")  # apprise loads its plugins on first use
    server.sent = 0
    tracemalloc.start()
    try:
        error = notify.send(f"json://127.0.0.1:{server.port}/hook", "t", "b")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error == ""  # a 200 is a 200: the message was taken
    assert peak < 4 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB"  # it was 50 MB and more (the body, then its text)
    assert server.sent < 16 * 1024 * 1024  # what the socket buffers took before the cut closed it


@pytest.mark.parametrize("where", ["head", "body"])
def test_a_trickling_destination_holds_the_sender_for_the_timeout_only(serve, monkeypatch, where):
    monkeypatch.setattr(notify_limits, "TIMEOUT", 2.0)
    server = serve(Trickle)
    started = time.monotonic()
    error = notify.send(f"json://127.0.0.1:{server.port}/{where}", "t", "b")
    took = time.monotonic() - started
    assert error == "no whole answer within 2 s" and took < 5, (error, took)  # apprise's 4 s a read never fires


class EndlessSMTP(socketserver.StreamRequestHandler):
    """A mail server greeting with "220-" lines that never end."""

    def handle(self):
        try:
            line = b"220-" + b"y" * 1000 + b"\r\n"
            while not self.server_state.stop.is_set():
                self.wfile.write(line)
                self.server_state.sent += len(line)
        except OSError:
            pass


class SilentSMTP(socketserver.StreamRequestHandler):
    """A mail server that takes the connection and never says a word."""

    def handle(self):
        self.server_state.stop.wait(30)


def test_a_mail_servers_endless_reply_is_cut(serve):
    server = serve(EndlessSMTP, http=False)
    notify.send(f"mailto://127.0.0.1:{server.port}?from=a@example.com&to=b@example.com", "t", "b")  # plugins
    tracemalloc.start()
    try:
        error = notify.send(f"mailto://127.0.0.1:{server.port}?from=a@example.com&to=b@example.com", "t", "b")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error and peak < 4 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB"


def test_a_silent_mail_server_holds_the_sender_for_the_timeout_only(serve, monkeypatch):
    monkeypatch.setattr(notify_limits, "TIMEOUT", 2.0)
    server = serve(SilentSMTP, http=False)
    started = time.monotonic()
    error = notify.send(f"mailto://127.0.0.1:{server.port}?from=a@example.com&to=b@example.com", "t", "b")
    assert error and time.monotonic() - started < 5


class Modest(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(200_000))
        self.end_headers()
        self.wfile.write(b"z" * 200_000)

    def log_message(self, *args):
        pass


def test_outside_a_sending_requests_and_sockets_are_untouched(serve):
    server = serve(Modest)
    assert len(requests.get(f"http://127.0.0.1:{server.port}/", timeout=5).content) == 200_000
    with notify_limits.bounded():
        assert len(requests.get(f"http://127.0.0.1:{server.port}/", timeout=5).content) == notify_limits.MAX_REPLY
    seen = []
    other = threading.Thread(target=lambda: seen.append(len(requests.get(f"http://127.0.0.1:{server.port}/",
                                                                          timeout=5).content)))
    with notify_limits.bounded():  # another thread at the same time is not this sending's
        other.start()
        other.join(10)
    assert seen == [200_000]
    with socket.create_connection(("127.0.0.1", server.port), timeout=5):
        pass
