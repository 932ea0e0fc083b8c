# Onyx Sessions developer entry points.  Every recipe is one bash script.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := run

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# stdlib-only, so the system python3 runs it even before the venv exists
SERVICES := python3 -m onyx_site.local_services
PYTEST_ARGS ?=

.PHONY: venv run test lint bench services-up services-down clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
	  if [ "$$(id -u)" = 0 ]; then
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv
	  else
	    echo "python3 -m venv is unavailable: install python3-venv" >&2; exit 1
	  fi
	fi
	[ -x $(VENV)/bin/pip ] || python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	touch $@

# Private Postgres + Redis for this checkout, stopped again when the server exits
# (unless another process started them first; then they are left running).
run: venv
	token="run-$$$$"
	trap '$(SERVICES) down --owner "$$token"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	$(SERVICES) up --owner "$$token"
	# services.env holds the URLs in use, including any DATABASE_URL/REDIS_URL given to us
	set -a; . var/services.env; set +a
	# A development server: DEBUG on unless the caller says otherwise.
	export DEBUG="$${DEBUG:-true}"
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py ensure_admin
	export PORT="$${PORT:-8000}"
	echo "Onyx Sessions: http://127.0.0.1:$$PORT (web, a replies worker and a files worker; Ctrl+C stops all)"
	# Every line of the Procfile, with the virtualenv first on PATH; honcho gives web $$PORT.
	# honcho stops everything when one process exits: a worker that dies is started again instead.
	export ONYX_KEEP_RUNNING="python -m onyx_site.keep_running"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho -f Procfile start -p "$$PORT"

test: venv
	# Chromium for the browser tests, and emoji and CJK fonts so their screenshots show them.
	if { [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/noto ] || [ ! -d /usr/share/fonts/truetype/wqy ]; } && [ "$$(id -u)" = 0 ]; then
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-color-emoji fonts-wqy-microhei
	fi
	token="test-$$$$"
	trap '$(SERVICES) down --owner "$$token"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	$(SERVICES) up --owner "$$token"
	set -a; . var/services.env; set +a
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Every performance figure against a baseline measured in the same run (bench/run.py).
# `make bench BENCH_ARGS=--long` adds the socket and fan-out sizes.
BENCH_ARGS ?=
bench: venv
	if ! command -v wrk >/dev/null && [ "$$(id -u)" = 0 ]; then
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
	fi
	token="bench-$$$$"
	trap '$(SERVICES) down --owner "$$token"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	$(SERVICES) up --owner "$$token"
	$(PY) bench/run.py $(BENCH_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

services-up:
	$(SERVICES) up

services-down:
	$(SERVICES) down

clean:
	$(SERVICES) down || true
	# var/postgres may link to a private /tmp/onyx-<hash>/ directory
	if [ -L var/postgres ]; then
	  target="$$(readlink -f var/postgres)"
	  case "$$target" in /tmp/onyx-*) rm -rf "$$(dirname "$$target")" ;; esac
	fi
	rm -rf var $(VENV)
