PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: system-deps setup native lock test test-latest test-slow example clean bench

# the exact versions the tests passed with; `make setup CONSTRAINTS=` installs the newest
CONSTRAINTS ?= constraints.txt
PIN := $(if $(CONSTRAINTS),-c $(CONSTRAINTS))

# Debian packages the build needs beyond Python: a C/C++ toolchain (the oneDNN kernels and
# runtime support compiled into every model.so, the C runtime) and OpenSSL's headers (the C
# runtime's sha256 / ed25519); util-linux's unshare runs the file-system fault tests.
SYSTEM_PACKAGES := gcc g++ make libssl-dev util-linux

system-deps:  ## install the Debian packages above that are missing (needs root or sudo)
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -q && $$sudo apt-get install -y -q $$missing; \
	fi

setup:  ## create the virtual environment, install paddlec with its test extras, build the C runtime
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q $(PIN) --upgrade pip setuptools wheel
	$(BIN)/pip install -q $(PIN) --no-build-isolation -e '.[test]'
	$(MAKE) native

native:  ## the C runtime: native/build/libpaddlec_runtime.so (include/paddlec.h)
	$(MAKE) -C native PYTHON=$(abspath $(BIN))/python

lock:  ## re-resolve the newest versions pyproject allows into constraints.txt (then: make test)
	rm -rf .venv-lock
	$(MAKE) setup VENV=.venv-lock CONSTRAINTS=
	{ echo "# paddlec: the exact versions the tests passed with (pip constraints)."; \
	  echo "# Written by 'make lock' with $$(.venv-lock/bin/python -V) on $$(uname -m); used by"; \
	  echo "# 'make setup' and .ci/run. 'make test-latest' tries newer ones."; \
	  .venv-lock/bin/pip freeze --all --exclude-editable; } > constraints.txt
	rm -rf .venv-lock

test-latest:  ## the default test run in a fresh .venv-latest with the newest allowed versions
	rm -rf .venv-latest
	$(MAKE) setup VENV=.venv-latest CONSTRAINTS=
	$(MAKE) test VENV=.venv-latest

test:  ## the default test run (slow suites excluded)
	$(BIN)/python -m pytest -q -m "not slow" --durations=15 tests

test-slow:
	$(BIN)/python -m pytest -q -m slow tests

example:  ## compile and run the embedded example model
	$(BIN)/paddlec compile examples/resnet_tiny.onnx --target llvm -o build/resnet_tiny
	$(BIN)/paddlec run build/resnet_tiny --random

clean:
	rm -rf build .pytest_cache
	$(MAKE) -C native clean

bench:  ## the CPU benchmark suite (ResNet-18/50, MobileNetV2, BERT-base-like) vs onnxruntime (+ Paddle)
	$(BIN)/python -m paddlec.bench.run_all
