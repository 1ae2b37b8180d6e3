#!/usr/bin/env bash
# Runs every test project of the suite, one after another (a 2-core machine runs them faster in turn than at once),
# and fails when a test fails or when no test ran at all. Installs PostgreSQL and RabbitMQ first where missing:
# the tests use real ones, started from the same scripts as the sandbox.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash AppHost/Sandbox/install-prereqs.sh || exit 1
# The portal's browser tests drive Debian's Chromium through Playwright, which must never download a browser itself.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -x /usr/bin/chromium ]; then
  sudo=""; if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "installing chromium ..."
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } || exit 1
fi
dotnet build OneClickSuite.sln -nologo -v quiet || exit 1

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
status=0
for project in $(find tests -name '*.Tests.csproj' | sort); do
  name=$(basename "$project" .csproj)
  echo "== $name"
  dotnet test "$project" --no-build -nologo --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" || status=1
done

total() { grep -ho " $1=\"[0-9]*\"" "$results"/*.trx 2>/dev/null | grep -o '[0-9][0-9]*' | awk '{ s += $1 } END { print s + 0 }'; }
executed=$(total executed); passed=$(total passed); failed=$(total failed); notexecuted=$(total notExecuted)
echo "${passed:-0} passed, ${failed:-0} failed, ${notexecuted:-0} skipped"
if [ "${failed:-0}" -ne 0 ]; then
  echo "failed tests:"
  # each failed test's name and the first line of its message, so a truncated log still says what broke
  for trx in "$results"/*.trx; do
    python3 - "$trx" <<'PY' 2>/dev/null || grep -o 'testName="[^"]*" [^>]*outcome="Failed"' "$trx"
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") == "Failed":
        m = r.find(".//t:Message", ns)
        first = (m.text or "").strip().splitlines()[0] if m is not None and m.text else ""
        print(f"  {r.get('testName')}\n    {first[:400]}")
PY
  done
fi
if [ "${executed:-0}" -eq 0 ]; then
  echo "no test ran: that is a failure" >&2
  exit 1
fi
if [ "${failed:-0}" -ne 0 ]; then status=1; fi
exit $status
