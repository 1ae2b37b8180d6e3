#!/usr/bin/env bash
# Regenerates the Wolverine handler code every messaging service commits under Internal/Generated (the services
# load it with TypeLoadMode.Static and have no compiler at run time). Run after changing a message handler, the
# services it takes, or the messaging set-up, then commit the result; GeneratedHandlersTests fails until you do.
# Needs no PostgreSQL or RabbitMQ: `codegen write` builds each service's host without starting it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
projects=(adapters/Upstream/FineractAdapter adapters/Upstream/OdkAdapter adapters/Upstream/IhrisAdapter adapters/Upstream/MobileMoneyAdapter adapters/Upstream/PaymentHubAdapter adapters/Services/Payroll)
if [ $# -gt 0 ]; then projects=("$@"); fi
# The services refuse to build their host without a signing key; the command never uses it.
export Suite__Identity__SigningKey=${Suite__Identity__SigningKey:-codegen}
for project in "${projects[@]}"; do
  generated="$root/$project/Internal/Generated"
  # Files of handlers that no longer exist must go too.
  rm -rf "$generated"
  # The previous generated code still compiles in; Static mode only reads it when the service starts.
  dotnet run --project "$root/$project" --no-launch-profile -- codegen write
done
