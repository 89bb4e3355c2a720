"""A tiny Firmata host for the tests: raw bytes on the real pty, no library in between."""

from __future__ import annotations

import os
import select
import time
import tty
from dataclasses import dataclass, field


@dataclass
class Reply:
    """One message from the board: its command byte (low nibble cleared) and its data."""

    command: int
    channel: int
    data: tuple[int, ...]
    t: float = field(default=0.0, compare=False)

    @property
    def value(self) -> int:
        return self.data[0] | self.data[1] << 7


class RawHost:
    """Opens the board's port in raw mode and speaks Firmata byte by byte."""

    def __init__(self, port: str) -> None:
        self.fd = os.open(port, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self._buffer = bytearray()
        self.replies: list[Reply] = []
        self._unseen: list[Reply] = []

    def send(self, *data: int | bytes) -> None:
        out = bytearray()
        for item in data:
            out += item if isinstance(item, bytes) else bytes([item])
        os.write(self.fd, bytes(out))

    def sysex(self, command: int, *data: int) -> None:
        self.send(0xF0, command, *data, 0xF7)

    def pump(self, seconds: float) -> list[Reply]:
        """Read for ``seconds`` and return the messages completed meanwhile."""
        end = time.monotonic() + seconds
        fresh: list[Reply] = []
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    raise OSError("the board hung up")
                self._buffer += chunk
                fresh += self._parse(time.monotonic())
        self.replies += fresh
        self._unseen += fresh
        return fresh

    def wait_for(self, predicate, timeout: float = 2.0) -> Reply:
        """The next message (not yet waited for) that satisfies ``predicate``; fail after ``timeout``."""
        end = time.monotonic() + timeout
        while True:
            for index, reply in enumerate(self._unseen):
                if predicate(reply):
                    del self._unseen[: index + 1]
                    return reply
            if time.monotonic() > end:
                break
            self.pump(0.01)
        raise AssertionError(f"no matching message within {timeout} s; got {self.replies[-5:]}")

    def _parse(self, t: float) -> list[Reply]:
        out: list[Reply] = []
        buf = self._buffer
        while buf:
            first = buf[0]
            if first == 0xF0:
                if 0xF7 not in buf:
                    break
                end = buf.index(0xF7)
                out.append(Reply(0xF0, buf[1], tuple(buf[2:end]), t))
                del buf[: end + 1]
            elif first in (0xF9,) or first & 0xF0 in (0xE0, 0x90):
                if len(buf) < 3:
                    break
                command = first if first >= 0xF0 else first & 0xF0
                out.append(Reply(command, first & 0x0F if first < 0xF0 else 0, (buf[1], buf[2]), t))
                del buf[:3]
            else:
                raise AssertionError(f"the board sent an unexpected byte {first:#04x}")
        return out

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
