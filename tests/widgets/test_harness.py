"""The browser harness itself: a missing Chromium is a skip locally, a failure when required."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.widgets import lab


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(lab, "CHROMIUM", tmp_path / "chromium")


def test_a_missing_browser_fails_when_required(no_chromium, monkeypatch):
    monkeypatch.setenv("LABKIT_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="LABKIT_REQUIRE_BROWSER=1"):
        lab.require_chromium()


def test_a_missing_browser_fails_under_ci(no_chromium, monkeypatch):
    monkeypatch.delenv("LABKIT_REQUIRE_BROWSER", raising=False)
    monkeypatch.setattr("tests.support.IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        lab.require_chromium()


def test_a_missing_browser_is_a_skip_on_a_laptop(no_chromium, monkeypatch):
    monkeypatch.delenv("LABKIT_REQUIRE_BROWSER", raising=False)
    monkeypatch.setattr("tests.support.IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="make test installs"):
        lab.require_chromium()


def test_free_ports_are_free():
    port = lab.free_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
