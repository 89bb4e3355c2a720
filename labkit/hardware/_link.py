"""One serial port that speaks Firmata: a reader thread, a write lock and the handshake.

This replaces pyfirmata2's ``Board.__init__``/``Iterator`` (pyfirmata2 stays the
codec: its command constants and 7-bit helpers). What it does differently:

- every link has its own state; pyfirmata2 keeps its handler table on the class,
  so two boards in one process mix their messages;
- connecting waits for the firmware's own report (an Uno resets when the port
  opens and reports itself about 2 s later) instead of sleeping 5 s, and fails
  with what was seen when no report comes;
- the reader never dies silently: a lost port (or a board that restarted and
  forgot its pin set-up) is remembered and raised by the next call, and nothing
  is printed from the thread.

>>> link = FirmataLink("/dev/ttyACM0", baud=57600, on_analog=print)   # doctest: +SKIP
>>> link.handshake(timeout=5.0)                                        # doctest: +SKIP
FirmwareInfo(name='StandardFirmata.ino', version=(2, 5), protocol=(2, 5))
"""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial
from pyfirmata2 import END_SYSEX, REPORT_FIRMWARE, REPORT_VERSION, START_SYSEX
from pyfirmata2.util import two_byte_iter_to_str

from labkit.errors import (
    BoardClosedError,
    BoardNotFoundError,
    ConnectionLostError,
    HardwareError,
    NotFirmataError,
)
from labkit.hardware._parser import FirmataParser

__all__ = ["FirmataLink", "FirmwareInfo"]

# How often the version is asked again while waiting: boards that do not reset
# when the port opens (Leonardo, a virtual board) only answer when asked.
ASK_AGAIN_S = 1.0
# A write that cannot go out within this long means the board stopped reading.
WRITE_TIMEOUT_S = 2.0
# Bytes kept to tell the user what a port that is not Firmata sent.
SEEN_BYTES = 64
# A version report this long after the handshake is the firmware booting again
# (late answers to the handshake's queries come with the firmware's first words).
RESTART_AFTER_S = 1.5


def _ignore(*message: object) -> None:
    """Drop a message nobody asked for."""


@dataclass(frozen=True)
class FirmwareInfo:
    """What the board said about itself: firmware name and version, Firmata protocol version."""

    name: str
    version: tuple[int, int]
    protocol: tuple[int, int] | None

    def __str__(self) -> str:
        text = f"{self.name} {self.version[0]}.{self.version[1]}"
        if self.protocol:
            text += f" (Firmata {self.protocol[0]}.{self.protocol[1]})"
        return text


def open_serial(port: str, baud: int) -> serial.Serial:
    """Open ``port`` exclusively, turning pyserial's errors into ones a beginner can act on."""
    try:
        return serial.Serial(port, baud, timeout=0.1, write_timeout=WRITE_TIMEOUT_S, exclusive=True)
    except (serial.SerialException, OSError, ValueError) as exc:
        code = getattr(exc, "errno", None)
        if code == errno.ENOENT:
            raise BoardNotFoundError(
                f"there is no serial port {port!r} (run `labkit boards` to see the ports there are)"
            ) from None
        if code in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY):
            raise HardwareError(
                f"{port} is already open in another program (the Arduino IDE's serial "
                "monitor, another notebook?): close it there first"
            ) from None
        if code == errno.EACCES:
            raise HardwareError(
                f"no permission to open {port} (on Windows: another program has it open); on "
                "Linux add yourself to the 'dialout' group (sudo usermod -aG dialout $USER) and log in again"
            ) from None
        raise HardwareError(f"cannot open {port}: {exc}") from None


class FirmataLink:
    """A serial port speaking Firmata, its messages handed to the given functions.

    ``on_analog(channel, value)`` and ``on_digital(port, mask)`` get the samples,
    ``on_other(kind, a, b)`` the rest (``"version"``, ``"sysex"``); ``arrival``
    is ``time.monotonic()`` when the bytes being handled were read. ``on_fault``
    gets exceptions those functions raise (the reader keeps going).
    """

    def __init__(
        self,
        port: str,
        *,
        baud: int,
        on_analog: Callable[[int, int], None] | None = None,
        on_digital: Callable[[int, int], None] | None = None,
        on_other: Callable[[str, int, object], None] | None = None,
        on_fault: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.port = port
        self._on_other = on_other
        self._on_fault = on_fault
        self._serial = open_serial(port, baud)
        self._serial.reset_input_buffer()
        self._write_lock = threading.Lock()
        self._parser = FirmataParser(on_analog or _ignore, on_digital or _ignore, self._dispatch)
        self.arrival = 0.0
        self._protocol: tuple[int, int] | None = None
        self._firmware: FirmwareInfo | None = None
        self._answered = threading.Event()
        self._connected_at: float | None = None
        self.bytes_received = 0
        self._seen = bytearray()
        self.lost: str | None = None
        self.closed = False
        self._stopping = False
        self._reader = threading.Thread(target=self._read_loop, name=f"labkit-firmata-{port}", daemon=True)
        self._reader.start()

    # -- reading ---------------------------------------------------------------------------
    def _read_loop(self) -> None:
        port = self._serial
        try:
            while not self._stopping:
                chunk = port.read(port.in_waiting or 1)
                if not chunk:
                    continue
                self.arrival = time.monotonic()
                self.bytes_received += len(chunk)
                if len(self._seen) < SEEN_BYTES:
                    self._seen += chunk[: SEEN_BYTES - len(self._seen)]
                try:
                    self._parser.feed(chunk)
                except Exception as exc:  # noqa: BLE001 - reported; the reader must go on
                    if self._on_fault is None:
                        raise
                    self._on_fault(exc)
        except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
            # TypeError/AttributeError: pyserial racing its own close(); only
            # a failure while we still wanted data means the board went away.
            if not self._stopping:
                self.lost = str(exc) or type(exc).__name__
                self._answered.set()

    def _dispatch(self, kind: str, a: int, b: object) -> None:
        if kind == "version" and isinstance(b, int):
            self._protocol = (a, b)
            if self._connected_at is not None and self.arrival - self._connected_at > RESTART_AFTER_S:
                # StandardFirmata reports its version when it starts: the board
                # reset (a brown-out, its reset button), and every pin lost its set-up.
                self.lost = (
                    "the board restarted, so its pins lost their set-up; a servo or motor "
                    "powered from the board's 5V pin can do that"
                )
        elif kind == "sysex" and a == REPORT_FIRMWARE and isinstance(b, bytes) and len(b) >= 2:
            name = two_byte_iter_to_str(b[2:]) if len(b) > 2 else "unnamed firmware"
            self._firmware = FirmwareInfo(name, (b[0], b[1]), self._protocol)
            self._answered.set()
        if self._on_other is not None:
            self._on_other(kind, a, b)

    # -- the handshake ---------------------------------------------------------------------
    def handshake(self, timeout: float) -> FirmwareInfo:
        """Wait for the firmware to report itself (asking for it now and then).

        Raises ``NotFirmataError`` saying what the port sent when no report comes
        within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            self.write(bytes([REPORT_VERSION, START_SYSEX, REPORT_FIRMWARE, END_SYSEX]))
            wait = min(ASK_AGAIN_S, deadline - time.monotonic())
            if wait > 0 and self._answered.wait(wait) or time.monotonic() >= deadline:
                break
        self.check()
        if self._firmware is not None:
            self._connected_at = time.monotonic()
            return FirmwareInfo(self._firmware.name, self._firmware.version, self._protocol)
        raise NotFirmataError(
            f"{self.port} did not answer as a Firmata board within {timeout:g} s: "
            f"it sent {self.describe_seen()}. Upload StandardFirmata to the board (Arduino IDE: "
            "File > Examples > Firmata > StandardFirmata) and check that nothing else uses the port"
        )

    def describe_seen(self) -> str:
        """What arrived so far, in words: nothing, text, or bytes in hex."""
        if not self.bytes_received:
            return "nothing at all"
        if self._parser.messages and self._parser.garbage_bytes < 0.1 * self.bytes_received:
            return (
                f"{self.bytes_received} bytes holding {self._parser.messages} Firmata messages, but no "
                "reply to the firmware query (a firmware too busy or too old to answer?)"
            )
        sample = bytes(self._seen)
        printable = sum(32 <= c < 127 or c in (9, 10, 13) for c in sample)
        if printable >= 0.9 * len(sample):
            what = f"text {sample.decode('ascii', 'replace')!r}"
            hint = " (a sketch printing with Serial.print?)"
        else:
            what = f"bytes {sample[:24].hex(' ')}"
            hint = " (a different baud rate or protocol?)"
        more = "..." if self.bytes_received > len(sample) else ""
        return f"{self.bytes_received} bytes that are not Firmata: {what}{more}{hint}"

    # -- writing ---------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Send ``data`` as one piece (writes from several threads never interleave)."""
        with self._write_lock:
            if self.closed:
                raise BoardClosedError(f"the board on {self.port} is closed; connect again with Board.connect()")
            self.check()
            try:
                self._serial.write(data)
            except serial.SerialTimeoutException:
                self.lost = f"the board stopped reading: a write did not go out within {WRITE_TIMEOUT_S:g} s"
            except (serial.SerialException, OSError) as exc:
                self.lost = str(exc) or type(exc).__name__
            self.check()

    def check(self) -> None:
        """Raise ``ConnectionLostError`` if the board went away (or restarted)."""
        if self.lost is not None:
            raise ConnectionLostError(
                f"lost the board on {self.port}: {self.lost}. Check the USB cable and the "
                "board's power, then connect again with Board.connect()"
            )

    # -- closing ---------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the reader and close the port; safe to call twice, from any thread."""
        with self._write_lock:
            if self.closed:
                return
            self.closed = True
            self._stopping = True
        try:
            self._serial.cancel_read()
        except (serial.SerialException, OSError, AttributeError):
            pass
        if threading.current_thread() is not self._reader:
            self._reader.join(timeout=2.0)
        try:
            self._serial.close()
        except (serial.SerialException, OSError):
            pass

    @property
    def garbage_bytes(self) -> int:
        """Bytes dropped by the parser because they fitted no message."""
        return self._parser.garbage_bytes
