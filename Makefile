# The two commands a newcomer needs:  make run   and   make test
# Both create the virtual environment on first use and are quick after that.

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The CPU build of torch. On this project's machines pip finds it on local disk;
# elsewhere add  --index-url https://download.pytorch.org/whl/cpu  or set TORCH_SPEC.
TORCH_SPEC ?= torch==2.13.0

.PHONY: run test bench setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m app serve

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m bench all

clean:
	rm -rf $(VENV) .pytest_cache
