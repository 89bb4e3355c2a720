# labkit: `make lab` opens the course, `make test` checks everything, `make bench` measures.
# Each target sets up .venv first; a second run skips what is already installed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The install is redone only when pyproject.toml changes.
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: lab test bench lint venv system-deps bench-deps firmware clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian packages the tests drive for real (browser, simulated AVR, its compiler).
system-deps:
	@bash .ci/system-deps test

bench-deps:
	@bash .ci/system-deps bench

lab: venv
	LABKIT_BOARD=sim $(BIN)/labkit lab

lint: venv
	$(BIN)/ruff check labkit tests benchmarks
	$(BIN)/mypy

# The simulated AVR's bridge, StandardFirmata (npm) and the Arduino core, built once into .cache/.
firmware: venv system-deps
	@$(BIN)/python -c "from labkit.sim.avr import prepare; prepare()" 2>/dev/null || echo \
	  "labkit: could not prepare the simulated AVR (simavr, avr-gcc or npm missing?): its tests skip, or fail under CI=true"

test: venv system-deps firmware lint
	$(BIN)/python -m pytest

bench: venv system-deps bench-deps
	$(BIN)/python benchmarks/run.py $(ONLY)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
