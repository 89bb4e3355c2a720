"""The Scope's parts on their own: the ring buffer, the ticker, the trace plot's axes."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from labkit.widgets._ring import SampleRing
from labkit.widgets._ticker import Ticker
from labkit.widgets._trace_plot import TracePlot, nice_ceiling, span_for


def test_the_ring_keeps_the_newest_in_order():
    ring = SampleRing(4)
    assert [a.tolist() for a in ring.snapshot()] == [[], []]
    for k in range(10):
        ring.append(float(k), -float(k))
    times, values = ring.snapshot()
    assert times.tolist() == [6.0, 7.0, 8.0, 9.0]
    assert values.tolist() == [-6.0, -7.0, -8.0, -9.0]
    assert ring.total == 10
    ring.clear()
    assert len(ring.snapshot()[0]) == 0 and ring.total == 10


def test_the_ring_never_tears_a_snapshot_while_a_thread_appends():
    ring = SampleRing(100)
    done = threading.Event()

    def writer() -> None:
        k = 0
        while not done.is_set():
            ring.append(float(k), float(k))
            k += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(2000):
            times, values = ring.snapshot()
            assert np.array_equal(times, values)
            assert np.all(np.diff(times) == 1.0)
    finally:
        done.set()
        thread.join()


def test_the_ticker_keeps_its_rate_and_stops():
    async def run() -> tuple[int, int]:
        calls = []
        ticker = Ticker(lambda: calls.append(1), rate_hz=20)
        assert ticker.start() and ticker.running
        await asyncio.sleep(1.0)
        ticker.stop()
        counted = len(calls)
        await asyncio.sleep(0.2)
        return counted, len(calls)

    counted, later = asyncio.run(run())
    assert 16 <= counted <= 22
    assert later == counted


def test_a_failing_tick_stops_the_ticker_and_is_reported_once():
    errors = []

    def tick() -> None:
        raise RuntimeError("the board went away")

    async def run() -> bool:
        ticker = Ticker(tick, rate_hz=50, on_error=errors.append)
        ticker.start()
        await asyncio.sleep(0.2)
        return ticker.running

    assert asyncio.run(run()) is False
    assert [str(e) for e in errors] == ["the board went away"]


def test_without_an_event_loop_nothing_is_scheduled():
    assert Ticker(lambda: None, rate_hz=10).start() is False


@pytest.mark.parametrize(("x", "nice"), [(0.3, 0.5), (1.0, 1.0), (1.01, 2.0), (4.99, 5.0), (7.0, 10.0), (190.0, 200.0)])
def test_nice_ceiling(x, nice):
    assert nice_ceiling(x) == pytest.approx(nice)


def test_the_time_span_is_the_fastest_channels_window():
    fast = (np.arange(50) * 0.01, np.zeros(50))
    slow = (np.array([0.0, 3.0]), np.zeros(2))
    assert span_for([fast, slow], capacity=500) == pytest.approx(5.0)
    assert span_for([(np.zeros(1), np.zeros(1))], capacity=500) is None


def test_the_value_axis_grows_to_fit_and_never_shrinks():
    plot = TracePlot(["angle"])
    t = np.linspace(0.0, 1.0, 11)
    plot.render([(t, np.full(11, 0.5))], now_s=1.0, capacity=100)
    assert plot.value_range == (0.0, 1.0)
    plot.render([(t, np.linspace(0, 180, 11))], now_s=1.0, capacity=100)
    low, high = plot.value_range
    assert low == 0.0 and high > 180
    plot.render([(t, np.full(11, 0.5))], now_s=1.0, capacity=100)
    assert plot.value_range == (low, high)
