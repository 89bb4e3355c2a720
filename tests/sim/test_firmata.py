"""The board-side Firmata parser and encoders, byte by byte."""

from __future__ import annotations

from labkit.sim.firmata import (
    FirmataParser,
    Message,
    encode_analog,
    encode_digital_port,
    encode_firmware,
    encode_string,
    from_7bit_pairs,
    to_7bit_pairs,
)


def test_every_host_command_is_parsed() -> None:
    parser = FirmataParser()
    stream = bytes(
        [0xE3, 0x10, 0x01, 0x92, 0x7F, 0x01, 0xC5, 1, 0xD1, 0, 0xF4, 9, 4, 0xF5, 13, 1, 0xF9, 0xFF]
        + [0xF0, 0x6F, 44, 0x7F, 0x7F, 0x01, 0xF7]
    )
    assert parser.feed(stream) == [
        Message(0xE0, 3, (0x10, 0x01)),
        Message(0x90, 2, (0x7F, 0x01)),
        Message(0xC0, 5, (1,)),
        Message(0xD0, 1, (0,)),
        Message(0xF4, 0, (9, 4)),
        Message(0xF5, 0, (13, 1)),
        Message(0xF9, 0, ()),
        Message(0xFF, 0, ()),
        Message(0xF0, 0x6F, (44, 0x7F, 0x7F, 0x01)),
    ]


def test_messages_split_across_reads() -> None:
    parser = FirmataParser()
    assert parser.feed(b"\xf0\x79") == []
    assert parser.feed(b"\xf7\xe0\x01") == [Message(0xF0, 0x79, ())]
    assert parser.feed(b"\x02") == [Message(0xE0, 0, (1, 2))]


def test_garbage_is_dropped_and_the_next_command_wins() -> None:
    parser = FirmataParser()
    garbage = bytes([0x00, 0x55, 0x7F, 0xA0, 0x12, 0xB3, 0xE1, 0x05])  # data, unknown commands, half
    assert parser.feed(garbage + b"\xf9") == [Message(0xF9, 0, ())]
    # an unfinished sysex is abandoned at the next command byte
    assert parser.feed(b"\xf0\x01\x02\x03\xf4\x0d\x01") == [Message(0xF4, 0, (13, 1))]
    # END_SYSEX alone, or an empty sysex, is nothing
    assert parser.feed(b"\xf7\xf0\xf7") == []


def test_an_overlong_sysex_is_cut_at_the_firmwares_buffer() -> None:
    parser = FirmataParser()
    (message,) = parser.feed(bytes([0xF0, 0x71, *([0x41] * 100), 0xF7]))
    assert message.channel == 0x71 and len(message.data) == 64


def test_reset_forgets_a_half_message() -> None:
    parser = FirmataParser()
    parser.feed(b"\xe0\x01")
    parser.reset()
    assert parser.feed(b"\x02") == []


def test_encoders() -> None:
    assert encode_analog(5, 1023) == bytes([0xE5, 0x7F, 0x07])
    assert encode_digital_port(2, 0xFF) == bytes([0x92, 0x7F, 0x01])
    assert encode_firmware("Ab", 2, 5) == bytes([0xF0, 0x79, 2, 5, 0x41, 0, 0x62, 0, 0xF7])
    assert encode_string("ok") == bytes([0xF0, 0x71, 0x6F, 0, 0x6B, 0, 0xF7])
    assert from_7bit_pairs(to_7bit_pairs(bytes(range(256)))) == bytes(range(256))
