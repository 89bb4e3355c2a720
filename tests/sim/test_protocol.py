"""The virtual Uno answers like StandardFirmata 2.5 on a real Uno, byte for byte."""

from __future__ import annotations

import time

from labkit.profiles import load_board
from labkit.sim import VirtualBoard
from tests.sim.host import RawHost

UNO = load_board("uno")


def is_sysex(command: int):
    return lambda r: r.command == 0xF0 and r.channel == command


def test_opening_the_port_boots_the_board_with_version_and_firmware(board: VirtualBoard) -> None:
    host = RawHost(board.port)
    try:
        version = host.wait_for(lambda r: r.command == 0xF9)
        firmware = host.wait_for(is_sysex(0x79))
    finally:
        host.close()
    assert version.data == (2, 5)
    assert firmware.data[:2] == (2, 5)
    name = bytes(firmware.data[2 + i] | firmware.data[3 + i] << 7 for i in range(0, len(firmware.data) - 2, 2))
    assert name == b"StandardFirmata.ino"
    # the version came first, right at boot
    assert host.replies[0] == version


def test_version_and_firmware_queries(host: RawHost) -> None:
    host.send(0xF9)
    assert host.wait_for(lambda r: r.command == 0xF9).data == (2, 5)
    host.sysex(0x79)
    assert host.wait_for(is_sysex(0x79)).data[:2] == (2, 5)


def test_capability_response_follows_the_profile(host: RawHost) -> None:
    host.sysex(0x6B)
    reply = host.wait_for(is_sysex(0x6C))
    pins: list[dict[int, int]] = [{}]
    data = list(reply.data)
    while data:
        mode = data.pop(0)
        if mode == 0x7F:
            pins.append({})
            continue
        pins[-1][mode] = data.pop(0)
    pins.pop()
    assert len(pins) == UNO.total_pins == 20
    assert pins[0] == pins[1] == {}  # USB serial: Firmata leaves them alone
    for pin in range(2, 20):
        modes = pins[pin]
        assert modes[0] == modes[1] == modes[11] == 1  # input, output, pull-up
        assert modes[4] == 14  # servo on every digital pin
        assert (3 in modes) == (pin in UNO.pwm_pins)
        if pin in UNO.pwm_pins:
            assert modes[3] == 8
        assert (modes.get(2) == 10) == (UNO.analog_channel(pin) is not None)
        assert (6 in modes) == (pin in (18, 19))  # I2C on A4/A5


def test_analog_mapping(host: RawHost) -> None:
    host.sysex(0x69)
    reply = host.wait_for(is_sysex(0x6A))
    assert reply.data == (127,) * 14 + (0, 1, 2, 3, 4, 5)


def test_pin_state_query_after_modes_and_writes(host: RawHost) -> None:
    host.send(0xF4, 13, 1, 0x91, 0x20, 0x00)  # D13 output, port 1 = bit 5
    host.sysex(0x6D, 13)
    assert host.wait_for(is_sysex(0x6E)).data == (13, 1, 1)
    host.send(0xF4, 9, 3, 0xE9, 0x7F, 0x01)  # D9 PWM 255
    host.sysex(0x6D, 9)
    assert host.wait_for(is_sysex(0x6E)).data == (9, 3, 0x7F, 0x01)
    host.sysex(0x6D, 14)
    assert host.wait_for(is_sysex(0x6E)).data == (14, 2, 0)  # A0 is analog after reset
    host.sysex(0x6D, 2)
    assert host.wait_for(is_sysex(0x6E)).data == (2, 1, 0)  # other pins are outputs


def test_outputs_drive_the_pins(board: VirtualBoard, host: RawHost) -> None:
    host.send(0xF4, 13, 1, 0xF5, 13, 1)  # SET_DIGITAL_PIN_VALUE
    host.pump(0.05)
    assert board.pin(13).level == 1 and board.pin(13).mode == "output"
    host.send(0x91, 0x00, 0x00)
    host.pump(0.05)
    assert board.pin(13).level == 0
    host.send(0xF4, 5, 3, 0xE5, 64, 0)  # D5 PWM, 64/255
    host.pump(0.05)
    assert board.pin(5).mode == "pwm" and abs(board.pin(5).duty - 64 / 255) < 1e-9
    host.sysex(0x6F, 6, 0, 0)  # EXTENDED_ANALOG on a pin not in PWM mode: ignored
    host.send(0xF4, 6, 3)
    host.sysex(0x6F, 6, 0x7F, 0x01)  # EXTENDED_ANALOG 255 on D6
    host.pump(0.05)
    assert board.pin(6).duty == 1.0
    rows = [(int(pin), float(value)) for _, pin, value in board.trace()]
    assert rows == [(13, 1.0), (13, 0.0), (5, 64 / 255), (6, 1.0)]


def test_pwm_on_a_pin_without_pwm_is_ignored_like_the_firmware(board: VirtualBoard, host: RawHost) -> None:
    host.send(0xF4, 4, 3, 0xE4, 100, 0)
    host.sysex(0x6D, 4)
    assert host.wait_for(is_sysex(0x6E)).data == (4, 1, 0)  # still an output, nothing written
    assert board.pin(4).duty == 0.0


def test_unknown_mode_and_reserved_pins(board: VirtualBoard, host: RawHost) -> None:
    host.send(0xF4, 7, 0x55)
    reply = host.wait_for(is_sysex(0x71))
    assert bytes(reply.data[::2]) == b"Unknown pin mode"
    host.send(0xF4, 8, 0x0A, 0xF9)  # SERIAL is known (the serial feature): no complaint
    assert [r.command for r in host.pump(0.05)] == [0xF9]
    assert board.pin(8).mode == "serial"
    host.send(0xF4, 1, 1, 0x90, 0x03, 0x00)  # RX/TX: no mode change, no write
    host.pump(0.05)
    assert board.pin(0).mode == board.pin(1).mode == "serial"
    assert board.pin(1).level == 0


def test_unplug_fails_the_hosts_next_read(board: VirtualBoard, host: RawHost) -> None:
    board.unplug()
    try:
        host.pump(0.2)
    except OSError:
        pass
    else:
        raise AssertionError("reading an unplugged board should fail")
    board.close()  # idempotent after unplug
    assert board.closed


def test_garbage_between_messages_is_skipped(host: RawHost) -> None:
    host.send(0x12, 0x55, 0x91, 0x05, 0xF4, 0x99, 0xF0, 0x01, 0x02)  # junk, half messages, open sysex
    host.send(0xF9)
    assert host.wait_for(lambda r: r.command == 0xF9).data == (2, 5)
    host.send(0x7F, 0xF0, 0x69, 0xF7)
    assert host.wait_for(is_sysex(0x6A))


def test_several_boards_at_once() -> None:
    boards = [VirtualBoard(seed=i, boot_s=0.01) for i in range(3)]
    hosts = [RawHost(b.port) for b in boards]
    try:
        assert len({b.port for b in boards}) == 3
        for i, host in enumerate(hosts):
            host.wait_for(is_sysex(0x79))
            host.send(0xF4, 13, 1, 0x91, 0x20 if i == 1 else 0, 0)
        time.sleep(0.05)
        assert [b.pin(13).level for b in boards] == [0, 1, 0]
    finally:
        for host in hosts:
            host.close()
        for b in boards:
            b.close()
