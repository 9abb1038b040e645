#!/usr/bin/env bash
# Make sure a Redis server answers on HOST:PORT; start one from config/redis-test.conf if not.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-6379}
here=$(cd "$(dirname "$0")/.." && pwd)

answers() {
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -h "$host" -p "$port" ping 2>/dev/null | grep -q PONG
  else
    # No client yet: speak RESP over bash's /dev/tcp.
    exec 3<>"/dev/tcp/$host/$port" 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || true
    exec 3>&-
    [[ "$reply" == +PONG* ]]
  fi
}

if answers; then
  echo "redis: answering on $host:$port"
  exit 0
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis: redis-server not found, installing it with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
fi
mkdir -p /tmp/kanra-redis
redis-server "$here/config/redis-test.conf" --port "$port" --bind "$host" --daemonize yes \
  --dir /tmp/kanra-redis --logfile /tmp/kanra-redis/redis.log
for _ in $(seq 1 50); do
  if answers; then echo "redis: started on $host:$port"; exit 0; fi
  sleep 0.2
done
echo "redis: could not start a server on $host:$port (see /tmp/kanra-redis/redis.log)" >&2
exit 1
