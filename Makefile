# gazelearn: `make demo` and `make test` are all a new user needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch comes first and exactly at 2.13.0: any other spec pulls GBs of CUDA packages.
TORCH := torch==2.13.0

.PHONY: install test lint demo clean lock

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	@# An editable install leaves the sources uncompiled, and where PYTHONDONTWRITEBYTECODE is set
	@# every command compiled them again (about 0.05 s of CPU per `gazelearn info`).
	@$(BIN)/python -m compileall -q src >/dev/null
	@touch $(STAMP)

lint: install
	$(BIN)/ruff check src tests benchmarks

test: install lint
	$(BIN)/python -m pytest

demo: install
	$(BIN)/gazelearn demo

# Re-resolve the pinned environment (run after changing dependencies, then commit constraints.txt).
lock: install
	$(BIN)/pip freeze --exclude-editable | grep -v '^gazelearn' > constraints.txt

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache
