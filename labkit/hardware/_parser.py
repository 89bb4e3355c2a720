"""Split the byte stream a Firmata board sends into messages, resyncing after garbage.

pyfirmata2 reads one message at a time and trusts every byte: a stray byte or a
cut-off message desynchronises it, and a missing END_SYSEX blocks it forever.
This parser keeps its state between chunks instead, drops what does not fit
(and counts it), and starts afresh at the next command byte (bit 7 set), which
is how MIDI-style protocols are meant to recover.

>>> messages = []
>>> parser = FirmataParser(lambda *m: messages.append(m))
>>> parser.feed(bytes([0x42, 0xE0, 0x10, 0x03, 0xE0, 0x11]))   # garbage, A0 = 400, half a message
>>> parser.feed(bytes([0xE1, 0x7F, 0x07]))                       # A1 = 1023
>>> messages, parser.garbage_bytes
([('analog', 0, 400), ('analog', 1, 1023)], 3)
"""

from __future__ import annotations

from collections.abc import Callable

from pyfirmata2 import ANALOG_MESSAGE, DIGITAL_MESSAGE, END_SYSEX, REPORT_VERSION, START_SYSEX

__all__ = ["FirmataParser", "Message"]

# ("analog", channel, value) | ("digital", port, mask) | ("version", major, minor)
# | ("sysex", command, body)
Message = tuple[str, int, object]

# Long enough for a Mega's capability response; a longer sysex is garbage.
MAX_SYSEX = 4096


class FirmataParser:
    """Turns bytes from a board into calls of ``emit(kind, a, b)``; see the module doc."""

    def __init__(self, emit: Callable[[str, int, object], None]) -> None:
        self._emit = emit
        self._command: int | None = None
        self._data: list[int] = []
        self._sysex: bytearray | None = None
        self.messages = 0
        self.garbage_bytes = 0

    def feed(self, chunk: bytes) -> None:
        """Parse ``chunk``; a message may span several chunks."""
        for byte in chunk:
            if byte < 0x80:
                self._data_byte(byte)
            elif byte == END_SYSEX and self._sysex is not None:
                body, self._sysex = self._sysex, None
                if body:
                    self.messages += 1
                    self._emit("sysex", body[0], bytes(body[1:]))
                else:
                    self.garbage_bytes += 2
            else:
                self._command_byte(byte)

    def _command_byte(self, byte: int) -> None:
        self._drop_partial()
        if byte == START_SYSEX:
            self._sysex = bytearray()
        elif (byte & 0xF0) in (ANALOG_MESSAGE, DIGITAL_MESSAGE) or byte == REPORT_VERSION:
            self._command = byte
        else:
            # A host-to-board command or noise: nothing a board sends starts so.
            self.garbage_bytes += 1

    def _data_byte(self, byte: int) -> None:
        if self._sysex is not None:
            self._sysex.append(byte)
            if len(self._sysex) > MAX_SYSEX:
                self._drop_partial()
            return
        if self._command is None:
            self.garbage_bytes += 1
            return
        self._data.append(byte)
        if len(self._data) == 2:
            command, (lsb, msb) = self._command, self._data
            self._command, self._data = None, []
            self.messages += 1
            if command == REPORT_VERSION:
                self._emit("version", lsb, msb)
            elif command & 0xF0 == ANALOG_MESSAGE:
                self._emit("analog", command & 0x0F, lsb | msb << 7)
            else:
                self._emit("digital", command & 0x0F, lsb | msb << 7)

    def _drop_partial(self) -> None:
        if self._sysex is not None:
            self.garbage_bytes += len(self._sysex) + 1
            self._sysex = None
        if self._command is not None:
            self.garbage_bytes += len(self._data) + 1
            self._command, self._data = None, []
