# The two commands a newcomer needs:  make run   and   make test
# Both create the virtual environment (and node_modules/ for the page's D3) on
# first use and are quick after that.

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CHROMIUM := /usr/bin/chromium
# Every package at the version in constraints.txt (torch's version is written only there),
# as in the Dockerfile. torch comes first, from TORCH_INDEX when set: on this project's
# machines pip finds the CPU build on local disk; elsewhere, for the CPU build, use
#   make setup TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu"
CONSTRAINTS := constraints.txt
TORCH_INDEX ?=

.PHONY: run test lint format bench setup browser screenshot clean

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(TORCH_INDEX) --no-deps -c $(CONSTRAINTS) torch
	$(PY) -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e ".[test,ray]"
	touch $(STAMP)

# The page's browser libraries (D3), pinned in package-lock.json and served from
# node_modules/ at /vendor: fetched once here, never from the internet at run time.
$(NODE_STAMP): package-lock.json package.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else \
	  echo "npm is not installed: the page needs node_modules/d3 (install Node.js, then run make setup)"; \
	fi

# The browser tests drive Debian's chromium. Installed here when it is missing and
# we run as root on a Debian-like system; otherwise tests/browser skips with the reason.
browser:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

run: $(STAMP) $(NODE_STAMP)
	$(PY) -m app serve

# Lint first: ruff (rules and format, pyproject.toml) over the Python, eslint
# (eslint.config.js) over the page's JavaScript. A finding fails the run.
lint: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	npm run --silent lint

# Apply ruff's safe fixes and its formatting.
format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# --durations: the slowest tests named in every run, so the suite's 10-minute budget is watched.
test: lint browser
	$(PY) -m pytest -q --durations=12

# Refresh docs/screenshot.png (the first screen at 1280x800), the page's frame time in the docs and
# docs/experiments-*.png (the shipped experiments' plots as the Experiments view draws them).
screenshot: $(STAMP) $(NODE_STAMP) browser
	UNROLLED_UPDATE_DOCS=1 $(PY) -m pytest -q -s tests/browser -k "page_loads or keeps_60_fps or docs_figures_of_the_shipped"

bench: $(STAMP)
	$(PY) -m bench all

clean:
	rm -rf $(VENV) .pytest_cache node_modules test-artifacts
