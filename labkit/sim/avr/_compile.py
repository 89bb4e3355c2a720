"""Arduino sketches to .hex with Debian's avr-gcc and arduino-core-avr, as the IDE builds them.

Like the Arduino IDE, a ``.ino`` becomes C++: ``#include <Arduino.h>`` on top
and a prototype for each function before the first definition, so a function
may be called above the place it is written. ``#line`` markers keep every
compiler message pointing at the student's own file and line. The core
(``wiring.c``, ``HardwareSerial.cpp``...) is compiled once per board into the
cache; the core's libraries (EEPROM, SPI, SoftwareSerial, Wire) are compiled
in when the sketch includes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from labkit.errors import SketchBuildError, ToolMissingError
from labkit.profiles import BoardProfile
from labkit.sim.avr._setup import cache_dir, require_program

__all__ = ["BuiltSketch", "compile_sketch", "core_archive", "sketch_source"]

ARDUINO_AVR = Path(os.environ.get("LABKIT_ARDUINO_AVR", "/usr/share/arduino/hardware/arduino/avr"))
AVR_PACKAGES = "gcc-avr avr-libc arduino-core-avr"
# From the core's boards.txt: each profile's variant folder and ARDUINO_<board> define.
VARIANTS = {"uno": ("standard", "AVR_UNO"), "nano": ("eightanaloginputs", "AVR_NANO"),
            "mega2560": ("mega", "AVR_MEGA2560")}
# Flash left for the sketch beside the bootloader, by MCU.
FLASH_BYTES = {"atmega328p": 32256, "atmega2560": 253952}
F_CPU = 16_000_000
# Built sketches kept in the cache; the oldest go first.
KEPT_BUILDS = 64
# The Arduino IDE's flags (platform.txt); Debian's gcc-avr 5 needs DECIMAL_DIG spelled out.
C_FLAGS = ["-c", "-g", "-Os", "-std=gnu11", "-ffunction-sections", "-fdata-sections", "-flto",
           "-fno-fat-lto-objects"]
CPP_FLAGS = ["-c", "-g", "-Os", "-std=gnu++11", "-fpermissive", "-fno-exceptions", "-ffunction-sections",
             "-fdata-sections", "-fno-threadsafe-statics", "-Wno-error=narrowing", "-flto"]
S_FLAGS = ["-c", "-g", "-x", "assembler-with-cpp", "-flto"]
LINK_FLAGS = ["-Os", "-g", "-flto", "-fuse-linker-plugin", "-Wl,--gc-sections"]

_STRIP = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|^[ \t]*#[^\n]*", re.S | re.M)
_FUNCTION_HEAD = re.compile(r"^(?P<type>[A-Za-z_][\w\s\*&:<>,]*?[\s\*&])(?P<name>[A-Za-z_]\w*)\s*\((?P<args>[^()]*)\)$", re.S)
_NOT_TYPES = ("struct", "class", "enum", "union", "namespace", "template", "typedef", "return", "else")
_INCLUDE = re.compile(r"^\s*#\s*include\s*[<\"](\w+)\.h[>\"]", re.M)


@dataclass(frozen=True)
class BuiltSketch:
    """A compiled sketch: its ``.hex`` (what gets flashed), ``.elf``, sizes and warnings."""

    source: Path
    board: str
    hex: Path
    elf: Path
    flash_bytes: int
    ram_bytes: int
    warnings: str


def _tool(name: str) -> str:
    return require_program(name, AVR_PACKAGES)


def _variant(board: BoardProfile) -> tuple[Path, str]:
    if board.name not in VARIANTS:
        raise SketchBuildError(f"cannot build sketches for the {board.title}: labkit knows {', '.join(VARIANTS)}")
    if not (ARDUINO_AVR / "cores" / "arduino" / "Arduino.h").is_file():
        raise ToolMissingError(f"the Arduino core is not at {ARDUINO_AVR}; " + f"install {AVR_PACKAGES} (make test does)")
    folder, define = VARIANTS[board.name]
    return ARDUINO_AVR / "variants" / folder, define


def _common_flags(board: BoardProfile) -> list[str]:
    variant, define = _variant(board)
    return [f"-mmcu={board.mcu}", f"-DF_CPU={F_CPU}L", "-DARDUINO=10807", f"-DARDUINO_{define}",
            "-DARDUINO_ARCH_AVR", "-DDECIMAL_DIG=__DECIMAL_DIG__",
            f"-I{ARDUINO_AVR / 'cores' / 'arduino'}", f"-I{variant}"]


def _compile_sources(sources: list[Path], flags: list[str], out: Path, quiet: bool) -> list[Path]:
    """Compile C, C++ and assembler files into ``out``; raises SketchBuildError with gcc's words."""
    objects = []
    for source in sources:
        if source.suffix == ".cpp":
            command = [_tool("avr-g++"), *CPP_FLAGS]
        else:
            command = [_tool("avr-gcc"), *(C_FLAGS if source.suffix == ".c" else S_FLAGS)]
        obj = out / f"{source.parent.name}-{source.name}.o"
        result = subprocess.run([*command, *(["-w"] if quiet else []), *flags, str(source), "-o", str(obj)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SketchBuildError(result.stderr.rstrip())
        objects.append(obj)
    return objects


def _sources(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".c", ".cpp", ".S"))


def core_archive(board_name: str | BoardProfile) -> Path:
    """The Arduino core compiled for a board, as a static library in the cache."""
    from labkit.profiles import load_board

    board = board_name if isinstance(board_name, BoardProfile) else load_board(board_name)
    flags = _common_flags(board)
    version = subprocess.run([_tool("avr-gcc"), "--version"], capture_output=True, text=True).stdout
    key = hashlib.sha256(json.dumps([flags, C_FLAGS, CPP_FLAGS, S_FLAGS, version]).encode()).hexdigest()[:12]
    archive = cache_dir() / f"arduino-core-{board.name}-{key}.a"
    if archive.is_file():
        return archive
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        objects = _compile_sources(_sources(ARDUINO_AVR / "cores" / "arduino"), flags, Path(tmp), quiet=True)
        part = Path(tmp) / "core.a"
        subprocess.run([_tool("avr-gcc-ar"), "rcs", str(part), *map(str, objects)], check=True)
        os.replace(part, archive)
    return archive


def sketch_source(text: str, filename: str) -> str:
    """The C++ the IDE would compile for a ``.ino``: Arduino.h, prototypes, ``#line`` markers.

    >>> print(sketch_source("void setup() { go(); }\\nvoid go() {}\\nvoid loop() {}\\n", "s.ino"))
    #include <Arduino.h>
    #line 1 "s.ino"
    #line 1 "s.ino"
    void setup();
    #line 2 "s.ino"
    void go();
    #line 3 "s.ino"
    void loop();
    #line 1 "s.ino"
    void setup() { go(); }
    void go() {}
    void loop() {}
    <BLANKLINE>
    """
    stripped = _STRIP.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    quoted = json.dumps(filename)
    prototypes: list[tuple[int, str]] = []
    depth, head_start = 0, 0
    for index, char in enumerate(stripped):
        if char == "{":
            if depth == 0:
                head = stripped[head_start:index].strip()
                match = _FUNCTION_HEAD.match(" ".join(head.split()))
                if match and match["type"].split()[0] not in _NOT_TYPES and "=" not in head:
                    start = head_start + len(stripped[head_start:index]) - len(stripped[head_start:index].lstrip())
                    prototypes.append((stripped.count("\n", 0, start) + 1, " ".join(head.split()) + ";"))
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
            if depth == 0:
                head_start = index + 1
        elif char == ";" and depth == 0:
            head_start = index + 1
    lines = text.splitlines(keepends=True)
    first = prototypes[0][0] if prototypes else len(lines) + 1
    parts = ["#include <Arduino.h>\n", f"#line 1 {quoted}\n", *lines[: first - 1]]
    for line, prototype in prototypes:
        parts.append(f"#line {line} {quoted}\n{prototype}\n")
    parts.append(f"#line {first} {quoted}\n")
    parts.extend(lines[first - 1 :])
    return "".join(parts)


def _libraries(text: str) -> list[Path]:
    folder = ARDUINO_AVR / "libraries"
    found = []
    for name in dict.fromkeys(_INCLUDE.findall(text)):
        src = folder / name / "src"
        if (src / f"{name}.h").is_file():
            found.append(src)
    return found


def _sizes(elf: Path) -> tuple[int, int]:
    out = subprocess.run([_tool("avr-size"), str(elf)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(v) for v in out.splitlines()[1].split()[:3])
    return text + data, data + bss


def _prune(folder: Path) -> None:
    builds = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in builds[:-KEPT_BUILDS]:
        shutil.rmtree(old, ignore_errors=True)


def compile_sketch(sketch: Path, board: BoardProfile, shown_name: str) -> BuiltSketch:
    """Build ``sketch`` (a ``.ino``) for ``board`` into the cache; reuses an identical build."""
    text = sketch.read_text(encoding="utf-8", errors="replace")
    libraries = _libraries(text)
    flags = [*_common_flags(board), *(f"-I{lib}" for lib in libraries)]
    core = core_archive(board)
    key = hashlib.sha256(json.dumps([text, shown_name, flags, core.name]).encode()).hexdigest()[:12]
    out = cache_dir() / "sketches" / f"{sketch.stem}-{board.name}-{key}"
    hex_path, elf = out / f"{sketch.stem}.hex", out / f"{sketch.stem}.elf"
    warnings_path = out / "warnings.txt"
    if not hex_path.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=out.parent))
        try:
            cpp = work / f"{sketch.stem}.ino.cpp"
            cpp.write_text(sketch_source(text, shown_name), encoding="utf-8")
            result = subprocess.run([_tool("avr-g++"), *CPP_FLAGS, *flags, str(cpp), "-o", str(work / "sketch.o")],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise SketchBuildError(result.stderr.rstrip())
            objects = [work / "sketch.o"]
            for lib in libraries:
                objects += _compile_sources(_sources(lib), flags, work, quiet=True)
            link = subprocess.run(
                [_tool("avr-gcc"), *LINK_FLAGS, f"-mmcu={board.mcu}", "-o", str(work / elf.name),
                 *map(str, objects), str(core), "-lm"],
                capture_output=True, text=True,
            )
            if link.returncode != 0:
                raise SketchBuildError(link.stderr.rstrip())
            subprocess.run([_tool("avr-objcopy"), "-O", "ihex", "-R", ".eeprom", str(work / elf.name),
                            str(work / hex_path.name)], check=True)
            (work / warnings_path.name).write_text(result.stderr)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        shutil.rmtree(out, ignore_errors=True)
        os.replace(work, out)
        _prune(out.parent)
    flash, ram = _sizes(elf)
    limit = FLASH_BYTES.get(board.mcu)
    if limit is not None and flash > limit:
        raise SketchBuildError(
            f"{shown_name}: the sketch needs {flash} bytes of flash; the {board.title} has {limit}"
        )
    return BuiltSketch(sketch, board.name, hex_path, elf, flash, ram, warnings_path.read_text())
