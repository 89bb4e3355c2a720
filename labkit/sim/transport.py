"""The virtual board's USB cable: a pseudo-terminal whose far end looks like a serial port.

The board keeps the master side; any program opens the slave path (``port``)
as it would open ``/dev/ttyACM0``. The master is in packet mode, so the board
also learns when a host opens the port (the hang-up clears: a real Uno resets
then) and when the host flushes its input (pyserial does so right after
opening). Closing the master is pulling the cable: the host's next read or
write fails.

>>> from labkit.sim.transport import PtyTransport
>>> with PtyTransport() as cable:
...     cable.port.startswith("/dev/pts/"), cable.host_attached()
(True, False)
"""

from __future__ import annotations

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

__all__ = ["PtyTransport"]

_TIOCPKT_FLUSHREAD = 0x01


class PtyTransport:
    """A pty pair: the board reads and writes the master, the host opens ``port``.

    ``link``: also make a symlink at that path pointing to the port (like
    socat's ``link=``), removed again by :meth:`close`.
    """

    def __init__(self, link: str | os.PathLike[str] | None = None) -> None:
        master, slave = pty.openpty()
        # Raw, so that no byte is translated or echoed on its way through.
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        os.close(slave)
        os.set_blocking(master, False)
        fcntl.ioctl(master, termios.TIOCPKT, struct.pack("i", 1))
        self._fd: int | None = master
        self._poller = select.poll()
        self._poller.register(master, select.POLLIN)
        self.link: Path | None = None
        if link is not None:
            self._make_link(Path(link))

    def _make_link(self, link: Path) -> None:
        if link.is_symlink():
            link.unlink()
        elif link.exists():
            self.close()
            raise SimulationError(f"cannot link the virtual board at {link}: a file is already there")
        try:
            link.symlink_to(self.port)
        except OSError as exc:
            self.close()
            raise SimulationError(f"cannot link the virtual board at {link}: {exc.strerror}") from None
        self.link = link

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (the cable is out)."""
        return self._fd is None

    def fileno(self) -> int:
        """The master's file descriptor, to wait on with ``select``/``poll``."""
        if self._fd is None:
            raise SimulationError("the virtual board's port is closed")
        return self._fd

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
