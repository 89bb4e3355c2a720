"""Run users' callbacks on one background thread, and bring their errors back to the user.

pyfirmata2 calls callbacks on its reader thread: an ``AttributeError`` or
``OSError`` in one stops sampling for good, and other errors are swallowed.
Here callbacks run on their own thread (a slow one does not stall the reader),
an error is caught, reported once as a warning, kept, and raised again by the
next call the user makes on the board or any of its devices.

>>> check_callback(lambda button: None, "Button.when_pressed", "the button")[1]
1
>>> check_callback(lambda a, b: None, "Button.when_pressed", "the button")
Traceback (most recent call last):
...
labkit.errors.BadCallbackError: Button.when_pressed gets called with no argument or with one (the button), but '<lambda>'(a, b) needs a different number
"""

from __future__ import annotations

import inspect
import queue
import threading
import warnings
from collections.abc import Callable
from typing import Any

from labkit.errors import BadCallbackError

__all__ = ["Callback", "CallbackRunner", "CallbackWarning", "check_callback"]

Callback = Callable[..., Any]


class CallbackWarning(RuntimeWarning):
    """A callback raised in the background; the error is raised again on the next call."""


def check_callback(fn: Callback | None, event: str, argument: str) -> tuple[Callback, int] | None:
    """Check that ``fn`` takes no argument or one (``argument``); returns it and how many.

    Raises ``BadCallbackError`` at assignment, not later in a background thread.
    """
    if fn is None:
        return None
    if not callable(fn):
        raise BadCallbackError(f"{event} must be a function (or None), not {fn!r}")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return fn, 0  # a builtin without a signature: call it plainly
    for count in (1, 0):
        try:
            signature.bind(*([None] * count))
        except TypeError:
            continue
        return fn, count
    raise BadCallbackError(
        f"{event} gets called with no argument or with one ({argument}), "
        f"but {getattr(fn, '__name__', fn)!r}{signature} needs a different number"
    )


class CallbackRunner:
    """One thread running submitted callbacks in order; see the module doc."""

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[tuple[Callback, tuple[Any, ...], str] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending: BaseException | None = None
        self._warned = False
        self._closing = False
        self._progress = threading.Condition()
        self._submitted = 0
        self._done = 0
        self._thread = threading.Thread(target=self._run, name=f"labkit-callbacks-{name}", daemon=True)
        self._thread.start()

    def submit(self, fn: Callback, args: tuple[Any, ...], where: str) -> None:
        """Run ``fn(*args)`` soon on the callback thread; ``where`` names it in an error."""
        with self._progress:
            self._submitted += 1
        self._queue.put((fn, args, where))

    def report(self, error: BaseException, where: str) -> None:
        """Keep ``error`` (from ``where``) to raise on the next foreground call; warn once."""
        if hasattr(error, "add_note"):
            error.add_note(f"(raised in {where}, on a labkit background thread)")
        with self._lock:
            if self._pending is None:
                self._pending = error
            first, self._warned = not self._warned, True
        if first:
            warnings.warn(
                f"{where} raised {type(error).__name__}: {error}. The board keeps sampling; "
                "the error is raised again by your next call to the board or its devices",
                CallbackWarning,
                stacklevel=2,
            )

    def raise_pending(self) -> None:
        """Raise (once) the error a callback left behind, if any."""
        with self._lock:
            error, self._pending = self._pending, None
        if error is not None:
            raise error

    def in_callback(self) -> bool:
        """True when called from inside a callback."""
        return threading.current_thread() is self._thread

    def flush(self, timeout: float = 2.0) -> None:
        """Wait until every submitted callback has run (a no-op inside a callback)."""
        if not self.in_callback():
            with self._progress:
                target = self._submitted
                self._progress.wait_for(lambda: self._done >= target, timeout)

    def close(self) -> None:
        """Stop the thread; callbacks still waiting are dropped (their board is gone)."""
        self._closing = True
        self._queue.put(None)
        if not self.in_callback():
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            fn, args, where = item
            try:
                if not self._closing:
                    fn(*args)
            except Exception as exc:  # noqa: BLE001 - kept and raised in the foreground
                self.report(exc, where)
            with self._progress:
                self._done += 1
                self._progress.notify_all()
