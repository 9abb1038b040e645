# Two commands work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
REDIS_HOST ?= 127.0.0.1
REDIS_PORT ?= 6379
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
OUT ?= out/demo

.PHONY: demo test test-all bench lint redis postgres install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m sim run sim/scenarios/baseline_municipal.yaml --out $(OUT)

redis:
	@bash scripts/ensure_redis.sh $(REDIS_HOST) $(REDIS_PORT)

postgres:
	@bash scripts/ensure_postgres.sh $(PG_HOST) $(PG_PORT)

test: $(STAMP) redis postgres
	$(PY) -m pytest -q -m "not slow"

test-all: $(STAMP) redis postgres
	$(PY) -m pytest -q

bench: $(STAMP) redis
	$(PY) benchmarks/routing_bench.py --json benchmarks/results/routing.json
	$(PY) benchmarks/offer_latency.py --json benchmarks/results/offer_latency.json
	$(PY) benchmarks/reopt_gain.py --json benchmarks/results/reopt_gain.json
	$(PY) benchmarks/solver_quality.py --set li_lim_100 --seconds 60 --jobs 2 --json benchmarks/results/solver_li_lim.json
	$(PY) benchmarks/solver_quality.py --set cordeau_a --seconds 60 --jobs 2 --json benchmarks/results/solver_cordeau.json
	$(PY) benchmarks/sim_speed.py --json benchmarks/results/sim_speed.json
	$(PY) benchmarks/wide_area.py --json benchmarks/results/wide_area.json
	$(PY) benchmarks/api_load.py --json benchmarks/results/api_load.json

lint: $(STAMP)
	$(VENV)/bin/ruff check routing dispatch api sim tests benchmarks

clean:
	rm -rf $(VENV) out test-output
