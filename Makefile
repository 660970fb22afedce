# The two set-up commands: `make run` and `make test`. Both create .venv when it is
# missing and reinstall only when pyproject.toml changed.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install install-dev install-optional run demo test test-deploy dashboard-images lint typecheck pytest clean

help:
	@echo "make run    install, load demo data, serve API + dashboard on http://$(HOST):$(PORT)"
	@echo "make test   install dev tools, run ruff, mypy and the whole pytest suite"
	@echo "make install-optional  add the optional model extras (prophet, neural: CPU torch)"
	@echo "make test-deploy  only the deploy/ checks (promtool, amtool, prometheus, compose, linters)"
	@echo "make dashboard-images  redraw docs/images/opscast-*.png from a live opscast and Prometheus"
	@echo "make clean  remove .venv and var/"

$(BIN)/uv:
	@test -n "$(PYTHON)" || { echo "opscast needs Python 3.11 or newer on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

# --compile-bytecode: the dependencies are compiled once here, so a process that cannot
# write __pycache__ (read-only install, PYTHONDONTWRITEBYTECODE) does not compile at start-up.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e ".[dev]"
	@touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

# The optional model extras (prophet, neural), so that their models and tests run too;
# under CI (CI set) `make test` installs them, since CI must not pass by skipping them.
# torch is installed on its own first, as a CPU build: TORCH_PIP_ARGS can point pip at
# PyTorch's CPU index (--extra-index-url https://download.pytorch.org/whl/cpu).
TORCH_VERSION ?= 2.13.0
TORCH_PIP_ARGS ?=
$(VENV)/.installed-optional: pyproject.toml $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH_PIP_ARGS) "torch==$(TORCH_VERSION)"
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e ".[dev,prophet,neural,pipeline]"
	@touch $@

install-optional: $(VENV)/.installed-optional

run: install
	$(BIN)/opscast demo
	$(BIN)/opscast serve --host $(HOST) --port $(PORT)

demo: install
	$(BIN)/opscast demo

lint: install-dev
	$(BIN)/ruff check src tests benchmarks deploy
	$(BIN)/ruff format --check src tests benchmarks deploy
	PYTHONPATH=src $(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev $(if $(CI),install-optional)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# Part of `make test` too; this runs just the deployment checks while editing deploy/.
test-deploy: install-dev
	$(BIN)/python -m pytest tests/deploy tests/integration/test_tracing.py $(PYTEST_ARGS)

# The images in docs/deploy.md: opscast with the demo data under six minutes of traffic,
# scraped by a real Prometheus, each dashboard drawn by deploy/render_dashboards.py;
# pngquant (Debian's package), when present, makes them about three times smaller.
dashboard-images: install-dev
	OPSCAST_DASHBOARD_IMAGES=docs/images OPSCAST_DASHBOARD_MINUTES=6 \
		OPSCAST_DASHBOARD_SCRAPE_SECONDS=5 \
		$(BIN)/python -m pytest tests/deploy/test_dashboard_images.py -q
	if command -v pngquant >/dev/null; then \
		pngquant --force --skip-if-larger --ext .png --quality 70-95 docs/images/opscast-*.png; fi

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
