"""Real timing: sampling every interval (clamped at 1 ms), and no faster than 57600 baud."""

from __future__ import annotations

import os
import statistics

import pytest

from labkit.sim import VirtualBoard
from tests.sim.host import RawHost


def analog_reports(host: RawHost, seconds: float, channel: int | None = None) -> list:
    return [r for r in host.pump(seconds) if r.command == 0xE0 and (channel is None or r.channel == channel)]


def test_default_sampling_is_19_ms(host: RawHost) -> None:
    host.send(0xC0, 1)
    host.pump(0.1)
    reports = analog_reports(host, 1.0, channel=0)
    assert 45 <= len(reports) <= 56
    gaps = [b.t - a.t for a, b in zip(reports, reports[1:], strict=False)]
    assert statistics.median(gaps) == pytest.approx(0.019, abs=0.004)


def test_sampling_interval_is_clamped_at_1_ms(host: RawHost) -> None:
    host.sysex(0x7A, 0, 0)  # 0 ms: the firmware makes it 1 ms
    host.send(0xC0, 1)
    host.pump(0.1)
    reports = analog_reports(host, 1.0, channel=0)
    assert 800 <= len(reports) <= 1060


def test_a_longer_interval_in_two_7bit_bytes(host: RawHost) -> None:
    host.sysex(0x7A, 100 & 0x7F, 100 >> 7)  # 100 ms
    host.send(0xC0, 1)
    host.pump(0.05)
    assert 8 <= len(analog_reports(host, 1.0)) <= 11


def test_six_channels_at_1_ms_fill_the_wire_and_no_more(board: VirtualBoard, host: RawHost) -> None:
    host.sysex(0x7A, 1, 0)
    for channel in range(6):
        host.send(0xC0 | channel, 1)
    host.pump(0.2)
    reports = analog_reports(host, 1.0)
    # 57600 baud is 5760 bytes/s: 1920 three-byte messages, far fewer than the 6000 sampled.
    assert 1300 <= len(reports) <= 1950  # the low end leaves room for a loaded machine
    per_channel = [sum(1 for r in reports if r.channel == c) for c in range(6)]
    assert max(per_channel) - min(per_channel) <= 2  # the firmware samples every channel in turn


def test_without_pacing_the_board_sends_as_fast_as_it_samples() -> None:
    with VirtualBoard(seed=0, boot_s=0.01, pace=False) as vb:
        host = RawHost(vb.port)
        try:
            host.wait_for(lambda r: r.command == 0xF0 and r.channel == 0x79)
            host.sysex(0x7A, 1, 0)
            for channel in range(6):
                host.send(0xC0 | channel, 1)
            host.pump(0.2)
            assert len(analog_reports(host, 1.0)) > 4000
        finally:
            host.close()


def thread_cpu_seconds(native_id: int) -> float:
    fields = open(f"/proc/self/task/{native_id}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_a_saturated_wire_costs_the_board_little_cpu(board: VirtualBoard, host: RawHost) -> None:
    host.sysex(0x7A, 1, 0)
    for channel in range(6):
        host.send(0xC0 | channel, 1)
    host.pump(0.2)
    thread = board._backend._thread
    before = thread_cpu_seconds(thread.native_id)
    assert len(analog_reports(host, 1.0)) > 1000
    assert thread_cpu_seconds(thread.native_id) - before < 0.15  # it waits for the wire, never spins
