"""What a live plot costs the kernel: a Scope on 4 channels sampled at 100 Hz on the virtual board.

Everything runs in a real IPython kernel started with jupyter_client (the
kernel a notebook gets); this process is the frontend and counts every message
the kernel sends on IOPub. Kernel CPU is the kernel process's own CPU time
(psutil) over the measuring window, in % of one core; the virtual board's
emulation runs in that process too (``Board.connect("sim")``), so the
"sampling only" row is the floor every other row stands on.

Side by side, in one run, each repeated:
- **sampling only**: the board and 4 sensors at 100 Hz, nothing drawn;
- **labkit Scope**: ``Scope(4 sensors)`` at its default 15 frames/s;
- **naive redraw**: what a notebook often does: each sensor's ``when_changed``
  redraws a matplotlib figure into an ``Output`` widget
  (``clear_output(wait=True); display(fig)``), from the callback thread.

Redraws/s is read from the kernel (``scope.redraws`` or a counter in the
callback) at the window's edges.

Then, in this process, the cost of one frame of 4 channels x 500 points as PNG
bytes: the Scope's blitted picture against a plain matplotlib redraw of the
same figure (``savefig`` to PNG), the usual way to update a plot.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from collections import Counter
from typing import Any

import numpy as np
import psutil
from jupyter_client.manager import KernelManager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from labkit.widgets._trace_plot import HEIGHT_PX, WIDTH_PX, TracePlot

WINDOW_S = 10.0
REPEATS = 3
FRAMES = 60
JUPYTER_LIMIT = 1000  # jupyter_server's default iopub_msg_rate_limit, messages/s

SETUP = """
from labkit import Board
board = Board.connect("sim")
board.sampling_interval = 0.010
sensors = [board.light_sensor("A0"), board.temperature_sensor("A1"),
           board.potentiometer("A2"), board.analog_sensor("A3")]
redraws = lambda: 0
samples = [0]
for s in sensors:
    s.add_listener(lambda t, v: samples.__setitem__(0, samples[0] + 1))
"""

SCENARIOS = {
    "sampling only": "",
    "labkit Scope": """
from labkit.widgets import Scope
scope = Scope(*sensors, window=500)
display(scope)
redraws = lambda: scope.redraws
""",
    "naive redraw": """
import matplotlib.pyplot as plt
import ipywidgets as widgets
from IPython.display import clear_output
figure, axes = plt.subplots(figsize=(9, 3.25), dpi=80)
plt.close(figure)
lines = [axes.plot([], [])[0] for _ in sensors]
history = [[] for _ in sensors]
out = widgets.Output()
display(out)
drawn = [0]
def redraw_on_change(i):
    def changed(value):
        history[i].append(value)
        del history[i][:-500]
        lines[i].set_data(range(len(history[i])), history[i])
        axes.relim()
        axes.autoscale_view()
        with out:
            clear_output(wait=True)
            display(figure)
        drawn[0] += 1
    return changed
for i, sensor in enumerate(sensors):
    sensor.when_changed = redraw_on_change(i)
redraws = lambda: drawn[0]
""",
}


def execute(client: Any, code: str, timeout: float = 60.0) -> dict[str, Any]:
    """Run ``code``; its result (``text/plain`` evaluated) or raise with the kernel's traceback."""
    msg_id = client.execute(code, user_expressions={"result": "(redraws(), samples[0])"})
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    content = reply["content"]
    if content["status"] != "ok":
        raise RuntimeError(f"kernel error: {content.get('ename')}: {content.get('evalue')}")
    return content["user_expressions"]["result"]


def counters(client: Any) -> tuple[int, int]:
    result = execute(client, "")
    redraws, samples = eval(result["data"]["text/plain"])  # noqa: S307 - our own tuple of ints
    return int(redraws), int(samples)


def measure(scenario: str) -> dict[str, float]:
    """One run of ``scenario`` in a fresh kernel: rates over WINDOW_S seconds."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env={**os.environ, "LABKIT_BOARD": "sim"})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        execute(client, SETUP)
        execute(client, SCENARIOS[scenario])
        time.sleep(2.0)  # let it settle (first frames, caches)
        kernel = psutil.Process(manager.provisioner.pid)  # type: ignore[union-attr]
        while client.iopub_channel.msg_ready():
            client.get_iopub_msg(timeout=1)
        redraws0, samples0 = counters(client)
        cpu0, wall0 = sum(kernel.cpu_times()[:2]), time.monotonic()
        kinds: Counter[str] = Counter()
        deadline = wall0 + WINDOW_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = client.get_iopub_msg(timeout=min(left, 0.2))
            except Exception:  # noqa: BLE001 - queue.Empty: nothing sent in that moment
                continue
            if message["msg_type"] != "status" and message["msg_type"] != "execute_input":
                kinds[message["msg_type"]] += 1
        cpu1, wall1 = sum(kernel.cpu_times()[:2]), time.monotonic()
        redraws1, samples1 = counters(client)
        elapsed = wall1 - wall0
        return {
            "redraws": (redraws1 - redraws0) / elapsed,
            "messages": sum(kinds.values()) / elapsed,
            "cpu": 100 * (cpu1 - cpu0) / elapsed,
            "samples": (samples1 - samples0) / elapsed / 4,
        }
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def frame_costs() -> dict[str, tuple[float, int]]:
    """Median CPU milliseconds and PNG bytes of one frame: the Scope's picture vs a full redraw.

    CPU time of this thread, not wall time: the machine is shared, and waiting for a
    core is not the drawing's cost.
    """
    t = np.arange(500) * 0.01
    frames = [
        [(t + k * 0.05, 0.5 + 0.4 * np.sin(3 * t + c + k * 0.2)) for c in range(4)] for k in range(FRAMES)
    ]
    plot = TracePlot([f"channel {c}" for c in range(4)])
    figure = Figure(figsize=(WIDTH_PX / 80, HEIGHT_PX / 80), dpi=80)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    lines = [axes.plot([], [], drawstyle="steps-post", label=f"channel {c}")[0] for c in range(4)]
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))

    def full_redraw(series: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
        for line, (times, values) in zip(lines, series, strict=True):
            line.set_data(times - times[-1], values)
        axes.relim()
        axes.autoscale_view()
        encoded = io.BytesIO()
        figure.savefig(encoded, format="png")
        return encoded.getvalue()

    results = {}
    for name, draw in (
        ("labkit Scope (blitted)", lambda s: plot.render(s, float(s[0][0][-1]), 500)),
        ("matplotlib full redraw", full_redraw),
    ):
        seconds, size = [], 0
        for series in frames:
            start = time.thread_time()
            size = len(draw(series))
            seconds.append(time.thread_time() - start)
        results[name] = (1000 * statistics.median(seconds[5:]), size)
    return results


def run() -> str:
    """Measure every scenario REPEATS times, interleaved; a Markdown section of medians."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in SCENARIOS}
    for _ in range(REPEATS):
        for name in SCENARIOS:
            runs[name].append(measure(name))
    rows = []
    median = {name: {k: statistics.median(r[k] for r in results) for k in results[0]}
              for name, results in runs.items()}
    floor = median["sampling only"]["cpu"]
    for name, m in median.items():
        rows.append(
            f"| {name} | {m['redraws']:.1f} | {m['messages']:.1f} | {m['cpu']:.0f} % | "
            f"{m['cpu'] - floor:+.0f} % | {m['samples']:.0f} |"
        )
    scope, naive = median["labkit Scope"], median["naive redraw"]
    costs = frame_costs()
    blitted, full = costs["labkit Scope (blitted)"][0], costs["matplotlib full redraw"][0]
    return "\n".join([
        "## Widgets: a live plot of 4 channels at 100 Hz in a real kernel",
        "",
        f"Medians of {REPEATS} runs of {WINDOW_S:g} s each, in a fresh IPython kernel (jupyter_client) "
        "with the virtual board in it; messages are everything the kernel sent on IOPub except "
        "status; CPU is the kernel process's user+system time in % of one core "
        "(the board emulation included, hence the sampling-only floor).",
        "",
        "| scenario | redraws/s | IOPub messages/s | kernel CPU | over sampling only | readings/s per channel |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"The Scope sends {scope['messages']:.0f} messages/s, {scope['messages'] / JUPYTER_LIMIT:.1%} of "
        f"Jupyter's {JUPYTER_LIMIT} messages/s output limit, for "
        f"{scope['cpu'] - floor:.0f} % of a core over sampling alone; the naive redraw costs "
        f"{naive['cpu'] - floor:.0f} % for {naive['redraws']:.1f} redraws/s "
        f"({naive['messages']:.0f} messages/s).",
        "",
        f"One frame, 4 channels x 500 points, {WIDTH_PX}x{HEIGHT_PX} px PNG (median of {FRAMES - 5}):",
        "",
        "| drawing | CPU ms per frame | PNG bytes |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {ms:.1f} | {size} |" for name, (ms, size) in costs.items()),
        "",
        f"Blitting makes a frame {full / blitted:.1f}x cheaper than redrawing the figure.",
    ])


if __name__ == "__main__":
    print(run())
