"""One periodic asyncio task on the kernel's event loop.

Widgets refresh from here and never from the hardware's threads: ipywidgets
sends its messages from whichever thread sets a trait, and a thread writing to
the kernel's sockets while a cell prints interleaves their output.

>>> import asyncio
>>> calls = []
>>> async def main():
...     ticker = Ticker(lambda: calls.append(1), rate_hz=50)
...     assert ticker.start()
...     await asyncio.sleep(0.1)
...     ticker.stop()
>>> asyncio.run(main())
>>> len(calls) >= 3
True
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Ticker:
    """Call ``tick()`` ``rate_hz`` times a second on the running event loop, until ``stop()``.

    An exception from ``tick`` stops the ticker and goes to ``on_error``, once.
    """

    def __init__(
        self,
        tick: Callable[[], object],
        rate_hz: float,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._tick = tick
        self.period_s = 1.0 / rate_hz
        self._on_error = on_error
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the task is scheduled."""
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Schedule the task on the running loop; False when no loop runs (a plain script)."""
        if self.running:
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self._task = loop.create_task(self._run())
        return True

    def stop(self) -> None:
        """Cancel the task; idempotent."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            try:
                self._tick()
            except Exception as error:  # noqa: BLE001 - reported to the widget, not lost
                self._task = None
                if self._on_error is not None:
                    self._on_error(error)
                return
            # A fixed schedule, not a fixed pause; when a tick overran, skip the missed
            # beats instead of running back to back and starving the kernel.
            deadline += self.period_s
            if deadline < loop.time():
                deadline = loop.time() + self.period_s
            await asyncio.sleep(deadline - loop.time())
