"""The Firmata link through real ptys: what pyfirmata2 gets wrong stays fixed, bad ports fail clearly.

Each pyfirmata2 defect named in the wrapper's docs has a regression test here.
"""

from __future__ import annotations

import random
import threading
import time

import pytest

from labkit.errors import (
    BoardClosedError,
    ConnectionLostError,
    HardwareError,
    LabkitError,
    NotFirmataError,
    PinModeError,
    ValueRangeError,
)
from labkit.hardware import Board, CallbackWarning
from labkit.sim import VirtualBoard
from tests.hardware.helpers import PtyPeer, analog, digital, eventually, reports, settled

# -- connecting -------------------------------------------------------------------------------


def test_connect_waits_for_the_report_not_five_seconds(engine: str, firmware: str | None) -> None:
    started = time.monotonic()
    with Board.connect("sim", firmware=firmware) as board:
        took = time.monotonic() - started
        assert board.firmware.name == "StandardFirmata.ino"
        # avrgirl-arduino ships StandardFirmata 2.4; the emulation is the Arduino IDE's 2.5.
        version = {"emulated": (2, 5), "simavr": (2, 4)}[engine]
        assert board.firmware.version == version and board.firmware.protocol == version
    # pyfirmata2 sleeps 5 s on every connect; the benchmark holds the figures. Opening the simulated
    # AVR resets it, and StandardFirmata blinks its version (2 simulated seconds) before it reports.
    assert took < {"emulated": 2.0, "simavr": 4.0}[engine]


def test_a_silent_port_fails_within_8_seconds_saying_so(peer: PtyPeer) -> None:
    started = time.monotonic()
    with pytest.raises(NotFirmataError, match="nothing at all") as error:
        Board.connect(peer.port, kit=None)
    assert time.monotonic() - started < 8.0
    assert "StandardFirmata" in str(error.value) and peer.port in str(error.value)
    # It asked, more than once (a Leonardo does not reset when the port opens).
    assert peer.received.count(b"\xf9") >= 2


def test_a_port_spewing_garbage_fails_showing_the_bytes(peer: PtyPeer) -> None:
    noise = random.Random(0)
    peer.keep_sending(lambda: bytes(noise.randrange(256) for _ in range(64)))
    started = time.monotonic()
    with pytest.raises(NotFirmataError, match="bytes that are not Firmata: bytes [0-9a-f]{2} ") as error:
        Board.connect(peer.port, kit=None, timeout=2.0)
    assert time.monotonic() - started < 8.0
    assert "baud rate" in str(error.value)


def test_a_device_speaking_another_protocol_fails_quoting_it(peer: PtyPeer) -> None:
    # A GPS module: NMEA sentences, the kind of thing found on a lab's USB serial adapter.
    peer.keep_sending(lambda: b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n", 0.05)
    with pytest.raises(NotFirmataError, match=r"text '\$GPGGA,123519") as error:
        Board.connect(peer.port, kit=None, timeout=2.0)
    assert "Serial.print" in str(error.value)


def test_a_board_streaming_firmata_without_answering_is_told_apart(peer: PtyPeer) -> None:
    # A board still reporting for someone else, whose firmware ignores the queries.
    peer.keep_sending(lambda: analog(0, 512) + analog(1, 100))
    with pytest.raises(NotFirmataError, match="holding [0-9]+ Firmata messages, but no reply to the firmware query"):
        Board.connect(peer.port, kit=None, timeout=1.0)


def test_a_port_that_is_not_there_is_named() -> None:
    with pytest.raises(LabkitError, match="no serial port '/dev/ttyNOPE9'"):
        Board.connect("/dev/ttyNOPE9", kit=None)


# -- reading -----------------------------------------------------------------------------------


def test_the_parser_resyncs_after_garbage_between_messages(firmata_peer: PtyPeer) -> None:
    board = Board.connect(firmata_peer.port, kit=None)
    try:
        sensor_ready = threading.Event()

        def stream() -> None:
            firmata_peer.wait_received(bytes([0xC0, 0x01]))  # REPORT_ANALOG A0 on
            firmata_peer.send(analog(0, 1))
            sensor_ready.wait(3)
            firmata_peer.send(
                analog(0, 100)
                + b"\x42\x13"  # stray data bytes
                + analog(0, 200)
                + bytes([0xE0, 0x10])  # a message cut short
                + analog(0, 300)
                + bytes([0xF0, 0x71, 0x41])  # a sysex that never ends
                + analog(0, 400)
                + bytes([0xA5, 0x01, 0x02])  # a command no board sends
                + analog(0, 500)
                + bytes([0xF0, 0xF7])  # an empty sysex
                + analog(0, 600)
            )

        threading.Thread(target=stream, daemon=True).start()
        sensor = board.analog_sensor("A0")
        assert sensor.raw == 1
        threading.Timer(0.1, sensor_ready.set).start()
        data = sensor.record(0.6)
        assert list(data["raw"]) == [100, 200, 300, 400, 500, 600]
        assert board._link.garbage_bytes == 2 + 2 + 3 + 3 + 2
    finally:
        board.close()


def test_two_boards_keep_their_own_data(firmware: str | None) -> None:
    # pyfirmata2 keeps its handler table on the class: the second board's
    # handlers receive the first board's messages.
    with Board.connect("sim", seed=1, firmware=firmware) as first, Board.connect("sim", seed=2, firmware=firmware) as second:
        first.sim.world.light, second.sim.world.light = 0.0, 0.9
        dim, bright = first.light_sensor("A0"), second.light_sensor("A0")
        assert eventually(lambda: dim.value < 0.1 and bright.value > 0.9, timeout=5)
        presses: list[str] = []
        first_button, second_button = settled(first.button(2)), settled(second.button(2))
        first_button.when_pressed = lambda: presses.append("first")
        second_button.when_pressed = lambda: presses.append("second")
        second.sim.world.press("button")
        assert second_button.wait_for_press(timeout=5)
        for board in (first, second):
            board._callbacks.flush()
        assert presses == ["second"] and not first_button.is_pressed


def test_a_digital_change_fires_only_that_pins_callbacks(board: Board) -> None:
    # Button (D2) and motion sensor (D7) share port 0; pyfirmata2 calls every
    # input's callback of the port on any change in it.
    events: list[str] = []
    button, pir = settled(board.button(2)), board.motion_sensor(7)
    button.when_pressed = lambda: events.append("pressed")
    button.when_released = lambda: events.append("released")
    pir.when_motion = lambda: events.append("motion")
    pir.when_no_motion = lambda: events.append("no motion")
    board.sim.world.press("button")
    assert button.wait_for_press(timeout=2)
    board.sim.world.motion = True
    assert pir.wait_for_motion(timeout=2)
    board.sim.world.release("button")
    assert button.wait_for_release(timeout=2)
    board._callbacks.flush()
    assert events == ["pressed", "motion", "released"]


def test_text_from_the_firmware_is_kept(firmata_peer: PtyPeer) -> None:
    with Board.connect(firmata_peer.port, kit=None) as board:
        text = b"".join(bytes([c, 0]) for c in b"Unknown pin mode")
        firmata_peer.send(bytes([0xF0, 0x71]) + text + bytes([0xF7]))
        assert eventually(lambda: board.messages == ["Unknown pin mode"])


# -- writing -----------------------------------------------------------------------------------


def test_pwm_and_servo_on_pins_above_15_use_extended_analog(firmata_peer: PtyPeer) -> None:
    # ANALOG_MESSAGE has 4 bits for the pin: pyfirmata2 sends pin 44 as pin 12.
    with Board.connect(firmata_peer.port, profile="mega2560", kit=None) as board:
        board.pwm_led(44).value = 1.0
        assert firmata_peer.wait_received(bytes([0xF0, 0x6F, 44, 0x7F, 0x01, 0xF7]))
        board.servo(22).angle = 90
        assert firmata_peer.wait_received(bytes([0xF0, 0x70, 22, 544 & 0x7F, 544 >> 7, 2400 & 0x7F, 2400 >> 7, 0xF7]))
        assert firmata_peer.wait_received(bytes([0xF0, 0x6F, 22, 90, 0, 0xF7]))
        board.pwm_led(13).value = 1.0  # below 16 the short message is right
        assert firmata_peer.wait_received(bytes([0xED, 0x7F, 0x01]))


def test_pwm_above_pin_15_reaches_a_virtual_mega() -> None:
    with Board.connect("sim", profile="mega2560", kit=None) as board:
        board.pwm_led(44).value = 1.0
        board.pwm_led(12).value = 0.2
        assert board.sim.pin(44).duty == 1.0
        assert board.sim.pin(12).duty == pytest.approx(51 / 255)  # not overwritten by pin 44


def test_a_servo_on_an_analog_pin_of_the_virtual_uno_moves(board: Board) -> None:
    servo = board.servo("A3")  # pin 17
    servo.angle = 90
    assert eventually(lambda: board.sim.pin("A3").mode == "servo" and board.sim.pin("A3").pulse_us == pytest.approx(1472, abs=12))


def test_a_refused_device_sends_nothing_and_leaves_the_pin_free(firmata_peer: PtyPeer) -> None:
    with Board.connect(firmata_peer.port, kit=None) as board:
        time.sleep(0.1)
        before = len(firmata_peer.received)
        with pytest.raises(PinModeError, match="D4 of the Arduino Uno is not one: use D3, D5, D6, D9-D11"):
            board.pwm_led(4)
        with pytest.raises(ValueRangeError, match="from 0 to 180 degrees, not 200"):
            board.servo(9, initial_angle=200)
        time.sleep(0.1)
        assert len(firmata_peer.received) == before
        # pyfirmata2's get_pin marks the pin taken before it fails: these would raise.
        board.led(4).on()
        board.servo(9, initial_angle=10)
        assert firmata_peer.wait_received(bytes([0xE9, 10, 0]))


def test_an_input_that_never_reports_fails_and_frees_its_pin(firmata_peer: PtyPeer) -> None:
    with Board.connect(firmata_peer.port, kit=None) as board:
        with pytest.raises(HardwareError, match="A0 sent no reading within 2[.0-9]* s: is the board running StandardFirmata"):
            board.analog_sensor("A0")
        assert board.devices == ()
        firmata_peer.keep_sending(lambda: analog(0, 300))
        assert board.analog_sensor("A0").raw == 300


@pytest.mark.parametrize(
    ("version", "pull_up"),
    [((2, 5), [bytes([0xF4, 2, 0x0B])]), ((2, 4), [bytes([0xF4, 2, 0x00]), bytes([0x90, 0b100, 0])])],
)
def test_a_pull_up_is_asked_for_as_the_firmware_knows_it(version: tuple[int, int], pull_up: list[bytes]) -> None:
    # Firmata 2.4 has no INPUT_PULLUP mode: there an input written HIGH pulls up.
    peer = PtyPeer(answer_firmata=True, version=version)
    try:
        board = Board.connect(peer.port, kit=None)

        def answer() -> None:
            peer.wait_received(bytes([0xD0, 0x01]))  # REPORT_DIGITAL port 0 on
            peer.send(digital(0, 0b100))  # D2 pulled up: not pressed

        threading.Thread(target=answer, daemon=True).start()
        button = board.button(2)
        assert not button.is_pressed
        board.led(3).on()  # same port: the pull-up bit must survive the LED's writes
        board.close()
        assert peer.wait_received(bytes([0xD0, 0x00]))  # the last word: reports off
        time.sleep(0.05)
        stream = bytes(peer.received)
        assert all(step in stream for step in pull_up)
        if version < (2, 5):
            assert bytes([0x90, 0b1100, 0]) in stream and bytes([0xF4, 2, 0x0B]) not in stream
            assert stream.endswith(bytes([0x90, 0, 0]))  # closed: LED off, pull-up released
    finally:
        peer.close()


def test_concurrent_writes_never_interleave(firmata_peer: PtyPeer) -> None:
    with Board.connect(firmata_peer.port, kit=None) as board:
        leds = [board.pwm_led(pin) for pin in (3, 5, 6, 9, 10, 11)]
        for led in leds:
            led.pulse(fade_in_time=0.2, fade_out_time=0.2)
        time.sleep(0.5)
        for led in leds:
            led.off()
        time.sleep(0.1)
        stream = bytes(firmata_peer.received)
    # After the handshake, every analog write is exactly [0xE0|pin, lsb, msb].
    writes = stream[stream.index(bytes([0xE3])) :]
    i = 0
    while i < len(writes):
        command = writes[i]
        if command & 0xF0 == 0xE0:
            assert writes[i + 1] < 0x80 and writes[i + 2] < 0x80
            i += 3
        else:
            i += 1
    assert writes.count(bytes([0xE3])) > 10


# -- callbacks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [ZeroDivisionError, OSError, AttributeError])
def test_a_failing_callback_keeps_sampling_and_is_raised_in_the_foreground(board: Board, error: type) -> None:
    # pyfirmata2's sampler stops for good on OSError/AttributeError and
    # swallows the rest; here the board samples on and the user hears of it.
    light = board.light_sensor("A0")
    calls: list[float] = []

    def broken_once(value: float) -> None:
        calls.append(value)
        if len(calls) == 1:
            raise error("the student's bug")

    light.when_changed = broken_once
    with pytest.warns(CallbackWarning, match=f"when_changed callback of <LightSensor on pin A0.*raised {error.__name__}"):
        board.sim.world.light = 0.9
        eventually(lambda: calls)
        board._callbacks.flush()
    with pytest.raises(error, match="the student's bug") as raised:
        light.value  # noqa: B018 - the next foreground call raises it
    assert "when_changed callback" in "".join(getattr(raised.value, "__notes__", []))
    board.sim.world.light = 0.0
    assert eventually(lambda: light.value < 0.1)  # still sampling, raised once
    assert eventually(lambda: len(calls) >= 2)  # and the callback is still called


def test_a_peek_leaves_a_callbacks_error_for_the_users_next_call(board: Board) -> None:
    # A widget refreshing beside the student's code must not be the "next call" that takes their error.
    button, servo, rgb = settled(board.button(2)), board.servo(9), board.rgb_led(3, 5, 6)
    servo.angle, rgb.color = 40, (0, 1, 0)
    button.when_pressed = lambda: 1 / 0
    with pytest.warns(CallbackWarning, match="ZeroDivisionError"):
        board.sim.world.press("button")
        with board.peek():
            assert button.wait_for_press(timeout=5)
        board._callbacks.flush()
    with board.peek():
        assert (button.value, servo.angle, rgb.color) == (True, 40, (0.0, 1.0, 0.0))
        assert button.is_pressed and servo.angle == 40  # as often as it likes
    with pytest.raises(ZeroDivisionError):
        servo.angle = 50  # the student's own next call
    servo.angle = 60  # raised once
    board.sim.unplug()
    with pytest.raises(ConnectionLostError), board.peek():
        eventually(lambda: servo.angle is None)  # a lost board is no state to read: it raises
    board.close()
    with pytest.raises(BoardClosedError), board.peek():
        servo.angle  # noqa: B018


# -- losing the board --------------------------------------------------------------------------


def test_pulling_the_cable_raises_on_the_next_call_without_a_traceback(
    capfd: pytest.CaptureFixture[str], firmware: str | None
) -> None:
    board = Board.connect("sim", firmware=firmware)
    light = board.light_sensor("A0")
    led = board.led(13)
    led.blink(on_time=0.01, off_time=0.01)  # a background thread writing when the cable goes
    time.sleep(0.05)
    board.sim.unplug()
    pulled = time.monotonic()
    with pytest.raises(ConnectionLostError, match="Check the USB cable"):
        while time.monotonic() - pulled < 5:
            light.value  # noqa: B018
            time.sleep(0.01)
    assert time.monotonic() - pulled < 2.0
    with pytest.raises(ConnectionLostError):
        led.on()
    board.close()
    board.close()
    time.sleep(0.1)
    assert "Traceback" not in capfd.readouterr().err


def test_a_peer_that_vanishes_during_a_wait_raises_at_once(firmata_peer: PtyPeer) -> None:
    board = Board.connect(firmata_peer.port, kit=None)

    def answer_then_vanish() -> None:
        firmata_peer.wait_received(bytes([0xD0, 0x01]))  # REPORT_DIGITAL port 0 on
        firmata_peer.send(digital(0, 0b100))  # D2 high: not pressed
        time.sleep(0.3)
        firmata_peer.unplug()

    threading.Thread(target=answer_then_vanish, daemon=True).start()
    button = board.button(2)
    started = time.monotonic()
    with pytest.raises(ConnectionLostError):
        button.wait_for_press(timeout=5)
    assert time.monotonic() - started < 2.0
    board.close()


def test_a_board_that_restarts_is_reported_on_the_next_call(firmata_peer: PtyPeer) -> None:
    # A servo on the 5V pin can brown the board out: it reboots and forgets every pin mode.
    with Board.connect(firmata_peer.port, kit=None) as board:
        led = board.led(13)
        time.sleep(1.6)
        led.on()  # late answers to the connect's queries are no restart
        firmata_peer.send(reports((2, 5)))  # what StandardFirmata says as it starts
        with pytest.raises(ConnectionLostError, match="the board restarted, so its pins lost their set-up"):
            for _ in range(200):
                led.toggle()
                time.sleep(0.01)


# -- closing -----------------------------------------------------------------------------------


def test_close_switches_off_detaches_stops_reports_and_frees_the_port(firmware: str | None) -> None:
    vb = VirtualBoard(seed=0, firmware=firmware)
    try:
        with Board.connect(vb.port) as board:
            board.led(13).on()
            board.pwm_led(5).value = 0.7
            board.servo(9).angle = 45
            board.light_sensor("A0")
            board.button(2)
            assert eventually(lambda: vb.pin(13).level == 1 and vb.pin(9).mode == "servo" and vb.pin("A0").reporting)
        assert board.closed and repr(board) == "<Board closed>"
        assert eventually(lambda: not vb.host_attached)
        # The last bytes before the close are still in the cable; the simulated AVR may take them later.
        assert eventually(lambda: vb.pin(13).level == 0 and vb.pin(5).duty == 0)
        # The simulated AVR tells from its pins, so later than the emulation: a servo stopped once a
        # pulse is missing (60 ms), an analog report stopped once the ADC has been idle for 0.5 s.
        assert eventually(lambda: vb.pin(9).mode != "servo" and not vb.pin("A0").reporting)
        assert not vb.pin(2).reporting
        # The port is free again: another connection gets it.
        with Board.connect(vb.port) as again:
            assert again.firmware.name == "StandardFirmata.ino"
    finally:
        vb.close()


def test_reconnecting_to_a_port_closes_the_board_left_open_there(firmware: str | None) -> None:
    # A notebook cell run twice: the first board is still open on the port.
    vb = VirtualBoard(seed=0, firmware=firmware)
    try:
        first = Board.connect(vb.port)
        led = first.led(13)
        led.on()
        second = Board.connect(vb.port)
        assert first.closed and repr(led) == "<LED closed>"
        with pytest.raises(BoardClosedError):
            led.on()
        second.led(13).on()
        assert eventually(lambda: vb.pin(13).level == 1)
        second.close()
    finally:
        vb.close()


def test_connect_waits_out_an_uno_resetting_when_the_port_opens() -> None:
    # A real Uno reboots when the port opens: the bootloader swallows the first
    # queries, then StandardFirmata reports itself about 2 s later.
    with VirtualBoard(seed=0, boot_s=2.0) as vb:
        started = time.monotonic()
        with Board.connect(vb.port) as board:
            took = time.monotonic() - started
            board.led(13).on()
            assert vb.pin(13).level == 1
        assert 2.0 <= took < 5.0  # the boot, then at once (the default timeout is 5 s)
        # The emulation sees a host come and go by polling: let it see this one go, or a loaded
        # machine can hide the close and reopen from it (a real Uno resets on every open).
        assert eventually(lambda: not vb.host_attached)
        with pytest.raises(NotFirmataError, match="nothing at all"):
            Board.connect(vb.port, timeout=1.0)  # a timeout shorter than the reset


def test_closing_leaves_no_thread_behind(firmware: str | None) -> None:
    before = set(threading.enumerate())
    with Board.connect("sim", firmware=firmware) as board:
        board.led(13).blink(on_time=0.5, off_time=0.5)
        board.button(2, bounce_time=0.05).when_pressed = print
        board.sim.world.press("button")
        board.light_sensor("A0").when_changed = lambda: None
        board.sim.world.light = 0.9
        time.sleep(0.1)
    assert eventually(lambda: not set(threading.enumerate()) - before)
