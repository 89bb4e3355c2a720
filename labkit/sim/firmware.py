"""StandardFirmata 2.5, emulated in Python: what the sketch does with each message.

:class:`StandardFirmata` is the firmware's logic without the wire: feed it the
host's bytes with :meth:`~StandardFirmata.receive`, let time pass with
:meth:`~StandardFirmata.step`, and it hands its answers to ``send``. It follows
the sketch on a real board: the version and firmware reports at boot, every
pin reset to OUTPUT (analog pins to ANALOG) by SYSTEM_RESET, which only calls
``pinMode(OUTPUT)`` so an LED that was on stays on (each pin keeps its PORT
bit; a pin whose pull-up was on comes out high), reserved pins (0
and 1, the USB serial on an Uno) listed with no modes and left alone, 10-bit
ADC readings every sampling interval (at least 1 ms), digital ports reported
on change, PWM only on PWM pins, servos on any digital pin (at most 12 on an
Uno), and ``"Unknown pin mode"`` for a mode it does not know.

>>> from labkit.profiles import load_board
>>> from labkit.sim import World
>>> from labkit.sim.firmware import StandardFirmata
>>> sent = []
>>> fw = StandardFirmata(load_board("uno"), World("starter"), sent.append)
>>> fw.boot(0.0)
>>> sent[0].hex()                               # REPORT_VERSION 2.5
'f90205'
>>> fw.receive(bytes([0xF4, 13, 1, 0x91, 0x20, 0x00]), 0.1)   # pin 13 OUTPUT, port 1 = 0b100000
>>> fw.pin_state(13).level
1
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labkit.profiles import BoardProfile
from labkit.sim import firmata as fm
from labkit.sim.world import World

__all__ = [
    "FIRMWARE_NAME",
    "FIRMWARE_VERSION",
    "PROTOCOL_VERSION",
    "VERSION_BLINK_S",
    "PinState",
    "StandardFirmata",
    "version_blink",
]

FIRMWARE_NAME = "StandardFirmata.ino"
FIRMWARE_VERSION = (2, 5)
PROTOCOL_VERSION = (2, 5)
DEFAULT_SAMPLING_MS = 19
MINIMUM_SAMPLING_MS = 1
# The Servo library's defaults (microseconds) and the pulse a fresh servo gets.
SERVO_MIN_US, SERVO_MAX_US, SERVO_DEFAULT_US = 544, 2400, 1500
SERVO_PERIOD_US = 20_000
# Firmata.begin() blinks the version on pin 13 before it reports: major, then minor.
VERSION_BLINK_PIN = 13
_BLINK_ON_S, _BLINK_OFF_S, _BLINK_GAP_S, _BLINK_END_S = 0.040, 0.210, 0.250, 0.125
VERSION_BLINK_S = (
    (FIRMWARE_VERSION[0] + FIRMWARE_VERSION[1]) * (_BLINK_ON_S + _BLINK_OFF_S) + _BLINK_GAP_S + _BLINK_END_S
)

# What Boards.h knows that the profiles do not: I2C pins and how many servos fit.
_I2C_PINS = {"atmega328p": (18, 19), "atmega2560": (20, 21), "atmega32u4": (2, 3)}
_MAX_SERVOS = {"atmega328p": 12, "atmega2560": 48, "atmega32u4": 12}

Recorder = Callable[[float, int, float], None]


def version_blink() -> list[tuple[float, int]]:
    """When (seconds into ``Firmata.begin()``) pin 13 switches, and to what: 2 blinks, then 5.

    >>> version_blink()[:3]
    [(0.0, 1), (0.04, 0), (0.25, 1)]
    >>> round(VERSION_BLINK_S, 3)
    2.125
    """
    events: list[tuple[float, int]] = []
    t = 0.0
    for count, pause in ((FIRMWARE_VERSION[0], _BLINK_GAP_S), (FIRMWARE_VERSION[1], _BLINK_END_S)):
        for _ in range(count):
            events += [(round(t, 6), 1), (round(t + _BLINK_ON_S, 6), 0)]
            t += _BLINK_ON_S + _BLINK_OFF_S
        t += pause
    return events


@dataclass(frozen=True)
class PinState:
    """What one pin of a virtual board is doing.

    ``mode``: ``"input"``, ``"input_pullup"``, ``"output"``, ``"analog"``,
    ``"pwm"``, ``"servo"``, ``"i2c"`` or ``"serial"`` (a reserved pin);
    ``level``: the level it drives (outputs; 1 while a PWM or servo signal
    runs) or reads (inputs); ``duty``: the fraction of time it is high;
    ``servo_angle``: where the kit's servo on that pin points (else None);
    ``pulse_us``: the servo pulse width while it is a servo pin; ``state``:
    Firmata's pin state (the value PIN_STATE_QUERY answers); ``reporting``:
    its readings are being sent.

    >>> PinState(13, "output", 1, 1.0, None, None, 1, False)
    PinState(pin=13, mode='output', level=1, duty=1.0, servo_angle=None, pulse_us=None, state=1, reporting=False)
    """

    pin: int
    mode: str
    level: int
    duty: float
    servo_angle: float | None
    pulse_us: float | None
    state: int
    reporting: bool


class StandardFirmata:
    """The firmware's state and its answers; not thread-safe (the board serialises calls).

    ``send(bytes)`` gets every byte the firmware writes to its serial port;
    ``record(t, pin, value)`` gets every change of what an output drives
    (0/1 for digital outputs, duty 0..1 for PWM, pulse width in microseconds
    for servos).
    """

    def __init__(
        self,
        board: BoardProfile,
        world: World,
        send: Callable[[bytes], None],
        record: Recorder | None = None,
    ) -> None:
        self.board, self.world = board, world
        self._send = send
        self._record = record or (lambda t, pin, value: None)
        total = board.total_pins
        self.total_pins = total
        self.total_ports = (total + 7) // 8
        self._digital = [board.is_digital(p) and p not in board.reserved_pins for p in range(total)]
        self._channel = [board.analog_channel(p) for p in range(total)]
        self._i2c = frozenset(_I2C_PINS.get(board.mcu, ()))
        self._max_servos = _MAX_SERVOS.get(board.mcu, 12)
        self._parser = fm.FirmataParser()
        self._config = [fm.MODE_OUTPUT if self._digital[p] else fm.MODE_INPUT for p in range(total)]
        self._state = [0] * total
        # Each pin's PORT bit: the level it drives as an output, its pull-up as an input.
        self._latch = [False] * total
        self._output = [0.0] * total  # level or duty the pin drives
        self._traced = [0.0] * total  # the last value given to record(); pins start low
        self._servo_range: dict[int, tuple[int, int]] = {}
        self._pulse: dict[int, int] = {}
        self._report_ports = [False] * self.total_ports
        self._previous_ports = [0] * self.total_ports
        self._report_analog = 0
        self.sampling_ms = DEFAULT_SAMPLING_MS
        self._boot_t = 0.0
        self._previous_ms = 0
        self._resetting = False

    # -- driving the firmware -------------------------------------------------------------------

    def boot(self, t: float) -> None:
        """Power-on or reset: ``setup()`` sends the version reports, then resets every pin."""
        self._boot_t = t
        self._previous_ms = 0
        # A reset starts the sketch from scratch: every global back to its initial value.
        self.sampling_ms = DEFAULT_SAMPLING_MS
        self._pulse.clear()
        self._state = [0] * self.total_pins
        self._latch = [False] * self.total_pins
        self._parser.reset()
        self._send(fm.encode_version(*PROTOCOL_VERSION))
        self._send(fm.encode_firmware(FIRMWARE_NAME, *FIRMWARE_VERSION))
        self._system_reset(t)

    def hold_in_reset(self, t: float) -> None:
        """The chip is held in reset (DTR): every pin is an input without pull-up, nothing runs."""
        self._servo_range.clear()
        self._report_analog = 0
        self._report_ports = [False] * self.total_ports
        for pin in range(self.total_pins):
            self._drive(pin, "off", 0.0, t)
            self._latch[pin] = False
            if self._digital[pin]:
                self._config[pin] = fm.MODE_INPUT

    def blink(self, level: int, t: float) -> None:
        """Set the version-blink LED (pin 13) during boot; see :func:`version_blink`."""
        if VERSION_BLINK_PIN < self.total_pins:
            self._drive(VERSION_BLINK_PIN, "output", float(level), t)

    def receive(self, data: bytes, t: float) -> None:
        """Handle the host's bytes that arrived at time ``t``."""
        self._keep_time(t)
        for message in self._parser.feed(data):
            self._handle(message, t)

    def step(self, t: float) -> None:
        """One pass of ``loop()``: report changed digital ports, then sample if it is time."""
        self._check_digital_inputs(t)
        self._keep_time(t)
        now_ms = int((t - self._boot_t) * 1000)
        if now_ms - self._previous_ms > self.sampling_ms:
            self._previous_ms += self.sampling_ms
            for pin in range(self.total_pins):
                channel = self._channel[pin]
                if channel is not None and self._config[pin] == fm.MODE_ANALOG and self._report_analog >> channel & 1:
                    self._send(fm.encode_analog(channel, self.world.adc_read(pin, t)))

    def _keep_time(self, t: float) -> None:
        # loop() moves its sampling clock on even while nothing reports; only reports can lag.
        if not self._report_analog:
            behind = int((t - self._boot_t) * 1000) - self._previous_ms - 1
            if behind >= self.sampling_ms:
                self._previous_ms += behind // self.sampling_ms * self.sampling_ms

    def sampling_due(self, t: float) -> float | None:
        """When the next analog sampling happens (None while no channel reports)."""
        if not self._report_analog:
            return None
        return self._boot_t + (self._previous_ms + self.sampling_ms + 1) / 1000.0

    def pin_state(self, pin: int, t: float | None = None) -> PinState:
        """What ``pin`` does now."""
        t = self.world.now() if t is None else t
        mode = self._config[pin]
        name = fm.MODE_NAMES.get(mode, f"mode {mode}")
        if pin in self.board.reserved_pins:
            name = "serial"
        servo_angle = self.world.servo_angle(pin, t) if pin in self.world.servo_pins else None
        pulse = self._pulse.get(pin) if mode == fm.MODE_SERVO else None
        if mode in (fm.MODE_INPUT, fm.MODE_PULLUP) and self._digital[pin]:
            level = self.world.digital_level(pin, t, pull_up=self._latch[pin])
            duty = float(level)
        elif mode == fm.MODE_SERVO:
            level = int(pulse is not None)
            duty = (pulse or 0) / SERVO_PERIOD_US
        elif mode in (fm.MODE_OUTPUT, fm.MODE_PWM) and self._digital[pin]:
            duty = self._output[pin]
            level = int(duty > 0)
        else:
            level, duty = 0, 0.0
        channel = self._channel[pin]
        reporting = (
            channel is not None and mode == fm.MODE_ANALOG and bool(self._report_analog >> channel & 1)
        ) or (mode in (fm.MODE_INPUT, fm.MODE_PULLUP) and self._report_ports[pin // 8])
        return PinState(pin, name, level, duty, servo_angle, None if pulse is None else float(pulse), self._state[pin], reporting)

    # -- messages -------------------------------------------------------------------------------

    def _handle(self, message: fm.Message, t: float) -> None:
        command, channel, data = message.command, message.channel, message.data
        if command == fm.ANALOG_MESSAGE:
            self._analog_write(channel, data[0] | data[1] << 7, t)
        elif command == fm.DIGITAL_MESSAGE:
            self._digital_write_port(channel, data[0] | data[1] << 7, t)
        elif command == fm.REPORT_ANALOG:
            self._set_analog_reporting(channel, data[0], t)
        elif command == fm.REPORT_DIGITAL:
            self._set_digital_reporting(channel, data[0], t)
        elif command == fm.SET_PIN_MODE:
            self._set_pin_mode(data[0], data[1], t)
        elif command == fm.SET_DIGITAL_PIN_VALUE:
            pin = data[0]
            if pin < self.total_pins and self._digital[pin] and self._config[pin] == fm.MODE_OUTPUT:
                self._state[pin] = data[1]
                self._latch[pin] = data[1] != 0
                self._drive(pin, "output", float(data[1] != 0), t)
        elif command == fm.REPORT_VERSION:
            self._send(fm.encode_version(*PROTOCOL_VERSION))
        elif command == fm.SYSTEM_RESET:
            self._parser.reset()
            self._system_reset(t)
        elif command == fm.START_SYSEX:
            self._sysex(channel, data, t)

    def _sysex(self, command: int, argv: tuple[int, ...], t: float) -> None:
        argc = len(argv)
        if command == fm.REPORT_FIRMWARE:
            self._send(fm.encode_firmware(FIRMWARE_NAME, *FIRMWARE_VERSION))
        elif command == fm.SERVO_CONFIG and argc > 4:
            pin = argv[0]
            if pin < self.total_pins and self._digital[pin]:
                self._detach_servo(pin, t)
                self._attach_servo(pin, argv[1] | argv[2] << 7, argv[3] | argv[4] << 7, t)
                self._set_pin_mode(pin, fm.MODE_SERVO, t)
        elif command == fm.SAMPLING_INTERVAL and argc > 1:
            self.sampling_ms = max(argv[0] | argv[1] << 7, MINIMUM_SAMPLING_MS)
        elif command == fm.EXTENDED_ANALOG and argc > 1:
            value = argv[1]
            if argc > 2:
                value |= argv[2] << 7
            if argc > 3:
                value |= argv[3] << 14
            self._analog_write(argv[0], value, t)
        elif command == fm.CAPABILITY_QUERY:
            self._send(fm.encode_sysex(fm.CAPABILITY_RESPONSE, self._capabilities()))
        elif command == fm.PIN_STATE_QUERY and argc > 0:
            pin = argv[0]
            payload = [pin]
            if pin < self.total_pins:
                state = self._state[pin] & 0xFFFF
                payload += [self._config[pin], state & 0x7F]
                if state & 0xFF80:
                    payload.append(state >> 7 & 0x7F)
                if state & 0xC000:
                    payload.append(state >> 14 & 0x7F)
            self._send(fm.encode_sysex(fm.PIN_STATE_RESPONSE, payload))
        elif command == fm.ANALOG_MAPPING_QUERY:
            mapping = [127 if ch is None else ch for ch in self._channel]
            self._send(fm.encode_sysex(fm.ANALOG_MAPPING_RESPONSE, mapping))
        # STRING_DATA and unknown sysex commands: StandardFirmata attaches no handler.

    def _capabilities(self) -> list[int]:
        out: list[int] = []
        pwm_bits, adc_bits = 8, self.board.adc_bits
        for pin in range(self.total_pins):
            if self._digital[pin]:
                out += [fm.MODE_INPUT, 1, fm.MODE_PULLUP, 1, fm.MODE_OUTPUT, 1]
            if self._channel[pin] is not None:
                out += [fm.MODE_ANALOG, adc_bits]
            if pin in self.board.pwm_pins and self._digital[pin]:
                out += [fm.MODE_PWM, pwm_bits]
            if self._digital[pin]:
                out += [fm.MODE_SERVO, 14]
            if pin in self._i2c:
                out += [fm.MODE_I2C, 1]
            out.append(127)
        return out

    # -- the sketch's callbacks -----------------------------------------------------------------

    def _system_reset(self, t: float) -> None:
        self._resetting = True
        self._report_ports = [False] * self.total_ports
        self._previous_ports = [0] * self.total_ports
        for pin in range(self.total_pins):
            if self._channel[pin] is not None:
                self._set_pin_mode(pin, fm.MODE_ANALOG, t)
            elif self._digital[pin]:
                self._set_pin_mode(pin, fm.MODE_OUTPUT, t)
        self._servo_range.clear()
        self._report_analog = 0
        self._resetting = False

    def _set_pin_mode(self, pin: int, mode: int, t: float) -> None:
        if pin >= self.total_pins or self._config[pin] == fm.MODE_IGNORE:
            return
        digital = self._digital[pin]
        if digital and mode != fm.MODE_SERVO:
            self._detach_servo(pin, t)
        channel = self._channel[pin]
        if channel is not None:
            self._set_analog_reporting(channel, int(mode == fm.MODE_ANALOG), t)
        self._state[pin] = 0
        if mode == fm.MODE_ANALOG:
            if channel is not None:
                if digital:
                    self._latch[pin] = False  # pinMode(INPUT) also drops the pull-up
                    self._drive(pin, "off", 0.0, t)
                self._config[pin] = fm.MODE_ANALOG
        elif mode == fm.MODE_INPUT:
            if digital:
                self._latch[pin] = False
                self._drive(pin, "off", 0.0, t)
                self._config[pin] = fm.MODE_INPUT
        elif mode == fm.MODE_PULLUP:
            if digital:
                self._latch[pin] = True
                self._drive(pin, "off", 0.0, t)
                self._config[pin] = fm.MODE_PULLUP
                self._state[pin] = 1
        elif mode == fm.MODE_OUTPUT:
            if digital:
                if self._config[pin] == fm.MODE_PWM:
                    self._latch[pin] = False  # digitalWrite(LOW) stops the timer
                # Only pinMode(OUTPUT): the pin drives whatever its PORT bit holds (2.5.x),
                # so an output left high, or a pin whose pull-up was on, comes out high.
                self._drive(pin, "output", float(self._latch[pin]), t)
                self._config[pin] = fm.MODE_OUTPUT
        elif mode == fm.MODE_PWM:
            if digital and pin in self.board.pwm_pins:
                self._latch[pin] = False  # analogWrite(0) is digitalWrite(LOW)
                self._drive(pin, "pwm", 0.0, t)
                self._config[pin] = fm.MODE_PWM
        elif mode == fm.MODE_SERVO:
            if digital:
                self._config[pin] = fm.MODE_SERVO
                if pin not in self._servo_range:
                    self._attach_servo(pin, -1, -1, t)
        elif mode == fm.MODE_I2C:
            if pin in self._i2c:
                self._config[pin] = fm.MODE_I2C
        elif mode == fm.MODE_SERIAL:
            # The serial feature (SoftwareSerial on an Uno) takes the pin; no wires to it here.
            self._drive(pin, "off", 0.0, t)
            self._config[pin] = fm.MODE_SERIAL
        else:
            self._send(fm.encode_string("Unknown pin mode"))

    def _attach_servo(self, pin: int, min_us: int, max_us: int, t: float) -> None:
        if len(self._servo_range) >= self._max_servos:
            self._send(fm.encode_string("Max servos attached"))
            return
        if min_us <= 0 or max_us <= 0:
            min_us, max_us = SERVO_MIN_US, SERVO_MAX_US
        # The Servo library stores each limit as a signed byte of 4 us steps from its default.
        low = SERVO_MIN_US - 4 * max(-128, min(127, int((SERVO_MIN_US - min_us) / 4)))
        high = SERVO_MAX_US - 4 * max(-128, min(127, int((SERVO_MAX_US - max_us) / 4)))
        self._servo_range[pin] = (low, high)
        self._drive(pin, "servo", float(self._pulse.setdefault(pin, SERVO_DEFAULT_US)), t)

    def _detach_servo(self, pin: int, t: float) -> None:
        if self._servo_range.pop(pin, None) is not None:
            # Servo.detach() stops the pulses; the pin stays an output, low.
            self._latch[pin] = False
            self._drive(pin, "output", 0.0, t)

    def _servo_write(self, pin: int, value: int, t: float) -> None:
        low, high = self._servo_range.get(pin, (SERVO_MIN_US, SERVO_MAX_US))
        if value < SERVO_MIN_US:
            angle = min(max(value, 0), 180)
            value = low + int(angle * (high - low) / 180)
        pulse = min(max(value, low), high)
        self._pulse[pin] = pulse
        if pin in self._servo_range:
            self._drive(pin, "servo", float(pulse), t)

    def _analog_write(self, pin: int, value: int, t: float) -> None:
        if pin >= self.total_pins:
            return
        mode = self._config[pin]
        if mode == fm.MODE_SERVO:
            if self._digital[pin]:
                self._servo_write(pin, value, t)
            self._state[pin] = value
        elif mode == fm.MODE_PWM:
            if pin in self.board.pwm_pins:
                # analogWrite: 0 and 255 switch the pin fully; otherwise the 8-bit timer compare.
                if value in (0, 255):
                    self._latch[pin] = value == 255
                duty = 0.0 if value == 0 else 1.0 if value == 255 else (value & 0xFF) / 255.0
                self._drive(pin, "pwm", duty, t)
            self._state[pin] = value

    def _digital_write_port(self, port: int, value: int, t: float) -> None:
        if port >= self.total_ports:
            return
        for pin in range(port * 8, min(port * 8 + 8, self.total_pins)):
            if not self._digital[pin] or self._config[pin] not in (fm.MODE_OUTPUT, fm.MODE_INPUT):
                continue
            bit = value >> (pin - port * 8) & 1
            if self._config[pin] == fm.MODE_OUTPUT:
                self._latch[pin] = bool(bit)
                self._drive(pin, "output", float(bit), t)
            elif bit and self._state[pin] != 1:
                # Writing 1 to an INPUT pin turns its pull-up on (pinMode INPUT_PULLUP).
                self._latch[pin] = True
            self._state[pin] = bit

    def _set_analog_reporting(self, channel: int, enable: int, t: float) -> None:
        if channel >= len(self.board.analog_pins):
            return
        if not enable:
            self._report_analog &= ~(1 << channel)
            return
        self._report_analog |= 1 << channel
        if not self._resetting:
            # The firmware answers at once with the channel's current reading.
            self._send(fm.encode_analog(channel, self.world.adc_read(self._analog_pin(channel), t)))

    def _set_digital_reporting(self, port: int, enable: int, t: float) -> None:
        if port >= self.total_ports:
            return
        self._report_ports[port] = bool(enable)
        if enable:
            self._output_port(port, self._read_port(port, t), force=True)

    def _analog_pin(self, channel: int) -> int:
        return self._channel.index(channel)

    # -- ports ----------------------------------------------------------------------------------

    def _input_mask(self, port: int) -> int:
        mask = 0
        for pin in range(port * 8, min(port * 8 + 8, self.total_pins)):
            if self._digital[pin] and self._config[pin] in (fm.MODE_INPUT, fm.MODE_PULLUP):
                mask |= 1 << (pin - port * 8)
        return mask

    def _read_port(self, port: int, t: float) -> int:
        mask = self._input_mask(port)
        value = 0
        for bit in range(8):
            if mask >> bit & 1:
                pin = port * 8 + bit
                value |= self.world.digital_level(pin, t, pull_up=self._latch[pin]) << bit
        return value

    def _output_port(self, port: int, value: int, force: bool) -> None:
        if force or self._previous_ports[port] != value:
            self._send(fm.encode_digital_port(port, value))
            self._previous_ports[port] = value

    def _check_digital_inputs(self, t: float) -> None:
        for port in range(self.total_ports):
            if self._report_ports[port]:
                self._output_port(port, self._read_port(port, t), force=False)

    def _drive(self, pin: int, mode: str, value: float, t: float) -> None:
        self.world.drive(pin, mode, value, t)
        self._output[pin] = value if mode in ("output", "pwm") else 0.0
        if value != self._traced[pin]:
            self._traced[pin] = value
            self._record(t, pin, value)
