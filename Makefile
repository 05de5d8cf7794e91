# Every target creates .venv on first use and installs what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint bench screenshot package clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,train]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python main.py

demo: $(STAMP)
	$(BIN)/python main.py render assets/samples/astronaut.png assets/samples/voice_grid_s1.wav -o out/demo.mp4

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

screenshot: $(STAMP)
	$(BIN)/python tools/screenshot.py out/screenshot.png

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
