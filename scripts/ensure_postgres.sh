#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on HOST:PORT (trust auth for the postgres user on loopback, as the
# tests use it); on Debian start the installed cluster, or install one with apt if none is.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-5432}

answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$host" -p "$port"
  else
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

if answers; then
  echo "postgres: answering on $host:$port"
  exit 0
fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "postgres: no cluster found, installing postgresql with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
conf=/etc/postgresql/$version/main
# loopback connections of the postgres user without a password (a test server, never a production one)
if ! grep -q "kanra-test" "$conf/pg_hba.conf"; then
  sed -i "1i host all postgres 127.0.0.1/32 trust # kanra-test\nhost all postgres ::1/128 trust # kanra-test" \
    "$conf/pg_hba.conf"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 50); do
  if answers; then echo "postgres: started on $host:$port"; exit 0; fi
  sleep 0.2
done
echo "postgres: could not start a server on $host:$port (see /var/log/postgresql/)" >&2
exit 1
