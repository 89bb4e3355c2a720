"""The bridge's events, turned into what each Arduino pin drives.

The bridge reports registers (a port's DDR and PORT, a timer's PWM duty, the
ADC's channel); :class:`PinDecoder` keeps them per pin and calls
``drive(t, pin, mode, value)`` whenever what an output drives changes, with
``mode`` one of ``"output"`` (0/1), ``"pwm"`` (duty 0..1), ``"servo"`` (pulse
width in microseconds) and ``"off"`` (an input again), like ``World.drive``.

The Servo library makes its pulses in software, so a servo shows as short
high pulses every 20 ms. With ``servo=True`` a high pulse of a servo's width
counts as one servo pulse instead of two level changes; a rising edge is
held back until the pin falls or the pulse is too long for a servo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labkit.sim.avr._bridge import PinMap

__all__ = ["Drive", "PinDecoder", "PinRegisters"]

Drive = Callable[[float, int, str, float], None]

SERVO_PULSE_S = (400e-6, 2700e-6)
# A servo signal that has not pulsed for this long has stopped.
SERVO_GAP_S = 0.06
# Servo pulses jitter by a few clock cycles (interrupt latency): not a change.
SERVO_JITTER_US = 1.5
# The ADC sampled a channel this recently: the pin is an analog input.
ANALOG_RECENT_S = 0.5


@dataclass
class PinRegisters:
    """What the registers say about one pin at the last event."""

    output: bool = False  # DDR bit
    high: bool = False  # PORT bit: the level it drives, or its pull-up when an input
    duty: float | None = None  # a timer's PWM on it
    pulse_us: float | None = None  # the last servo pulse
    pulse_t: float = 0.0
    rise_t: float | None = None  # a rising edge not yet known to be a servo pulse


class PinDecoder:
    """Per-pin state from the bridge's events; ``drive`` hears every change of an output."""

    def __init__(self, pins: PinMap, hz: float, drive: Drive, *, servo: bool) -> None:
        self.pins, self.hz, self._drive, self._servo = pins, hz, drive, servo
        self.now = 0.0
        self.ended = False
        self.crashed = False
        self.attached = False
        self.synced = -1  # the last sync answered
        self.registers = {pin: PinRegisters() for pin in pins.ports}
        self._sampled: dict[int, float] = {}
        self._driven: dict[int, tuple[str, float]] = {}

    def feed(self, words: list[str]) -> None:
        """Apply one event line (already split)."""
        if len(words) < 2:
            return
        kind, t = words[0], int(words[1]) / self.hz
        self.now = max(self.now, t)
        if kind == "p":
            self._port(t, words[2], int(words[3]), int(words[4]))
        elif kind == "w":
            self._pwm(t, words[2], int(words[3]), float(words[4]))
        elif kind == "a":
            self._sampled[int(words[2])] = t
        elif kind == "c":
            self.attached = words[2] == "1"
        elif kind == "s":
            self.synced = int(words[2])
        elif kind == "x":
            for regs in self.registers.values():
                regs.pulse_us, regs.rise_t = None, None
            self._sampled.clear()
        elif kind == "end":
            self.ended = True
        elif kind == "crash":
            self.crashed = True
        self._settle(t)

    def mode(self, pin: int) -> str:
        """``output``, ``pwm``, ``servo``, ``analog``, ``input_pullup`` or ``input``."""
        regs = self.registers.get(pin)
        channel = self.pins.board.analog_channel(pin)
        analog = channel is not None and self.now - self._sampled.get(channel, -1e9) < ANALOG_RECENT_S
        if regs is None:
            return "analog" if analog else "input"
        if regs.duty is not None:
            return "pwm"
        if regs.pulse_us is not None:
            return "servo"
        if regs.output:
            return "output"
        if analog:
            return "analog"
        return "input_pullup" if regs.high else "input"

    def sampled(self, pin: int) -> bool:
        """True while the ADC keeps converting ``pin``'s channel."""
        channel = self.pins.board.analog_channel(pin)
        return channel is not None and self.now - self._sampled.get(channel, -1e9) < ANALOG_RECENT_S

    # -- events ---------------------------------------------------------------------------------

    def _port(self, t: float, port: str, ddr: int, out: int) -> None:
        for bit in range(8):
            pin = self.pins.pin_at(port, bit)
            if pin is None:
                continue
            regs = self.registers[pin]
            output, high = bool(ddr >> bit & 1), bool(out >> bit & 1)
            if output == regs.output and high == regs.high:
                continue
            rising = output and high and not (regs.output and regs.high)
            falling = regs.output and regs.high and output and not high
            regs.output, regs.high = output, high
            if regs.duty is not None:
                continue  # the timer drives the pin, whatever PORT says
            if self._servo and rising:
                regs.rise_t = t
            elif self._servo and falling and regs.rise_t is not None:
                self._pulse(pin, regs, t)
            else:
                self._flush_rise(pin, regs)
                self._emit(t, pin, "output" if output else "off", float(high and output))

    def _pulse(self, pin: int, regs: PinRegisters, t: float) -> None:
        assert regs.rise_t is not None
        width = t - regs.rise_t
        low, high = SERVO_PULSE_S
        if not low <= width <= high:
            self._flush_rise(pin, regs)
            self._emit(t, pin, "output", 0.0)
            return
        regs.rise_t = None
        width_us = width * 1e6
        if regs.pulse_us is None or abs(width_us - regs.pulse_us) > SERVO_JITTER_US:
            regs.pulse_us = width_us
            self._emit(t - width, pin, "servo", round(width_us, 1))
        regs.pulse_t = t

    def _pwm(self, t: float, port: str, bit: int, duty: float) -> None:
        pin = self.pins.pin_at(port, bit)
        if pin is None:
            return
        regs = self.registers[pin]
        if duty >= 0:
            regs.duty = duty
            self._emit(t, pin, "pwm", duty)
        elif regs.duty is not None:
            regs.duty = None
            self._emit(t, pin, "output" if regs.output else "off", float(regs.high and regs.output))

    def _settle(self, t: float) -> None:
        """Resolve held-back edges and stopped servo signals as time passes."""
        for pin, regs in self.registers.items():
            if regs.rise_t is not None and t - regs.rise_t > SERVO_PULSE_S[1]:
                self._flush_rise(pin, regs)
            if regs.pulse_us is not None and t - regs.pulse_t > SERVO_GAP_S:
                regs.pulse_us = None
                level = float(regs.output and regs.high)
                self._emit(regs.pulse_t + SERVO_GAP_S, pin, "output" if regs.output else "off", level)

    def _flush_rise(self, pin: int, regs: PinRegisters) -> None:
        if regs.rise_t is not None:
            rise_t, regs.rise_t = regs.rise_t, None
            self._emit(rise_t, pin, "output", 1.0)

    def _emit(self, t: float, pin: int, mode: str, value: float) -> None:
        if self._driven.get(pin) != (mode, value):
            self._driven[pin] = (mode, value)
            self._drive(t, pin, mode, value)
