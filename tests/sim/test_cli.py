"""``labkit sim`` prints a port that answers as StandardFirmata, and stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.sim.host import RawHost


def test_labkit_sim_serves_until_interrupted(tmp_path: Path) -> None:
    link = tmp_path / "arduino"
    process = subprocess.Popen(
        [sys.executable, "-m", "labkit", "sim", "--seed", "4", "--link", str(link)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.startswith("/dev/pts/")
        assert link.resolve() == Path(port)
        host = RawHost(str(link))
        try:
            host.send(0xF9)
            assert host.wait_for(lambda r: r.command == 0xF9, timeout=5).data == (2, 5)
        finally:
            host.close()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "Traceback" not in err
    assert not link.exists()


def test_labkit_sim_with_an_unknown_profile_fails_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "labkit", "sim", "--profile", "nope"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.startswith("labkit: error: no board profile 'nope'")
    assert "Traceback" not in result.stderr
