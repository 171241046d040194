# Antre: `make run` starts the system, `make test` runs every test.
# Each target installs what it needs: a virtual environment, the Python packages and,
# where missing, the Debian packages (Mosquitto and its command-line clients).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Mosquitto and its clients (central, tests), espeak-ng (the default voice pack),
# DejaVu fonts (the lobby screen), Chromium (the browser tests of the web console),
# shellcheck (the install script's test), openssl (TLS for MQTT), systemd (the unit
# checks: systemd-analyze verify and security), PostgreSQL (the hub and its tests).
SYSTEM_PACKAGES := mosquitto mosquitto-clients espeak-ng fonts-dejavu-core chromium shellcheck openssl systemd postgresql
SYSTEM_INSTALLED := $(VENV)/.system-installed
EXAMPLE_SITE := examples/samarinda/site.toml

.PHONY: all install system-deps lint test bench run run-region check-config clean

all: test

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "antre: Python 3.11 or newer is needed (found: $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(INSTALLED): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

$(SYSTEM_INSTALLED): scripts/ensure-system-packages.sh Makefile | $(BIN)/python
	scripts/ensure-system-packages.sh $(SYSTEM_PACKAGES)
	@touch $@

install: $(INSTALLED) $(SYSTEM_INSTALLED)

system-deps: $(SYSTEM_INSTALLED)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Four workers, each taking whole test files (a file's fixtures start its processes once).
test: install lint
	$(BIN)/pytest -m "not slow" -n 4 --dist loadfile

# The benchmarks, then the slow fuzz variants (10,000 messages a topic: minutes).
bench: install
	$(BIN)/python -m bench
	$(BIN)/pytest -m slow

check-config: $(INSTALLED)
	$(BIN)/antre-check-config $(or $(CONFIG),$(EXAMPLE_SITE))

# The whole MPP on this machine: Mosquitto, the central, two simulated kiosks, a display.
run: install
	$(BIN)/antre-check-config $(EXAMPLE_SITE)
	$(BIN)/python -m local_mpp

# A region on this machine: PostgreSQL, the hub's Mosquitto (TLS), antre-hub and its web
# pages, and three simulated sites linked to it (docs/hub.md, "make run-region").
run-region: install
	$(BIN)/python -m local_region

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
