"""Split the byte stream a Firmata board sends into messages, resyncing after garbage.

pyfirmata2 reads one message at a time and trusts every byte: a stray byte or a
cut-off message desynchronises it, and a missing END_SYSEX blocks it forever.
This parser keeps its state between chunks instead, drops what does not fit
(and counts it), and starts afresh at the next command byte (bit 7 set), which
is how MIDI-style protocols are meant to recover.

>>> seen = []
>>> parser = FirmataParser(
...     on_analog=lambda channel, value: seen.append(("A", channel, value)),
...     on_digital=lambda port, mask: seen.append(("port", port, mask)),
...     on_other=lambda kind, a, b: seen.append((kind, a, b)),
... )
>>> parser.feed(bytes([0x42, 0xE0, 0x10, 0x03, 0xE0, 0x11]))   # garbage, A0 = 400, half a message
>>> parser.feed(bytes([0xE1, 0x7F, 0x07, 0xF9, 2, 5]))         # A1 = 1023, version 2.5
>>> seen, parser.garbage_bytes
([('A', 0, 400), ('A', 1, 1023), ('version', 2, 5)], 3)
"""

from __future__ import annotations

from collections.abc import Callable

from pyfirmata2 import ANALOG_MESSAGE, DIGITAL_MESSAGE, END_SYSEX, REPORT_VERSION, START_SYSEX

__all__ = ["FirmataParser"]

# Long enough for a Mega's capability response; a longer sysex is garbage.
MAX_SYSEX = 4096


class FirmataParser:
    """Turns bytes from a board into calls; see the module doc.

    ``on_analog(channel, value)`` and ``on_digital(port, mask)`` get the
    samples (the hot path); ``on_other(kind, a, b)`` gets ``("version",
    major, minor)`` and ``("sysex", command, body)``.
    """

    def __init__(
        self,
        on_analog: Callable[[int, int], None],
        on_digital: Callable[[int, int], None],
        on_other: Callable[[str, int, object], None],
    ) -> None:
        self._on_analog = on_analog
        self._on_digital = on_digital
        self._on_other = on_other
        self._command: int | None = None
        self._data: list[int] = []
        self._sysex: bytearray | None = None
        self.messages = 0
        self.garbage_bytes = 0

    def feed(self, chunk: bytes) -> None:
        """Parse ``chunk``; a message may span several chunks."""
        i, end = 0, len(chunk)
        while i < end:
            byte = chunk[i]
            kind = byte & 0xF0
            # The common case, whole in this chunk: a 3-byte analog or digital message.
            if (
                (kind == ANALOG_MESSAGE or kind == DIGITAL_MESSAGE)
                and self._command is None
                and self._sysex is None
                and i + 2 < end
                and chunk[i + 1] < 0x80
                and chunk[i + 2] < 0x80
            ):
                self.messages += 1
                value = chunk[i + 1] | chunk[i + 2] << 7
                if kind == ANALOG_MESSAGE:
                    self._on_analog(byte & 0x0F, value)
                else:
                    self._on_digital(byte & 0x0F, value)
                i += 3
                continue
            if byte < 0x80:
                self._data_byte(byte)
            elif byte == END_SYSEX and self._sysex is not None:
                self._end_sysex()
            else:
                self._command_byte(byte)
            i += 1

    def _end_sysex(self) -> None:
        body, self._sysex = self._sysex, None
        if body:
            self.messages += 1
            self._on_other("sysex", body[0], bytes(body[1:]))
        else:
            self.garbage_bytes += 2

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
                self._on_other("version", lsb, msb)
            elif command & 0xF0 == ANALOG_MESSAGE:
                self._on_analog(command & 0x0F, lsb | msb << 7)
            else:
                self._on_digital(command & 0x0F, lsb | msb << 7)

    def _drop_partial(self) -> None:
        if self._sysex is not None:
            self.garbage_bytes += len(self._sysex) + 1
            self._sysex = None
        if self._command is not None:
            self.garbage_bytes += len(self._data) + 1
            self._command, self._data = None, []
