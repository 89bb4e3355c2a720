"""The virtual board's USB cable: a pseudo-terminal whose far end looks like a serial port.

The board keeps the master side; any program opens the slave path (``port``)
as it would open ``/dev/ttyACM0``. The board learns of every open and close of
the port (a real Uno resets when the port opens) from inotify on Linux, so a
quick close and reopen is not missed; elsewhere from the master's hang-up.
The master is in packet mode, so the board also learns when the host flushes
its input (pyserial does so right after opening). Closing the master is
pulling the cable: the host's next read or write fails.

>>> from labkit.sim.transport import PtyTransport
>>> with PtyTransport() as cable:
...     cable.port.startswith("/dev/pts/"), cable.host_attached()
(True, False)
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import pty
import select
import struct
import termios
import tty
from pathlib import Path
from types import TracebackType

from labkit.errors import SimulationError

__all__ = ["PtyTransport", "link_port", "open_raw_pty"]

_TIOCPKT_FLUSHREAD = 0x01
_IN_OPEN, _IN_CLOSE = 0x20, 0x08 | 0x10  # inotify: opened; closed after writing or not
_INOTIFY_EVENT = struct.Struct("iIII")


def _watch_opens(path: str) -> int | None:
    """An inotify descriptor reporting each open and close of ``path`` (None where there is none)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        init, add = libc.inotify_init1, libc.inotify_add_watch
    except (OSError, AttributeError):
        return None
    fd = init(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        return None
    if add(fd, os.fsencode(path), _IN_OPEN | _IN_CLOSE) < 0:
        os.close(fd)
        return None
    return int(fd)


def open_raw_pty() -> tuple[int, str]:
    """A new pty in raw mode: its master descriptor and the slave's path (the port).

    Raw, so that no byte is translated or echoed before the host configures the port.
    """
    master, slave = pty.openpty()
    tty.setraw(slave)
    port = os.ttyname(slave)
    os.close(slave)
    return master, port


def link_port(link: str | os.PathLike[str], port: str) -> Path:
    """Make ``link`` a symlink to ``port`` (replacing an old symlink, never a file)."""
    path = Path(link)
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        raise SimulationError(f"cannot link the virtual board at {path}: a file is already there")
    try:
        path.symlink_to(port)
    except OSError as exc:
        raise SimulationError(f"cannot link the virtual board at {path}: {exc.strerror}") from None
    return path


class PtyTransport:
    """A pty pair: the board reads and writes the master, the host opens ``port``.

    ``link``: also make a symlink at that path pointing to the port (like
    socat's ``link=``), removed again by :meth:`close`.
    """

    def __init__(self, link: str | os.PathLike[str] | None = None) -> None:
        master, self.port = open_raw_pty()
        os.set_blocking(master, False)
        fcntl.ioctl(master, termios.TIOCPKT, struct.pack("i", 1))
        self._fd: int | None = master
        self._watch = _watch_opens(self.port)
        self._poller = select.poll()
        self._poller.register(master, select.POLLIN)
        self.link: Path | None = None
        if link is not None:
            try:
                self.link = link_port(link, self.port)
            except SimulationError:
                self.close()
                raise

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (the cable is out)."""
        return self._fd is None

    def fileno(self) -> int:
        """The master's file descriptor, to wait on with ``select``/``poll``."""
        if self._fd is None:
            raise SimulationError("the virtual board's port is closed")
        return self._fd

    def watch_fileno(self) -> int | None:
        """A descriptor that becomes readable when the port is opened or closed (None: poll
        :meth:`host_attached` instead)."""
        return self._watch

    def opens_and_closes(self) -> list[bool]:
        """Since the last call, in order: True for each open of the port, False for each close."""
        events: list[bool] = []
        while self._watch is not None:
            try:
                data = os.read(self._watch, 4096)
            except OSError:
                break
            offset = 0
            while offset < len(data):
                _, mask, _, name_length = _INOTIFY_EVENT.unpack_from(data, offset)
                offset += _INOTIFY_EVENT.size + name_length
                if mask & _IN_OPEN:
                    events.append(True)
                elif mask & _IN_CLOSE:
                    events.append(False)
        return events

    def host_attached(self) -> bool:
        """True while some program has the port open."""
        if self._fd is None:
            return False
        events = self._poller.poll(0)
        return not any(mask & select.POLLHUP for _, mask in events)

    def read(self) -> tuple[bytes, bool]:
        """Everything the host has written so far, and whether it flushed its input meanwhile."""
        data = bytearray()
        flushed = False
        while self._fd is not None:
            try:
                packet = os.read(self._fd, 4096)
            except (BlockingIOError, OSError):
                break
            if not packet:
                break
            if packet[0] == 0:
                data += packet[1:]
            elif packet[0] & _TIOCPKT_FLUSHREAD:
                flushed = True
        return bytes(data), flushed

    def write(self, data: bytes) -> int:
        """Write what the pty takes now; returns how many bytes went (0 when full or unplugged)."""
        if self._fd is None or not data:
            return 0
        try:
            return os.write(self._fd, data)
        except (BlockingIOError, OSError):
            return 0

    def close(self) -> None:
        """Pull the cable: close the master (the host's next I/O fails). Idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        watch, self._watch = self._watch, None
        if watch is not None:
            os.close(watch)
        if self.link is not None:
            if self.link.is_symlink():
                self.link.unlink()
            self.link = None

    def __enter__(self) -> PtyTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<PtyTransport {self.port}{' closed' if self.closed else ''}>"
