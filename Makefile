PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup test test-slow example clean bench

setup:  ## create the virtual environment and install paddlec with its test extras
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'

test:  ## the default test run (slow suites excluded)
	$(BIN)/python -m pytest -q -m "not slow" --durations=15 tests

test-slow:
	$(BIN)/python -m pytest -q -m slow tests

example:  ## compile and run the embedded example model
	$(BIN)/paddlec compile examples/resnet_tiny.onnx --target llvm -o build/resnet_tiny
	$(BIN)/paddlec run build/resnet_tiny --random

clean:
	rm -rf build .pytest_cache

bench:  ## the CPU benchmark suite (ResNet-18/50, MobileNetV2, BERT-base-like) vs onnxruntime (+ Paddle)
	$(BIN)/python -m paddlec.bench.run_all
