"""A virtual board that runs genuine firmware (StandardFirmata, or any .hex) on a simulated AVR.

:class:`FirmwareBackend` is what ``VirtualBoard(firmware=...)`` runs: the
bridge's UART on a pty, simulated time locked to the wall clock, and two
threads. One reads the bridge's events into pin states, the trace and the
world (``World.drive``); the other feeds the world's inputs to the AVR (ADC
voltages on analog pins, levels on digital inputs) every few milliseconds
and whenever a quantity is set.

Opening the port resets the AVR, like the DTR line of a real Uno. The boot
itself (StandardFirmata blinks its version for two simulated seconds) runs
unthrottled, so the version report comes about half a second after opening.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from labkit.errors import BoardClosedError, SimulationError
from labkit.profiles import BoardProfile, PinSpec
from labkit.sim.avr._bridge import CLOCK_HZ, Bridge, PinMap, adc_command
from labkit.sim.avr._decode import PinDecoder
from labkit.sim.avr._setup import standard_firmata
from labkit.sim.board import TRACE_DTYPE
from labkit.sim.firmware import PinState
from labkit.sim.transport import link_port, open_raw_pty
from labkit.sim.world import World

__all__ = ["FirmwareBackend", "firmware_file"]

# How often the world's inputs are sampled for the AVR.
INPUT_PERIOD_S = 0.01
# The longest pin() and trace() wait for the firmware to handle what the host wrote.
SETTLE_TIMEOUT_S = 1.0
SERVO_PERIOD_US = 20_000.0


def firmware_file(firmware: str | os.PathLike[str], board: BoardProfile) -> Path:
    """``"StandardFirmata"`` (fetched once from npm) or the path of a ``.hex`` file."""
    if str(firmware) == "StandardFirmata":
        return standard_firmata(board.name)
    path = Path(firmware)
    if path.suffix.lower() != ".hex":
        raise SimulationError(
            f"firmware must be 'StandardFirmata' or a .hex file, not {str(firmware)!r} "
            "(build a sketch first: labkit sketch build SKETCH.ino)"
        )
    if not path.is_file():
        raise SimulationError(f"no firmware file at {path}")
    return path


class FirmwareBackend:
    """Genuine firmware on a simulated ATmega328P, wired to a :class:`World`, on a pty.

    Parameters
    ----------
    board : BoardProfile
        The board (``uno`` or ``nano``).
    world : World
        The kit's simulated world; its clock is the board's clock.
    firmware : str or path
        ``"StandardFirmata"`` or a ``.hex`` file.
    link : path, optional
        Also make a symlink at this path to the port.

    >>> from labkit.profiles import load_board
    >>> from labkit.sim import World
    >>> backend = FirmwareBackend(load_board("uno"), World("starter"), "StandardFirmata")  # doctest: +SKIP
    >>> backend.port                                                                      # doctest: +SKIP
    '/dev/pts/7'
    """

    def __init__(
        self,
        board: BoardProfile,
        world: World,
        firmware: str | os.PathLike[str],
        link: str | os.PathLike[str] | None = None,
    ) -> None:
        self.board, self.world = board, world
        self._pins = PinMap.of(board)
        hex_file = firmware_file(firmware, board)
        self._lock = threading.Lock()
        self._trace: list[tuple[float, int, float]] = []
        # World time minus simulated time: the smallest seen, since events arrive late, never early.
        self._offset = world.now()
        self._traced: dict[int, float] = {}
        self._decoder = PinDecoder(self._pins, CLOCK_HZ, self._on_drive, servo=True)
        master, self.port = open_raw_pty()
        self._master: int | None = master
        self.link: Path | None = None
        self._closed = False
        self.error: BaseException | None = None
        self._inputs_changed = threading.Event()
        self._sent: dict[str, str] = {}
        self._syncs = 0
        self._synced = threading.Condition(self._lock)
        try:
            self._bridge = Bridge(hex_file, board, master)
        except BaseException:
            os.close(master)
            raise
        try:
            if link is not None:
                self.link = link_port(link, self.port)
        except BaseException:
            self._bridge.close()
            os.close(master)
            raise
        self._push_inputs()
        self._bridge.go()
        world.subscribe(self._inputs_changed.set)
        self._reader = threading.Thread(target=self._read, name=f"labkit-avr events {self.port}", daemon=True)
        self._feeder = threading.Thread(target=self._feed, name=f"labkit-avr inputs {self.port}", daemon=True)
        self._reader.start()
        self._feeder.start()

    # -- the backend interface ------------------------------------------------------------------

    def pin(self, pin: PinSpec) -> PinState:
        """What ``pin`` does now, read from the simulated AVR's registers."""
        number = self.board.pin(pin)
        self._check()
        self._settle()
        t = self.world.now()
        with self._lock:
            mode = self._decoder.mode(number)
            regs = self._decoder.registers.get(number)
            sampled = self._decoder.sampled(number)
        if number in self.board.reserved_pins:
            mode = "serial"
        servo_angle = self.world.servo_angle(number, t) if number in self.world.servo_pins else None
        pulse = regs.pulse_us if regs is not None and mode == "servo" else None
        if regs is None or mode in ("analog", "serial"):
            level, duty, state = 0, 0.0, 0
        elif mode == "pwm":
            duty = float(regs.duty or 0.0)
            level, state = int(duty > 0), round(duty * 255)
        elif mode == "servo":
            assert pulse is not None
            level, duty = 1, pulse / SERVO_PERIOD_US
            state = round(self.world.servo_angle(number, t)) if servo_angle is not None else 0
        elif mode == "output":
            level = int(regs.high)
            duty, state = float(level), level
        else:
            level = self.world.digital_level(number, t, pull_up=regs.high)
            duty, state = float(level), int(regs.high)
        return PinState(number, mode, level, duty, servo_angle, pulse, state, sampled and mode == "analog")

    def trace(self) -> np.ndarray:
        """Every change of what an output drives, as a structured array of ``TRACE_DTYPE``."""
        if not self._closed:
            self._settle()
        with self._lock:
            rows = np.array(self._trace, dtype=TRACE_DTYPE)
        # Held-back edges are told late: order by time.
        return rows[np.argsort(rows["t_s"], kind="stable")]

    @property
    def host_attached(self) -> bool:
        """True while a program has the port open."""
        return self._decoder.attached

    def unplug(self) -> None:
        """Pull the cable: the AVR stops and the host's next read or write fails."""
        self.close()

    def close(self) -> None:
        """Stop the AVR and remove the port. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.world.unsubscribe(self._inputs_changed.set)
        self._inputs_changed.set()
        self._bridge.stop()
        for thread in (self._reader, self._feeder):
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._bridge.close()
        if self._master is not None:
            os.close(self._master)
            self._master = None
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()

    def __repr__(self) -> str:
        return f"<FirmwareBackend {self.board.name} on {self.port}{' closed' if self._closed else ''}>"

    # -- internals ------------------------------------------------------------------------------

    def _check(self) -> None:
        if self._closed:
            raise BoardClosedError(f"the simulated board on {self.port} is closed")
        if self._decoder.crashed:
            raise SimulationError(f"the simulated AVR crashed: {self._bridge.errors()}")
        if self.error is not None:
            raise SimulationError(f"the simulated board on {self.port} stopped: {self.error!r}") from self.error

    def _settle(self) -> None:
        """Wait until the firmware has handled what the host already wrote, as the emulation does.

        So ``led.on(); vb.pin(13).level`` is 1: a write that returned shows here. It costs a
        round trip to the bridge (a millisecond or two) while a host has the port open.
        """
        with self._lock:
            if not self._decoder.attached or self._decoder.ended:
                return
            self._syncs += 1
            ticket = self._syncs
            self._bridge.send(f"sync {ticket}")
            self._synced.wait_for(lambda: self._decoder.synced >= ticket or self._closed, SETTLE_TIMEOUT_S)

    def _on_drive(self, t: float, pin: int, mode: str, value: float) -> None:
        # Called by the decoder under self._lock.
        t_world = t + self._offset
        self.world.drive(pin, mode, value, t_world)
        if self._traced.get(pin, 0.0) != value:
            self._traced[pin] = value
            self._trace.append((t_world, pin, value))

    def _read(self) -> None:
        try:
            for words in self._bridge.events():
                with self._lock:
                    if len(words) > 1:
                        # The boot runs faster than the wall clock, and a slow machine slower
                        # (then the bridge re-locks, "l"): follow the world's clock either way.
                        seen = self.world.now() - int(words[1]) / CLOCK_HZ
                        self._offset = seen if words[0] == "l" else min(self._offset, seen)
                    self._decoder.feed(words)
                    if words[0] == "s":
                        self._synced.notify_all()
                if words[0] in ("p", "x"):
                    self._inputs_changed.set()  # a pin became an input or its pull-up changed
        except Exception as exc:  # a background thread must not die with a traceback
            self.error = exc

    def _feed(self) -> None:
        try:
            while not self._closed:
                now = self.world.now()
                bounce = self.world.next_event(now)
                self._inputs_changed.wait(INPUT_PERIOD_S if bounce is None else min(INPUT_PERIOD_S, bounce - now))
                self._inputs_changed.clear()
                if self._closed:
                    break
                self._push_inputs()
        except Exception as exc:  # a background thread must not die with a traceback
            self.error = exc

    def _push_inputs(self) -> None:
        t = self.world.now()
        commands = []
        with self._lock:
            inputs = [(pin, regs.high) for pin, regs in self._decoder.registers.items() if not regs.output]
        for pin in range(self.board.total_pins):
            channel = self.board.analog_channel(pin)
            if channel is not None:
                volts = self.world.analog_voltage(pin, t, noisy=True)
                commands.append((f"adc{channel}", adc_command(channel, volts, self.board.vref)))
        for pin, pull_up in inputs:
            if pin in self.board.reserved_pins:
                continue
            port, bit = self._pins.ports[pin]
            level = self.world.digital_level(pin, t, pull_up=pull_up)
            commands.append((f"{port}{bit}", f"in {port} {bit} {level}"))
        fresh = [line for key, line in commands if self._sent.get(key) != line]
        self._sent.update(commands)
        self._bridge.send(*fresh)
