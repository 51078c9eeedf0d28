# Two commands: `make test` and `make demo` set themselves up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: test demo lint typecheck pytest server screenshots bench package clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q

# Qt's display plugin needs system libraries minimal installs leave out: as root with apt
# they are installed, otherwise the one `apt install` line is printed and make stops.
# Skipped (and said so) without DISPLAY/WAYLAND_DISPLAY or with QT_QPA_PLATFORM=offscreen.
demo: $(STAMP)
	$(BIN)/python -m desktop_app.platform_check --install
	$(BIN)/desktop-app --demo

server: $(STAMP)
	$(BIN)/chat-server demo

screenshots: $(STAMP)
	$(BIN)/python -m desktop_app.tools.screenshots docs/

bench: $(STAMP)
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/client_ingest.py

package: $(STAMP)
	bash packaging/build.sh

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
