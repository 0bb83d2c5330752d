#!/bin/sh
# The local stand-in for the official postgres image's entry point (images.sh postgres):
# the same settings (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA) and the same
# first-start scripts (/docker-entrypoint-initdb.d/*.sql, *.sh), on Debian's PostgreSQL 15.
set -eu
# The socket goes to /tmp: /run is a fresh tmpfs, owned by root, in a container.
export PGHOST=/tmp
: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA

if [ "${1:-postgres}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "POSTGRES_PASSWORD is not set: the database would accept anyone." >&2
    exit 1
  fi
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl --wait --silent -o "-c listen_addresses='' -c unix_socket_directories=/tmp" start
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -q -U "$POSTGRES_USER" -d postgres \
      -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) psql -v ON_ERROR_STOP=1 -q -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f "$f" ;;
      *.sh) . "$f" ;;
    esac
  done
  pg_ctl --wait --silent -m fast stop
fi

if [ "${1:-postgres}" = postgres ]; then
  shift || true
  exec postgres -c listen_addresses='*' -c unix_socket_directories=/tmp "$@"
fi
exec "$@"
