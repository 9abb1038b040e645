# A planner's first command is `make demo` (the simulator and nothing else); `make test` and `make bench`
# add their extras. Each install step has its own stamp, renewed when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HASH := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
CORE := $(VENV)/.installed-core-$(HASH)
DEV := $(VENV)/.installed-dev-$(HASH)
BENCH := $(VENV)/.installed-bench-$(HASH)
API := $(VENV)/.installed-api-$(HASH)
REDIS_HOST ?= 127.0.0.1
REDIS_PORT ?= 6379
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
OUT ?= out/demo

.PHONY: demo test test-all bench lint redis sentinel postgres install install-api install-dev install-bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(CORE): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $(CORE)

$(API): $(CORE)
	$(PY) -m pip install --quiet -e '.[api]'
	touch $(API)

$(DEV): $(CORE)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(DEV)

$(BENCH): $(DEV)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH)

install: $(CORE)
install-api: $(API)
install-dev: $(DEV)
install-bench: $(BENCH)

demo: $(CORE)
	$(PY) -m sim run sim/scenarios/baseline_municipal.yaml --out $(OUT)
	@echo "ツールは $(VENV)/bin にあります (有効化: source $(VENV)/bin/activate) / tools are in $(VENV)/bin"
	@echo "報告書 / report: $(OUT)/report.html  (表 / tables: $(OUT)/kpis.xlsx)"

redis:
	@bash scripts/ensure_redis.sh $(REDIS_HOST) $(REDIS_PORT)

sentinel:
	@bash scripts/ensure_sentinel.sh

postgres:
	@bash scripts/ensure_postgres.sh $(PG_HOST) $(PG_PORT)

test: $(DEV) redis sentinel postgres
	$(PY) -m pytest -q -m "not slow"

test-all: $(DEV) redis sentinel postgres
	$(PY) -m pytest -q

bench: $(BENCH) redis
	$(PY) benchmarks/routing_bench.py --json benchmarks/results/routing.json
	$(PY) benchmarks/offer_latency.py --json benchmarks/results/offer_latency.json
	$(PY) benchmarks/reopt_gain.py --json benchmarks/results/reopt_gain.json
	$(PY) benchmarks/solver_quality.py --set li_lim_100 --seconds 60 --jobs 2 --json benchmarks/results/solver_li_lim.json
	$(PY) benchmarks/solver_quality.py --set cordeau_a --seconds 60 --jobs 2 --json benchmarks/results/solver_cordeau.json
	$(PY) benchmarks/sim_speed.py --json benchmarks/results/sim_speed.json
	$(PY) benchmarks/wide_area.py --json benchmarks/results/wide_area.json
	$(PY) benchmarks/api_load.py --json benchmarks/results/api_load.json

lint: $(DEV)
	$(VENV)/bin/ruff check routing dispatch api sim tests benchmarks

clean:
	rm -rf $(VENV) out test-output
