#!/usr/bin/env bash
# Runs a private RabbitMQ node in the foreground (the sandbox's broker; also used by the tests).
#   RABBITMQ_BASE          state directory (queues survive restarts)
#   RABBITMQ_NODE_PORT     AMQP port on 127.0.0.1
#   RABBITMQ_DIST_PORT     Erlang distribution port
#   ERL_EPMD_PORT          optional: port of this node's private epmd (default: distribution port + 1)
#   RABBITMQ_MANAGEMENT_PORT  optional: enables the management UI on that port
#   RABBITMQ_USER / RABBITMQ_PASSWORD  the one user; the default guest user is removed
#   OWNER_PID              optional: stop the node when this process is gone
# Wrapped in main so bash reads the whole script before running it.
main() {
  set -euo pipefail
  : "${RABBITMQ_BASE:?}" "${RABBITMQ_NODE_PORT:?}" "${RABBITMQ_DIST_PORT:?}" "${RABBITMQ_USER:?}" "${RABBITMQ_PASSWORD:?}"

  server=/usr/lib/rabbitmq/bin/rabbitmq-server
  if [ ! -x "$server" ]; then
    echo "RabbitMQ is not installed: run AppHost/Sandbox/install-prereqs.sh" >&2
    exit 1
  fi

  mkdir -p "$RABBITMQ_BASE"
  base=$(cd "$RABBITMQ_BASE" && pwd)
  export HOME="$base"   # the Erlang cookie lives here, not in the user's home
  cd "$base"            # Mnesia writes its core dumps to the working directory
  # One node name per state directory, so a sandbox and test brokers never collide.
  node="oneclick-$(printf '%s' "$base" | md5sum | cut -c1-8)"
  export RABBITMQ_NODENAME="$node@localhost"
  export RABBITMQ_MNESIA_BASE="$base/mnesia" RABBITMQ_LOG_BASE="$base/log" ERL_CRASH_DUMP="$base/erl_crash.dump"
  export RABBITMQ_PID_FILE="$base/$node.pid"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$base/rabbitmq"   # rabbitmq.conf
  export RABBITMQ_ADVANCED_CONFIG_FILE="$base/advanced.config"
  # epmd is shared by every Erlang node on the machine; a private port keeps ours apart and lets us stop it, and it
  # listens on loopback only.
  export ERL_EPMD_PORT=${ERL_EPMD_PORT:-$((RABBITMQ_DIST_PORT + 1))}
  export ERL_EPMD_ADDRESS=127.0.0.1
  # Keep the node from reaching out to DNS for its own name.
  export RABBITMQ_USE_LONGNAME=false

  {
    echo "listeners.tcp.1 = 127.0.0.1:$RABBITMQ_NODE_PORT"
    echo "loopback_users = none"
    if [ -n "${RABBITMQ_MANAGEMENT_PORT:-}" ]; then
      echo "management.tcp.port = $RABBITMQ_MANAGEMENT_PORT"
      echo "management.tcp.ip = 127.0.0.1"
    fi
  } > "$base/rabbitmq.conf"
  echo "[]." > "$base/advanced.config"
  if [ -n "${RABBITMQ_MANAGEMENT_PORT:-}" ]; then
    echo "[rabbitmq_management]." > "$base/enabled_plugins"
  else
    echo "[]." > "$base/enabled_plugins"
  fi

  stop() {
    kill "$credentials" 2> /dev/null || true
    ERL_ZFLAGS="-start_epmd false" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBITMQ_NODENAME" stop > /dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    epmd -port "$ERL_EPMD_PORT" -kill > /dev/null 2>&1 || true
  }
  trap stop TERM INT
  if [ -n "${OWNER_PID:-}" ]; then
    script=$$
    ( while kill -0 "$OWNER_PID" 2> /dev/null; do sleep 2; done; kill -TERM "$script" 2> /dev/null ) &
  fi

  "$server" &
  pid=$!
  # Whatever ends this script (TERM runs the trap above; a KILL runs nothing; an orchestrator may kill the script and
  # everything under it at once), the node and its epmd end with it: a guard, detached from this script's process
  # tree and session, waits for the script to go, then stops the node if it still runs and then epmd, which Erlang
  # starts as a daemon that would otherwise outlive the sandbox.
  ( setsid bash -c '
    while kill -0 "$1" 2> /dev/null; do sleep 1; done
    if kill -0 "$2" 2> /dev/null; then ERL_ZFLAGS="-start_epmd false" /usr/lib/rabbitmq/bin/rabbitmqctl -q -n "$3" stop > /dev/null 2>&1 || kill "$2" 2> /dev/null; fi
    for _ in $(seq 1 60); do kill -0 "$2" 2> /dev/null || break; sleep 1; done
    epmd -port "$4" -kill > /dev/null 2>&1 || true
  ' rabbitmq-guard "$$" "$pid" "$RABBITMQ_NODENAME" "$ERL_EPMD_PORT" < /dev/null > /dev/null 2>&1 & )
  # The administrator is set from the node's own environment (os:getenv in an eval), so the password is neither on a
  # command line nor in a file; it holds on every start, so a changed parameter just works.
  (
    # A command-line tool starts epmd when none runs: never let one started late bring it back after a stop.
    ctl=(env ERL_ZFLAGS="-start_epmd false" /usr/lib/rabbitmq/bin/rabbitmqctl -q -n "$RABBITMQ_NODENAME")
    for _ in $(seq 1 90); do
      kill -0 "$pid" 2> /dev/null || exit 0
      "${ctl[@]}" await_startup --timeout 5 > /dev/null 2>&1 && break
      sleep 1
    done
    if "${ctl[@]}" await_startup --timeout 5 > /dev/null 2>&1; then
      "${ctl[@]}" eval 'U = list_to_binary(os:getenv("RABBITMQ_USER")), P = list_to_binary(os:getenv("RABBITMQ_PASSWORD")),
        case rabbit_auth_backend_internal:add_user(U, P, <<"oneclicksuite">>) of
          ok -> ok;
          _ -> rabbit_auth_backend_internal:change_password(U, P, <<"oneclicksuite">>)
        end.' > /dev/null 2>&1
      "${ctl[@]}" set_user_tags "$RABBITMQ_USER" administrator > /dev/null 2>&1
      "${ctl[@]}" set_permissions -p / "$RABBITMQ_USER" ".*" ".*" ".*" > /dev/null 2>&1
      "${ctl[@]}" delete_user guest > /dev/null 2>&1 || true
    fi
  ) &
  credentials=$!
  set +e
  wait "$pid"
  code=$?
  kill "$credentials" 2> /dev/null || true
  epmd -port "$ERL_EPMD_PORT" -kill > /dev/null 2>&1 || true
  exit $code
}
main "$@"
