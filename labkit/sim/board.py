"""A virtual Arduino: StandardFirmata's behaviour on a pty, wired to a simulated world.

:class:`VirtualBoard` starts the board side of Firmata in a background thread
and gives its port path; open that path with any Firmata client (labkit's
``Board``, plain pyfirmata2, ...) as you would a real board. Opening the port
resets the board, like the DTR line of a real Uno; after ``boot_s`` it sends
its version and firmware name. Its bytes go out no faster than the profile's
baud rate (57600 baud: 5760 bytes/s), and while its 64-byte transmit buffer is
full the firmware waits, as on the real chip (``pace=False`` lifts the limit).
The host's bytes are handled as soon as they are written: ``pin()`` shows a
write the moment the host's ``write()`` has returned.

>>> from labkit.sim import VirtualBoard
>>> with VirtualBoard(seed=0) as vb:                  # doctest: +SKIP
...     import pyfirmata2
...     arduino = pyfirmata2.Arduino(vb.port)
...     arduino.digital[13].write(1)
...     vb.pin(13).level
1
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol

import numpy as np

from labkit.errors import BoardClosedError, SimulationError, ToolMissingError
from labkit.profiles import BoardProfile, PinSpec, load_board, load_kit
from labkit.sim.firmware import VERSION_BLINK_S, PinState, StandardFirmata, version_blink
from labkit.sim.transport import PtyTransport
from labkit.sim.world import World

__all__ = ["TRACE_DTYPE", "TRACE_LIMIT", "BoardBackend", "VirtualBoard"]

#: One row of :meth:`VirtualBoard.trace`: seconds since the board started, the
#: pin, and its new value (0/1 for outputs, duty 0..1 for PWM, pulse width in
#: microseconds for a servo, 0 when it stops driving).
TRACE_DTYPE = np.dtype([("t_s", "f8"), ("pin", "i2"), ("value", "f8")])
#: How many changes :meth:`VirtualBoard.trace` keeps (the oldest go first): hours of blinking.
TRACE_LIMIT = 1_000_000

# The ATmega's serial transmit buffer: beyond it Serial.write() blocks the sketch. Bytes
# handed to the pty stand for bytes in that buffer until the wire clock says they are out.
_TX_BUFFER = 64
# Hand bytes to the pty in batches of at least this many (fewer wake-ups, same rate).
_TX_BATCH = 12
# How often to look for a host opening the port while none has it open.
_ATTACH_POLL_S = 0.01
# How soon to try again when the host reads nothing and the pty is full.
_PTY_FULL_RETRY_S = 0.01
_IDLE_WAKE_S = 0.25


class BoardBackend(Protocol):
    """What a virtual board's engine provides (the Python emulation or simulated AVR)."""

    port: str
    world: World

    def pin(self, pin: PinSpec) -> PinState: ...

    def trace(self) -> np.ndarray: ...

    def unplug(self) -> None: ...

    def close(self) -> None: ...


class _EmulatedBoard:
    """StandardFirmata emulated in Python, served on a pty by one background thread."""

    def __init__(
        self,
        board: BoardProfile,
        world: World,
        link: str | os.PathLike[str] | None,
        boot_s: float,
        pace: bool,
    ) -> None:
        self.board, self.world = board, world
        self._boot_s = boot_s
        self._byte_s = 10.0 / board.baud if pace else 0.0
        self._lock = threading.RLock()
        self._trace: deque[tuple[float, int, float]] = deque(maxlen=TRACE_LIMIT)
        self._tx = bytearray()
        self._wire_free = 0.0
        self._pty_full = False
        self.firmware = StandardFirmata(board, world, self._tx.extend, self._record)
        # Power-on: the sketch starts at once and talks to nobody until a host opens the port.
        self.firmware.boot(world.now())
        self._tx.clear()
        self._transport = PtyTransport(link)
        self.port = self._transport.port
        self._wake_lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._attached = False
        self._opens = 0  # how many times the port is open now
        self._boot_at: float | None = None
        self._blinks: list[tuple[float, int]] = []
        self._host_spoke = False
        self._stop = False
        self.error: BaseException | None = None
        world.subscribe(self._wake)
        self._thread = threading.Thread(target=self._run, name=f"labkit-sim {self.port}", daemon=True)
        self._thread.start()

    # -- public side ----------------------------------------------------------------------------

    def pin(self, pin: PinSpec) -> PinState:
        number = self.board.pin(pin)
        if self.error is not None:
            raise SimulationError(f"the virtual board on {self.port} stopped: {self.error!r}") from self.error
        self._catch_up()
        with self._lock:
            return self.firmware.pin_state(number, self.world.now())

    def trace(self) -> np.ndarray:
        self._catch_up()
        with self._lock:
            return np.array(self._trace, dtype=TRACE_DTYPE)

    def _catch_up(self) -> None:
        # Handle what the host has already written, so that a write that returned shows here.
        if self._attached and not self._stop:
            self._serve(readable=True)

    @property
    def host_attached(self) -> bool:
        return self._attached

    def unplug(self) -> None:
        self.close()

    def close(self) -> None:
        if self._stop:
            return
        self._stop = True
        self.world.unsubscribe(self._wake)
        self._wake()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._lock:  # not while pin() is reading the port
            self._transport.close()
        with self._wake_lock:
            # Under the lock: a world setter racing close() must not write to a reused fd.
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._wake_w = -1

    # -- the device thread ----------------------------------------------------------------------

    def _wake(self) -> None:
        with self._wake_lock:
            if self._wake_w >= 0:
                try:
                    os.write(self._wake_w, b"!")
                except BlockingIOError:
                    pass  # the pipe is full: the thread is awake anyway

    def _record(self, t: float, pin: int, value: float) -> None:
        self._trace.append((t, pin, value))

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._wake_r, select.POLLIN)
        watch = self._transport.watch_fileno()
        if watch is not None:
            poller.register(watch, select.POLLIN)
        try:
            while not self._stop:
                if self._attached:
                    timeout = self._timeout(self.world.now())
                else:
                    timeout = _IDLE_WAKE_S if watch is not None else _ATTACH_POLL_S
                events = dict(poller.poll(max(timeout, 0.0) * 1000))
                if self._wake_r in events:
                    self._drain_wake()
                if self._stop:
                    break
                changes = self._host_changes()
                if self._attached:
                    # What the host wrote before closing the port still counts.
                    port_events = events.get(self._transport.fileno(), 0)
                    self._serve(readable=bool(port_events & select.POLLIN) or bool(changes))
                for attached in changes:
                    if attached:
                        if not self._attached:
                            poller.register(self._transport.fileno(), select.POLLIN)
                        self._attach(self.world.now())
                    elif self._attached:
                        # The host closed the port: the board runs on, talking to nobody.
                        poller.unregister(self._transport.fileno())
                        with self._lock:
                            self._attached = False
                            self._tx.clear()
        except Exception as exc:  # a background thread must not die with a traceback
            self.error = exc
            # A dead board must not leave the host waiting: hang up, as a crashed board would.
            with self._lock:
                self._transport.close()

    def _host_changes(self) -> list[bool]:
        """Whether the host has the port open, at each change since the last look, in order."""
        if self._transport.watch_fileno() is None:
            now = self._transport.host_attached()
            return [now] if now != self._attached else []
        changes = []
        for opened in self._transport.opens_and_closes():
            # The first open resets the board (DTR); a second program opening it does not.
            self._opens = self._opens + 1 if opened else max(self._opens - 1, 0)
            if self._opens == int(opened):
                changes.append(opened)
        return changes

    def _attach(self, t: float) -> None:
        # The host opened the port: DTR resets a real Uno, which then boots.
        with self._lock:
            self._attached = True
            self._boot_at = t + self._boot_s
            self._host_spoke = False
            self._tx.clear()
            self.firmware.hold_in_reset(t)
            # A boot long enough for it shows Firmata's version blink, timed as on the chip.
            start = self._boot_at - VERSION_BLINK_S
            self._blinks = [(start + dt, level) for dt, level in version_blink()] if start >= t else []

    def _drain_wake(self) -> None:
        try:
            while os.read(self._wake_r, 512):
                pass
        except OSError:
            pass

    def _timeout(self, t: float) -> float:
        deadlines = [t + _IDLE_WAKE_S]
        if self._boot_at is not None:
            deadlines.append(self._blinks[0][0] if self._blinks else self._boot_at)
        else:
            # The sketch runs again once the wire has left room for what waits to be sent.
            room = t + _PTY_FULL_RETRY_S if self._pty_full else self._in_flight_drops_to(_TX_BUFFER - len(self._tx))
            due = self.firmware.sampling_due(t)
            if due is not None:
                deadlines.append(max(due, room))
            event = self.world.next_event(t)
            if event is not None:
                deadlines.append(max(event, room))
        if self._tx:
            deadlines.append(t + _PTY_FULL_RETRY_S if self._pty_full else self._in_flight_drops_to(_TX_BUFFER - _TX_BATCH))
        return min(deadlines) - t

    def _serve(self, readable: bool) -> None:
        with self._lock:
            # Taken under the lock: the device thread and pin() both serve, in time order.
            t = self.world.now()
            data, flushed = self._transport.read() if readable else (b"", False)
            if flushed and not self._host_spoke:
                # pyserial flushes right after opening: whatever was sent is gone, so boot again.
                self._attach(t)
            while self._blinks and self._blinks[0][0] <= t:
                # Stamped when the chip does it, however late this thread woke.
                when, level = self._blinks.pop(0)
                self.firmware.blink(level, when)
            if self._boot_at is not None:
                if t < self._boot_at:
                    self._flush(t)
                    return
                self._boot_at = None
                self.firmware.boot(t)
            if data:
                self._host_spoke = True
                self.firmware.receive(data, t)
            self._flush(t)
            # Each pass of loop() may block on a full transmit buffer; then nothing else runs.
            while self._backlog(t) < _TX_BUFFER + 1:  # a byte half out counts as out
                self.firmware.step(t)
                self._flush(t)
                due = self.firmware.sampling_due(t)
                if due is None or due > t:
                    break

    def _backlog(self, t: float) -> float:
        """Bytes written by the firmware and not yet out on the wire."""
        if not self._byte_s:
            return len(self._tx)
        return len(self._tx) + max(self._wire_free - t, 0.0) / self._byte_s

    def _in_flight_drops_to(self, count: int) -> float:
        """When no more than ``count`` bytes handed to the pty are still on their way out."""
        return self._wire_free - count * self._byte_s

    def _flush(self, t: float) -> None:
        if not self._tx:
            return
        if self._byte_s:
            self._wire_free = max(self._wire_free, t)
            budget = round(_TX_BUFFER - (self._wire_free - t) / self._byte_s)
            if budget <= 0:
                return
            chunk = bytes(self._tx[:budget])
        else:
            chunk = bytes(self._tx)
        sent = self._transport.write(chunk)
        self._pty_full = sent < len(chunk)
        del self._tx[:sent]
        self._wire_free += sent * self._byte_s


class VirtualBoard:
    """A virtual Arduino with a kit's parts, on a pseudo-terminal any Firmata client opens.

    Parameters
    ----------
    profile : str
        The board profile (``"uno"``, ``"nano"``, ``"mega2560"``, ``"leonardo"``).
    kit : str or None
        The kit profile whose parts the :class:`World` simulates (None: a bare board).
    seed : int
        Seeds the ADC noise, bounce and floating pins: same seed and same
        commands give the same readings.
    firmware : str, optional
        None emulates StandardFirmata in Python; ``"StandardFirmata"`` runs the
        genuine firmware on a simulated AVR (``labkit.sim.avr``).
    link : path, optional
        Also make a symlink at this path to the port.
    boot_s : float
        Seconds from the host opening the port (which resets the board: its
        pins float) to the version report. A real Uno takes about 3.1 s: 1 s
        in the bootloader, then Firmata blinks its version on pin 13 (2.1 s);
        a ``boot_s`` that long shows that blink in the trace, timed as on the
        chip. The default boots at once.
    pace : bool
        Send no faster than the baud rate allows (False: as fast as the pty takes).
    noise_lsb : float
        The ADC's seeded error in steps of the ADC (standard deviation; 0 for
        none). It depends on the voltage, not on time, so a notebook reads the
        same numbers on every run; ``world.jitter_lsb`` adds noise that changes
        from sample to sample.

    Attributes
    ----------
    port : str
        The path to open (``/dev/pts/N``).
    world : World
        The simulated quantities; set them to change what the sensors see.

    >>> from labkit.sim import VirtualBoard
    >>> with VirtualBoard(seed=0) as vb:
    ...     vb.world.light = 0.8
    ...     vb.pin(13).mode, vb.port.startswith("/dev/pts/")
    ('output', True)
    """

    def __init__(
        self,
        profile: str = "uno",
        kit: str | None = "starter",
        seed: int = 0,
        firmware: str | None = None,
        link: str | os.PathLike[str] | None = None,
        *,
        boot_s: float = 0.05,
        pace: bool = True,
        noise_lsb: float = 0.5,
    ) -> None:
        self._closed = True  # until the backend runs, there is nothing to close
        board = load_board(profile)
        kit_profile = None if kit is None else load_kit(kit)
        start = time.monotonic()
        clock: Callable[[], float] = lambda: time.monotonic() - start  # noqa: E731
        world = World(kit_profile, seed=seed, board=board, clock=clock, noise_lsb=noise_lsb)
        self.profile, self.seed, self.firmware = board, seed, firmware
        self._backend: Any
        if firmware is None:
            self._backend = _EmulatedBoard(board, world, link, boot_s, pace)
        else:
            self._backend = _avr_backend(board, world, firmware, link)
        self.port: str = self._backend.port
        self.world: World = world
        self._closed = False

    def pin(self, pin: PinSpec) -> PinState:
        """What ``pin`` (13, ``"D13"``, ``"A0"``) is doing now: mode, level, duty, servo angle."""
        self._check_open()
        return self._backend.pin(pin)

    def trace(self) -> np.ndarray:
        """Every change of what an output drives, as a structured array of :data:`TRACE_DTYPE`.

        Fields ``t_s`` (seconds since the board started), ``pin`` and ``value``
        (0/1 for digital outputs, duty 0..1 for PWM, pulse width in microseconds
        for servos, 0 when the pin stops driving). ``vb.trace().tolist()`` gives
        plain ``(t_s, pin, value)`` tuples. The last :data:`TRACE_LIMIT` changes are kept.

        >>> with VirtualBoard() as vb:
        ...     vb.trace().dtype.names
        ('t_s', 'pin', 'value')
        """
        return self._backend.trace()

    @property
    def host_attached(self) -> bool:
        """True while a host has the port open."""
        return bool(getattr(self._backend, "host_attached", False))

    @property
    def closed(self) -> bool:
        """True after :meth:`close` or :meth:`unplug`."""
        return self._closed

    def unplug(self) -> None:
        """Pull the USB cable: the host's next read or write fails; the board stops."""
        self._closed = True
        self._backend.unplug()

    def close(self) -> None:
        """Stop the board and remove its port. Idempotent."""
        self._closed = True
        self._backend.close()

    def _check_open(self) -> None:
        if self._closed:
            raise BoardClosedError(f"the virtual board on {self.port} is closed")

    def __enter__(self) -> VirtualBoard:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            try:
                self.close()
            except Exception:  # at interpreter exit the modules close() needs may be gone
                pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"on {self.port}"
        engine = self.firmware or "emulated StandardFirmata"
        return f"<VirtualBoard {self.profile.name} ({engine}) {state}, seed={self.seed}>"


def _avr_backend(
    board: BoardProfile, world: World, firmware: str, link: str | os.PathLike[str] | None
) -> BoardBackend:
    # Imported only here: the simulated AVR needs simavr and a compiled bridge.
    try:
        from labkit.sim import avr
    except ImportError as exc:
        raise ToolMissingError(
            f"firmware={firmware!r} needs labkit.sim.avr (the simulated AVR), which could not be "
            f"loaded: {exc}"
        ) from None
    backend: BoardBackend = avr.FirmwareBackend(board, world, firmware, link=link)
    return backend
