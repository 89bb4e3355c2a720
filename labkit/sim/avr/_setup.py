"""What the simulated AVR needs from outside, made or fetched once into a cache folder.

- the bridge program, compiled from ``bridge.c`` with gcc against libsimavr
  (Debian: ``simavr libsimavr-dev libelf-dev``);
- the genuine StandardFirmata builds that the npm package ``avrgirl-arduino``
  ships, fetched with ``npm pack`` (Debian ships no Firmata library).

The cache is ``.cache/firmware/`` in a source checkout, else
``~/.cache/labkit/firmware``; ``LABKIT_FIRMWARE_CACHE`` overrides both. Each
file is written under a temporary name and renamed, so two processes may
prepare at once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from labkit.errors import SimulationError, ToolMissingError

__all__ = ["bridge_program", "cache_dir", "prepare", "require_program", "standard_firmata"]

BRIDGE_SOURCE = Path(__file__).with_name("bridge.c")
SIMAVR_INCLUDE = Path("/usr/include/simavr")
AVRGIRL_PACKAGE = "avrgirl-arduino@5"
# Board profiles (and avrgirl's folders) whose StandardFirmata runs on simavr.
AVRGIRL_BOARDS = ("uno", "nano")
DEBIAN_HINT = "make test installs it; by hand: sudo apt-get install {packages}"


def cache_dir() -> Path:
    """The folder holding the bridge, StandardFirmata and built sketches (made on demand)."""
    override = os.environ.get("LABKIT_FIRMWARE_CACHE")
    if override:
        folder = Path(override)
    else:
        root = Path(__file__).resolve().parents[3]
        checkout = (root / "pyproject.toml").is_file() and (root / "labkit").is_dir()
        folder = root / ".cache" / "firmware" if checkout else Path.home() / ".cache" / "labkit" / "firmware"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def require_program(name: str, packages: str) -> str:
    """The path of ``name`` on PATH, or ToolMissingError naming the Debian packages."""
    path = shutil.which(name)
    if path is None:
        raise ToolMissingError(f"{name} is not installed; " + DEBIAN_HINT.format(packages=packages))
    return path


def _publish(tmp: Path, final: Path) -> Path:
    os.replace(tmp, final)
    return final


def bridge_program() -> Path:
    """The compiled bridge between Python and libsimavr, built on first use."""
    source = BRIDGE_SOURCE.read_bytes()
    program = cache_dir() / f"labkit-avr-bridge-{hashlib.sha256(source).hexdigest()[:12]}"
    if program.is_file():
        return program
    gcc = require_program("gcc", "gcc")
    if not (SIMAVR_INCLUDE / "sim_avr.h").is_file():
        raise ToolMissingError(
            "the simavr headers are not installed; " + DEBIAN_HINT.format(packages="simavr libsimavr-dev libelf-dev")
        )
    tmp = program.with_name(f"{program.name}.{os.getpid()}.tmp")
    result = subprocess.run(
        [gcc, "-O2", "-Wall", "-Wno-unused-parameter", f"-I{SIMAVR_INCLUDE}", "-o", str(tmp),
         str(BRIDGE_SOURCE), "-lsimavr", "-lelf"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ToolMissingError(
            "could not build the simavr bridge (are libsimavr-dev and libelf-dev installed?):\n"
            + result.stderr.strip()
        )
    return _publish(tmp, program)


def standard_firmata(board: str = "uno") -> Path:
    """The genuine StandardFirmata .hex for ``board``, fetched from npm on first use."""
    if board not in AVRGIRL_BOARDS:
        raise SimulationError(
            f"no StandardFirmata build for the simulated {board!r}: simavr runs "
            f"{', '.join(AVRGIRL_BOARDS)} (pass firmware= a .hex file built for it instead)"
        )
    target = cache_dir() / f"StandardFirmata-{board}.hex"
    if target.is_file():
        return target
    npm = require_program("npm", "npm")
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        result = subprocess.run(
            [npm, "pack", AVRGIRL_PACKAGE, "--silent"], cwd=tmp, capture_output=True, text=True, timeout=300
        )
        tarballs = list(Path(tmp).glob("avrgirl-arduino-*.tgz"))
        if result.returncode != 0 or not tarballs:
            raise SimulationError(f"npm pack {AVRGIRL_PACKAGE} failed: {result.stderr.strip()[-500:]}")
        with tarfile.open(tarballs[0]) as archive:
            for name in AVRGIRL_BOARDS:
                member = archive.extractfile(f"package/junk/hex/{name}/StandardFirmata.cpp.hex")
                if member is None:
                    raise SimulationError(f"{tarballs[0].name} holds no StandardFirmata for {name}")
                part = Path(tmp) / f"{name}.hex"
                part.write_bytes(member.read())
                _publish(part, cache_dir() / f"StandardFirmata-{name}.hex")
    return target


def prepare() -> list[Path]:
    """Build the bridge, fetch StandardFirmata and build the Arduino core; returns the files."""
    from labkit.sim.avr._compile import core_archive

    return [bridge_program(), *(standard_firmata(b) for b in AVRGIRL_BOARDS), core_archive("uno")]
