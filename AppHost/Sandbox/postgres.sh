#!/usr/bin/env bash
# Runs a private PostgreSQL server in the foreground (the sandbox's database; also used by the tests).
#   PGDATA             data directory; initialised on first start
#   PGPORT             TCP port on 127.0.0.1
#   POSTGRES_PASSWORD  password of the "postgres" role; applied at every start, so a changed parameter just works
#   POSTGRES_MAX_CONNECTIONS  optional: max_connections (default 300; the AppHost sets its connection budget)
#   POSTGRES_SHARED_BUFFERS  optional: shared_buffers (default 256MB; the sandbox uses less)
#   POSTGRES_EXTRA     optional extra server settings, e.g. "-c fsync=off" for throwaway test clusters
#   OWNER_PID          optional: stop the server when this process is gone (test runs that crash leave nothing behind)
# Wrapped in main so bash reads the whole script before running it.
main() {
  set -euo pipefail
  : "${PGDATA:?PGDATA is required}" "${PGPORT:?PGPORT is required}" "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"

  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ]; then
    echo "PostgreSQL is not installed: run AppHost/Sandbox/install-prereqs.sh" >&2
    exit 1
  fi

  # PostgreSQL refuses to run as root: drop to the postgres user when we are root.
  as_owner=()
  if [ "$(id -u)" = 0 ]; then
    as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  fi

  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDATA"; fi

  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    echo "initialising a new cluster in $PGDATA"
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    if [ "$(id -u)" = 0 ]; then chown postgres "$pwfile"; fi
    "${as_owner[@]}" "$bin/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" -A scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 > "$PGDATA.initdb.log" 2>&1 || { cat "$PGDATA.initdb.log" >&2; rm -f "$pwfile"; exit 1; }
    rm -f "$pwfile"
  fi

  # Single-user mode sets the password without opening any port.
  escaped=${POSTGRES_PASSWORD//\'/\'\'}
  printf "ALTER ROLE postgres PASSWORD '%s';\n" "$escaped" | "${as_owner[@]}" "$bin/postgres" --single -D "$PGDATA" postgres > /dev/null

  if [ -n "${OWNER_PID:-}" ]; then
    server=$$ # exec below keeps this pid for postgres itself
    ( while kill -0 "$OWNER_PID" 2> /dev/null; do sleep 2; done; kill -INT "$server" 2> /dev/null ) &
  fi

  # shellcheck disable=SC2086
  exec "${as_owner[@]}" "$bin/postgres" -D "$PGDATA" -p "$PGPORT" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=${POSTGRES_MAX_CONNECTIONS:-300} \
    -c shared_buffers=${POSTGRES_SHARED_BUFFERS:-256MB} ${POSTGRES_EXTRA:-}
}
main "$@"
