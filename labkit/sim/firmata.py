"""Firmata 2.5 on the wire, from the board's side: the constants, a parser, the encoders.

The host sends commands; the board parses them with :class:`FirmataParser` and
answers with the ``encode_*`` functions. Data bytes are 7-bit; every byte with
the top bit set starts a message, which is what lets the parser resync after
garbage.

>>> from labkit.sim.firmata import FirmataParser, encode_analog
>>> parser = FirmataParser()
>>> parser.feed(b"\\x42\\xe3\\x7f\\x01\\xf0\\x79\\xf7")   # garbage, ANALOG_MESSAGE, a sysex
[Message(command=224, channel=3, data=(127, 1)), Message(command=240, channel=121, data=())]
>>> encode_analog(0, 1023).hex()
'e07f07'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ANALOG_MAPPING_QUERY",
    "ANALOG_MAPPING_RESPONSE",
    "ANALOG_MESSAGE",
    "CAPABILITY_QUERY",
    "CAPABILITY_RESPONSE",
    "DIGITAL_MESSAGE",
    "END_SYSEX",
    "EXTENDED_ANALOG",
    "MAX_DATA_BYTES",
    "MODE_ANALOG",
    "MODE_I2C",
    "MODE_IGNORE",
    "MODE_INPUT",
    "MODE_NAMES",
    "MODE_OUTPUT",
    "MODE_PULLUP",
    "MODE_PWM",
    "MODE_SERIAL",
    "MODE_SERVO",
    "PIN_STATE_QUERY",
    "PIN_STATE_RESPONSE",
    "REPORT_ANALOG",
    "REPORT_DIGITAL",
    "REPORT_FIRMWARE",
    "REPORT_VERSION",
    "SAMPLING_INTERVAL",
    "SERVO_CONFIG",
    "SET_DIGITAL_PIN_VALUE",
    "SET_PIN_MODE",
    "START_SYSEX",
    "STRING_DATA",
    "SYSTEM_RESET",
    "FirmataParser",
    "Message",
    "encode_analog",
    "encode_digital_port",
    "encode_firmware",
    "encode_string",
    "encode_sysex",
    "encode_version",
    "from_7bit_pairs",
    "to_7bit_pairs",
]

# Message commands: the top nibble; the low nibble carries a pin, channel or port.
DIGITAL_MESSAGE = 0x90
ANALOG_MESSAGE = 0xE0
REPORT_ANALOG = 0xC0
REPORT_DIGITAL = 0xD0
# Whole-byte commands.
START_SYSEX = 0xF0
SET_PIN_MODE = 0xF4
SET_DIGITAL_PIN_VALUE = 0xF5
END_SYSEX = 0xF7
REPORT_VERSION = 0xF9
SYSTEM_RESET = 0xFF
# Sysex commands (the byte after START_SYSEX).
ANALOG_MAPPING_QUERY = 0x69
ANALOG_MAPPING_RESPONSE = 0x6A
CAPABILITY_QUERY = 0x6B
CAPABILITY_RESPONSE = 0x6C
PIN_STATE_QUERY = 0x6D
PIN_STATE_RESPONSE = 0x6E
EXTENDED_ANALOG = 0x6F
SERVO_CONFIG = 0x70
STRING_DATA = 0x71
REPORT_FIRMWARE = 0x79
SAMPLING_INTERVAL = 0x7A

# Pin modes as Firmata numbers them.
MODE_INPUT = 0x00
MODE_OUTPUT = 0x01
MODE_ANALOG = 0x02
MODE_PWM = 0x03
MODE_SERVO = 0x04
MODE_I2C = 0x06
MODE_SERIAL = 0x0A
MODE_PULLUP = 0x0B
MODE_IGNORE = 0x7F

MODE_NAMES = {
    MODE_INPUT: "input",
    MODE_OUTPUT: "output",
    MODE_ANALOG: "analog",
    MODE_PWM: "pwm",
    MODE_SERVO: "servo",
    MODE_I2C: "i2c",
    MODE_SERIAL: "serial",
    MODE_PULLUP: "input_pullup",
    MODE_IGNORE: "ignore",
}

# The firmware's buffer for one sysex message; longer ones are cut there.
MAX_DATA_BYTES = 64

_TWO_BYTE_COMMANDS = frozenset({ANALOG_MESSAGE, DIGITAL_MESSAGE, SET_PIN_MODE, SET_DIGITAL_PIN_VALUE})
_ONE_BYTE_COMMANDS = frozenset({REPORT_ANALOG, REPORT_DIGITAL})


@dataclass(frozen=True)
class Message:
    """One complete message from the host.

    ``command`` is the command with its low nibble cleared (``0xE0`` for any
    ANALOG_MESSAGE) or the whole byte (``0xF4``); ``channel`` is the low nibble
    for the nibble commands, the sysex command for ``START_SYSEX`` and 0
    otherwise; ``data`` holds the 7-bit data bytes.
    """

    command: int
    channel: int
    data: tuple[int, ...]


class FirmataParser:
    """Turns the host's bytes into :class:`Message` objects, as StandardFirmata does.

    Stray data bytes are dropped; a command byte always starts a new message,
    even one that interrupts an unfinished message or sysex. (The firmware
    itself keeps reading a sysex until ``END_SYSEX``; valid sysex data never
    holds a byte with the top bit set, so abandoning it there only changes how
    fast the parser recovers from garbage.)

    >>> FirmataParser().feed(bytes([0xF4, 13, 1, 0x91, 0x20]))   # a mode, then half a message
    [Message(command=244, channel=0, data=(13, 1))]
    """

    def __init__(self) -> None:
        self._data: list[int] = []
        self.reset()

    def reset(self) -> None:
        """Forget any half-read message (SYSTEM_RESET does this)."""
        self._command = 0
        self._channel = 0
        self._needed = 0
        self._data = []
        self._sysex = False
        self._sysex_length = 0

    def feed(self, data: bytes) -> list[Message]:
        """Parse ``data`` and return the messages it completes."""
        messages: list[Message] = []
        for byte in data:
            message = self._take(byte)
            if message is not None:
                messages.append(message)
        return messages

    def _take(self, byte: int) -> Message | None:
        if self._sysex:
            if byte == END_SYSEX:
                self._sysex = False
                if not self._data:
                    return None
                return Message(START_SYSEX, self._data[0], tuple(self._data[1:]))
            if byte < 0x80:
                self._sysex_length += 1
                # The firmware's buffer holds the command byte plus MAX_DATA_BYTES.
                if self._sysex_length <= MAX_DATA_BYTES + 1:
                    self._data.append(byte)
                return None
            self._sysex = False
        elif byte < 0x80:
            if self._needed:
                self._data.append(byte)
                self._needed -= 1
                if not self._needed:
                    return Message(self._command, self._channel, tuple(self._data))
            return None
        self._needed = 0
        self._data = []
        command, channel = (byte & 0xF0, byte & 0x0F) if byte < START_SYSEX else (byte, 0)
        if command in _TWO_BYTE_COMMANDS or command in _ONE_BYTE_COMMANDS:
            self._command, self._channel = command, channel
            self._needed = 2 if command in _TWO_BYTE_COMMANDS else 1
        elif command == START_SYSEX:
            self._sysex = True
            self._sysex_length = 0
        elif command in (SYSTEM_RESET, REPORT_VERSION):
            return Message(command, 0, ())
        return None


def to_7bit_pairs(values: bytes | list[int]) -> bytes:
    """Each value as two 7-bit bytes, low first (how Firmata sends 8-bit data).

    >>> to_7bit_pairs(b"Hi").hex()
    '48006900'
    """
    out = bytearray()
    for value in values:
        out += bytes((value & 0x7F, (value >> 7) & 0x7F))
    return bytes(out)


def from_7bit_pairs(data: tuple[int, ...] | bytes) -> bytes:
    """The inverse of :func:`to_7bit_pairs` (an odd last byte stands alone).

    >>> from_7bit_pairs((72, 0, 105, 0))
    b'Hi'
    """
    pairs = [data[i] | ((data[i + 1] if i + 1 < len(data) else 0) << 7) for i in range(0, len(data), 2)]
    return bytes(value & 0xFF for value in pairs)


def encode_sysex(command: int, payload: bytes | list[int] = b"") -> bytes:
    """``START_SYSEX command payload END_SYSEX``."""
    return bytes((START_SYSEX, command, *payload, END_SYSEX))


def encode_version(major: int, minor: int) -> bytes:
    """REPORT_VERSION: the protocol version."""
    return bytes((REPORT_VERSION, major, minor))


def encode_firmware(name: str, major: int, minor: int) -> bytes:
    """REPORT_FIRMWARE: the sketch's name and version.

    >>> encode_firmware("A", 2, 5).hex()
    'f07902054100f7'
    """
    return encode_sysex(REPORT_FIRMWARE, bytes((major, minor)) + to_7bit_pairs(name.encode("ascii")))


def encode_analog(channel: int, value: int) -> bytes:
    """ANALOG_MESSAGE: a 14-bit reading of analog channel 0..15."""
    return bytes((ANALOG_MESSAGE | (channel & 0x0F), value & 0x7F, (value >> 7) & 0x7F))


def encode_digital_port(port: int, value: int) -> bytes:
    """DIGITAL_MESSAGE: the eight levels of one port."""
    return bytes((DIGITAL_MESSAGE | (port & 0x0F), value & 0x7F, (value >> 7) & 0x7F))


def encode_string(text: str) -> bytes:
    """STRING_DATA: a message from the firmware, such as ``"Unknown pin mode"``."""
    return encode_sysex(STRING_DATA, to_7bit_pairs(text.encode("ascii", "replace")))
