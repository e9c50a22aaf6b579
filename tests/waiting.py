"""Tests wait on conditions with deadlines, never for a fixed time: the one helper for that."""

import asyncio
import inspect
import socket
import time

STEP = 0.05  # how often the condition is asked


def wait_for(condition, timeout, what="the condition"):
    """condition()'s first true value, asked every STEP seconds; AssertionError after ``timeout`` s."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(STEP)


async def async_wait_for(condition, timeout, what="the condition"):
    """wait_for inside an event loop: the loop runs on between asks; condition may be async."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(STEP)


def listening(port, host="127.0.0.1"):
    """Whether something accepts connections on the port (a predicate for wait_for)."""
    try:
        socket.create_connection((host, port), 0.2).close()
    except OSError:
        return False
    return True
