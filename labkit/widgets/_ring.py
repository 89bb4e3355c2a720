"""A fixed-size, thread-safe buffer of timestamped samples, one per channel.

The hardware layer calls ``append`` from its reader thread; the redraw task
takes ``snapshot`` copies on the kernel's event loop. Both hold the lock only
for a few array writes or one copy, so neither side waits on the other.

>>> ring = SampleRing(capacity=3)
>>> for k in range(5):
...     ring.append(float(k), k * 10.0)
>>> ring.snapshot()
(array([2., 3., 4.]), array([20., 30., 40.]))
>>> ring.total
5
"""

from __future__ import annotations

import threading

import numpy as np


class SampleRing:
    """The last ``capacity`` samples ``(t_s, value)`` of one channel, oldest first."""

    def __init__(self, capacity: int) -> None:
        self._times = np.zeros(capacity, dtype=np.float64)
        self._values = np.zeros(capacity, dtype=np.float64)
        self._next = 0
        self._count = 0
        self.total = 0
        """How many samples were ever appended (the buffer keeps only the last ones)."""
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        """How many samples the buffer keeps."""
        return len(self._times)

    def append(self, t_s: float, value: float) -> None:
        """Store one sample, dropping the oldest when full."""
        with self._lock:
            self._times[self._next] = t_s
            self._values[self._next] = value
            self._next = (self._next + 1) % len(self._times)
            self._count = min(self._count + 1, len(self._times))
            self.total += 1

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the kept times and values, oldest first: two ``(n,) float64`` arrays."""
        with self._lock:
            order = np.arange(self._next - self._count, self._next) % len(self._times)
            return self._times[order], self._values[order]

    def clear(self) -> None:
        """Forget every kept sample (``total`` keeps counting)."""
        with self._lock:
            self._next = 0
            self._count = 0
