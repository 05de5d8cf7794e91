# Every target creates .venv on first use and installs what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYINSTALLER := $(VENV)/.pyinstaller

.PHONY: run demo test lint bench screenshot package smoke model clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,train,cluster,eval]'
	touch $(STAMP)

$(PYINSTALLER): $(STAMP)
	$(BIN)/pip install -q -e '.[package]'
	touch $(PYINSTALLER)

run: $(STAMP)
	$(BIN)/python main.py

demo: $(STAMP)
	mkdir -p out
	$(BIN)/python main.py render assets/samples/astronaut.png assets/samples/voice_grid_s1.wav -o out/demo.mp4

# Lint, the engine/GUI boundary, types, then the whole suite, including a
# frozen build and its smoke test (tests/test_packaging.py).
test: $(STAMP) $(PYINSTALLER)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen TALKIE_PACKAGE_TEST=1 $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

screenshot: $(STAMP)
	$(BIN)/python tools/screenshot.py out/screenshot.png

package: $(PYINSTALLER)
	$(BIN)/python packaging/build.py

smoke: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/smoke_test.py

# Retrain the shipped speech model from the GRID clips in ../shared (s1 only; the
# validation speakers are prepared for evaluate-model) and evaluate it beside the
# shipped one on the unseen speakers (docs/model.md).
MODEL_DATA ?= cache/model/grid
MODEL_RUN ?= runs/main
MODEL_STEPS ?= 4000
model: $(STAMP)
	$(BIN)/python main.py prepare-data ../shared/data/grid --out $(MODEL_DATA) --workers 2
	$(BIN)/python main.py prepare-data ../shared/data/crema-d --out $(MODEL_DATA) --workers 2
	$(BIN)/python main.py train --data $(MODEL_DATA) --out $(MODEL_RUN) --steps $(MODEL_STEPS) --threads 1
	$(BIN)/python main.py export-model $(MODEL_RUN) $(MODEL_RUN)/talkie_motion.onnx
	$(BIN)/python main.py evaluate-model --data $(MODEL_DATA) --split $(MODEL_RUN)/split.json \
		--model retrained=$(MODEL_RUN)/talkie_motion.onnx \
		--model shipped=assets/models/talkie_motion.onnx --ungated --out $(MODEL_RUN)/eval

clean:
	rm -rf out build dist .pytest_cache .mypy_cache .ruff_cache
