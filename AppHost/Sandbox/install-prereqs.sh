#!/usr/bin/env bash
# Installs what the no-container sandbox and the tests run on: PostgreSQL and RabbitMQ from Debian/Ubuntu packages.
# Does nothing when both are present. Uses sudo when not run as root.
set -euo pipefail

have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/postgres" > /dev/null; }
have_rabbitmq() { [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; }

if have_postgres && have_rabbitmq; then
  echo "sandbox prerequisites present: PostgreSQL and RabbitMQ"
  exit 0
fi

if ! command -v apt-get > /dev/null; then
  echo "PostgreSQL (>= 14) and RabbitMQ (>= 3.10) are needed; this machine has no apt-get: install them with its package manager." >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
packages=()
have_postgres || packages+=(postgresql)
have_rabbitmq || packages+=(rabbitmq-server)
echo "installing ${packages[*]} ..."
$sudo apt-get update -qq
# policy-rc.d keeps the packages' own service units from starting: the suite runs its own private instances.
DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -qq "${packages[@]}"
# Debian starts the packaged servers where it can; the suite uses its own instances, so stop those.
$sudo sh -c 'command -v pg_ctlcluster >/dev/null && for c in /etc/postgresql/*/main; do v=$(basename "$(dirname "$c")"); pg_ctlcluster "$v" main stop 2>/dev/null || true; done' || true
echo "sandbox prerequisites installed"
