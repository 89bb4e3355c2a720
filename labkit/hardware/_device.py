"""What every device shares: pins held on a board, frozen attributes, events, close().

A device class lists the pins it needs; the board checks them against its
profile and the other devices, sends the setup, and frees them again if the
setup fails (pyfirmata2's ``get_pin`` left a pin taken when it failed).
Assigning an attribute a device does not have raises instead of doing nothing,
so ``led.when_pressed = f`` is caught at once.
"""

from __future__ import annotations

import difflib
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from labkit.errors import BoardClosedError, ConnectionLostError
from labkit.hardware._events import Callback, check_callback
from labkit.profiles import PinSpec

if TYPE_CHECKING:
    from labkit.hardware.board import Board

__all__ = ["Device", "Event", "in_range"]

T = TypeVar("T")

# How often a blocking wait looks whether the board is still there.
POLL_S = 0.05


def in_range(value: object, low: float, high: float) -> bool:
    """True for a real number (not a bool, not a string) from ``low`` to ``high``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high


class _FrozenAfterInit(type):
    """Freezes a device's attributes once its ``__init__`` (and its subclasses') is done."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        device = super().__call__(*args, **kwargs)
        object.__setattr__(device, "_frozen", True)
        return device


class Event:
    """A ``when_*`` attribute: holds a callback, checked for arity when assigned.

    ``key`` is what fires it (``"activated"``), so ``Button.when_pressed`` and
    ``Button.when_activated`` are the same event under two names.
    """

    def __init__(self, key: str, argument: str) -> None:
        self.key = key
        self.argument = argument
        self.name = f"when_{key}"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, device: None, owner: type) -> Event: ...
    @overload
    def __get__(self, device: Device, owner: type) -> Callback | None: ...
    def __get__(self, device: Device | None, owner: type) -> Event | Callback | None:
        if device is None:
            return self
        handler = device._handlers.get(self.key)
        return handler[0] if handler else None

    def __set__(self, device: Device, fn: Callback | None) -> None:
        # Not _check(): replacing a failing callback must not raise its last error.
        if device._closed:
            device._check()
        checked = check_callback(fn, f"{type(device).__name__}.{self.name}", self.argument)
        if checked is None:
            device._handlers.pop(self.key, None)
        else:
            device._handlers[self.key] = checked


class Device(metaclass=_FrozenAfterInit):
    """The base of every labkit device: its board, its pins, ``close()`` and ``with``."""

    _frozen = False
    # Settings of a kit part (hardware_profiles/kits) this device takes as arguments.
    kit_settings: tuple[str, ...] = ()

    def __init__(self, board: Board | None) -> None:
        if board is None:
            from labkit.hardware._registry import default_board

            board = default_board()
        self._board = board
        self._pins: tuple[int, ...] = ()
        self._closed = False
        self._handlers: dict[str, tuple[Callback, int]] = {}
        self._changed = threading.Condition()
        self._waiters = 0

    # -- pins ------------------------------------------------------------------------------
    def _attach(self, pins: Sequence[tuple[PinSpec, str]], setup: Callable[[], None]) -> None:
        """Reserve ``pins`` (pin, mode) on the board, then run ``setup``; free them if it fails."""
        self._pins = self._board._reserve(self, pins)
        try:
            setup()
        except BaseException:
            self._board._detach(self)
            self._pins = ()
            raise

    @property
    def board(self) -> Board:
        """The board this device is on."""
        return self._board

    @property
    def pin(self) -> int:
        """The device's (first) pin, as Firmata numbers it (``A0`` is 14 on an Uno)."""
        return self._pins[0]

    @property
    def pins(self) -> tuple[int, ...]:
        """Every pin the device holds."""
        return self._pins

    def _where(self) -> str:
        labels = ", ".join(self._board.profile.label(p) for p in self._pins)
        return f"on pin{'s' if len(self._pins) > 1 else ''} {labels}"

    # -- state -----------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True once the device (or its board) is closed."""
        return self._closed

    def _check(self) -> None:
        """Raise what went wrong in the background, or if the device is closed."""
        self._board._check()
        if self._closed:
            raise BoardClosedError(f"this {type(self).__name__} is closed; make a new one to use the pin again")

    def _condition(self) -> str:
        """The state shown in the repr, like ``is_active=False``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        name = type(self).__name__
        if self._closed or not self._pins:
            return f"<{name} closed>"
        try:
            condition = self._condition()
        except Exception as exc:  # noqa: BLE001 - a repr must not raise
            condition = f"unavailable: {type(exc).__name__}"
        return f"<{name} {self._where()}, {condition}>"

    def __setattr__(self, name: str, value: Any) -> None:
        if self._frozen and name not in self.__dict__ and not hasattr(type(self), name):
            public = sorted(n for n in dir(type(self)) if not n.startswith("_"))
            close = difflib.get_close_matches(name, public, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else f" It has: {', '.join(public)}."
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r}, so setting it would do nothing.{hint}"
            )
        object.__setattr__(self, name, value)

    # -- events and waits ------------------------------------------------------------------
    def _fire(self, key: str, argument: object) -> None:
        handler = self._handlers.get(key)
        if handler is not None:
            fn, count = handler
            args = (argument,) if count else ()
            self._board._callbacks.submit(fn, args, f"the when_{key} callback of {self!r}")

    def _notify(self) -> None:
        # Called for every sample: take the lock only when someone waits.
        if self._waiters:
            with self._changed:
                self._changed.notify_all()

    def _wait_for(self, ready: Callable[[], bool], timeout: float | None) -> bool:
        """Block until ``ready()`` (True) or ``timeout`` seconds (False); raise if the board goes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            self._waiters += 1
            try:
                while True:
                    self._check()
                    if ready():
                        return True
                    left = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
                    if left <= 0:
                        return False
                    self._changed.wait(left)
            finally:
                self._waiters -= 1

    # -- closing ---------------------------------------------------------------------------
    def _shutdown(self) -> None:
        """Leave the hardware safe (outputs off, reporting stopped); the board is still open."""

    def close(self) -> None:
        """Switch the device off and free its pins; calling it again does nothing."""
        if self._closed:
            return
        try:
            if self._board._usable():
                self._shutdown()
        except ConnectionLostError:
            pass  # nothing left to switch off on a board that is gone
        finally:
            self._closed = True
            self._board._detach(self)
            self._notify()

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
