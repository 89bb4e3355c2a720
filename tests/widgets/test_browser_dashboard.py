"""The dashboard as a student meets it: JupyterLab in Chromium, live_dashboard.ipynb run for real.

The notebook's kernel and this test are different processes, so every check
reads the page: the panel's "virtual board: ..." text is the simulation's own
pin state, rendered by the kernel, and pictures are compared pixel by pixel.
Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from tests.widgets.lab import LONG_MS, artifact, differs, picture, wait_until

pytestmark = pytest.mark.browser

SERVO_STEPS = 15


def test_the_dashboard_renders_its_widgets(dashboard):
    panel = dashboard.locator(".labkit-board-panel")
    panel.wait_for(timeout=LONG_MS)
    assert "(virtual)" in panel.locator(".widget-html").first.inner_text(timeout=LONG_MS)
    # One row per device the notebook opened: LED, PWM LED, servo, three sensors.
    for words in ("LED D13", "PWMLED D5", "Servo D9", "LightSensor A0", "TemperatureSensor A1", "Potentiometer A2"):
        panel.get_by_text(words, exact=False).first.wait_for(timeout=LONG_MS)
    assert panel.locator(".widget-toggle-button").count() == 1
    assert panel.locator(".widget-slider").count() == 2
    assert panel.locator(".widget-hprogress").count() == 3
    dashboard.locator(".labkit-scope img").wait_for(timeout=LONG_MS)
    dashboard.screenshot(path=str(artifact("dashboard.png")), full_page=True)


def test_the_servo_follows_the_keyboard(dashboard):
    panel = dashboard.locator(".labkit-board-panel")
    slider = panel.locator(".widget-slider", has_text="Servo D9")
    seen = panel.get_by_text(re.compile(r"virtual board: D9 servo \d+°"))
    # The notebook's last panel cell set the servo to 45 from code; the panel follows it.
    seen.filter(has_text="D9 servo 45°").wait_for(timeout=LONG_MS)
    slider.locator(".widget-readout").filter(has_text="45").wait_for(timeout=LONG_MS)
    slider.locator(".noUi-handle").focus()
    readout = slider.locator(".widget-readout")
    for angle in range(46, 46 + SERVO_STEPS):
        # One press at a time, as a person watching the number would, so each step is seen
        # (under load the frontend batches fast changes: the kernel may skip values).
        dashboard.keyboard.press("ArrowRight")
        readout.filter(has_text=re.compile(rf"^{angle}$")).wait_for(timeout=LONG_MS)
    target = 45 + SERVO_STEPS
    # What the simulated board's pin 9 reports, shown by the kernel: the bytes crossed the pty.
    seen.filter(has_text=f"D9 servo {target}°").wait_for(timeout=LONG_MS)
    assert slider.locator(".widget-readout").inner_text() == str(target)
    panel.screenshot(path=str(artifact("servo-moved.png")))


def test_the_live_plot_moves(dashboard):
    plot = dashboard.locator(".labkit-scope img")
    plot.wait_for(timeout=LONG_MS)
    first_src, first = plot.get_attribute("src"), picture(plot)
    Image.fromarray(first.astype(np.uint8)).save(artifact("scope-first.png"))
    later: dict[str, np.ndarray] = {}

    def moved() -> bool:
        later["picture"] = picture(plot)
        return differs(first, later["picture"])

    wait_until(moved, timeout_s=30, what="the Scope's picture changes")
    Image.fromarray(later["picture"].astype(np.uint8)).save(artifact("scope-later.png"))
    assert plot.get_attribute("src") != first_src
    assert "frames/s" in dashboard.locator(".labkit-scope").inner_text()
