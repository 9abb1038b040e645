#!/usr/bin/env bash
# Make sure Redis Sentinel can run here (the failover tests start their own sentinels): either Debian's
# redis-sentinel, or a redis-server that accepts --sentinel (Redis >= 2.8). Installs redis-sentinel with
# apt if neither is found.
set -euo pipefail

can_sentinel() {
  if command -v redis-sentinel >/dev/null 2>&1; then
    echo "sentinel: $(command -v redis-sentinel)"
    return 0
  fi
  local help
  help=$(redis-server --help 2>&1 || true)
  if command -v redis-server >/dev/null 2>&1 && [[ "$help" == *--sentinel* ]]; then
    echo "sentinel: $(command -v redis-server) --sentinel ($(redis-server --version | cut -d' ' -f3))"
    return 0
  fi
  return 1
}

if can_sentinel; then
  exit 0
fi
echo "sentinel: neither redis-sentinel nor redis-server --sentinel found, installing redis-sentinel with apt"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq redis-sentinel redis-server >/dev/null
can_sentinel || { echo "sentinel: still not available after apt-get install" >&2; exit 1; }
