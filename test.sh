#!/usr/bin/env bash
# Builds LongJobs, runs every test project, lints the OpenAPI document and runs the benchmark suite in quick mode (each counted as one more test);
# prints "N passed, N failed, N skipped" last and exits non-zero when anything fails. Usage: ./test.sh [extra dotnet test arguments]
set -uo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET SDK is missing: install the .NET 10 SDK (see https://dot.net/download), then run ./test.sh again." >&2
  exit 1
fi
if ! dotnet --list-sdks | grep -q '^10\.'; then
  echo "LongJobs needs the .NET 10 SDK; found: $(dotnet --list-sdks | tr '\n' ' '). Install the .NET 10 SDK and run ./test.sh again." >&2
  exit 1
fi

# Installs Debian packages (as root), reading the package lists once per run.
apt_install() {
  if [ -z "${apt_lists_read:-}" ]; then
    apt-get update -qq
    apt_lists_read=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# The PostgreSQL tests start a throwaway cluster with the server binaries of the Debian package, unless
# LONGJOBS_TEST_POSTGRES names a server to use instead. They must run, never skip: install what is missing.
postgres_installed() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null 2>&1
}
if [ -z "${LONGJOBS_TEST_POSTGRES:-}" ] && ! postgres_installed; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "PostgreSQL is missing: installing the postgresql package for the PostgreSQL tests."
    apt_install postgresql
    if ! postgres_installed; then
      echo "Installing PostgreSQL failed: run 'apt-get install -y postgresql' as root, then ./test.sh again." >&2
      echo "0 passed, 1 failed"
      exit 1
    fi
  else
    echo "The PostgreSQL tests need the PostgreSQL server binaries (initdb, pg_ctl): install them with" >&2
    echo "'sudo apt-get install -y postgresql' (or set LONGJOBS_TEST_POSTGRES to a connection string), then run ./test.sh again." >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

# The browser tests drive the live job page in headless Chromium from the Debian package; Playwright's own browser
# download is never used. They must run, never skip: install what is missing.
chromium_installed() {
  [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1
}
if ! chromium_installed; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Chromium is missing: installing the chromium package for the browser tests."
    apt_install chromium
    if ! chromium_installed; then
      echo "Installing Chromium failed: run 'apt-get install -y chromium' as root, then ./test.sh again." >&2
      echo "0 passed, 1 failed"
      exit 1
    fi
  else
    echo "The browser tests need Chromium (/usr/bin/chromium): install it with 'sudo apt-get install -y chromium'," >&2
    echo "then run ./test.sh again." >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

log=$(mktemp)
started=$(mktemp) # its time tells this run's screenshots from older ones
trap 'rm -f "$log" "$started"' EXIT

dotnet build LongJobs.sln --nologo -v quiet -clp:ErrorsOnly
build_status=$?
if [ $build_status -ne 0 ]; then
  echo "The build failed."
  echo "0 passed, 1 failed"
  exit $build_status
fi

dotnet test LongJobs.sln --no-build --nologo "$@" 2>&1 | tee "$log"
test_status=${PIPESTATUS[0]}

# The screenshots the browser tests saved in this run.
find artifacts/screenshots -name '*.png' -newer "$started" 2>/dev/null | sort | sed 's/^/Screenshot: /'

# Sum the per-project summaries: "Passed!  - Failed:     0, Passed:    37, Skipped:     0, Total: ..."
read -r passed failed skipped < <(grep -E '^(Passed|Failed)! +- Failed: ' "$log" | awk -F'[:,]' '
  { failed += $2; passed += $4; skipped += $6 }
  END { printf "%d %d %d\n", passed, failed, skipped }')

if [ "$test_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # a test host crashed or a project did not run: count it, never report green
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "No test ran."
  failed=1
fi

# The sample server's OpenAPI document (the contract clients are generated from; the build writes it) linted with Redocly
# CLI's recommended rules, warnings counting as errors: one test. The CLI's exact version is pinned in
# tools/openapi-lint/package-lock.json and installed there with npm ci when missing or older than the lock file;
# tools/openapi-lint/redocly.yaml says which rules are off and why.
lint_openapi() {
  local tool=tools/openapi-lint document=samples/LongJobs.Sample/obj/openapi/openapi.json output
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: install Node.js (20.19 or later, with npm), then run ./test.sh again."
    return 1
  fi
  if [ ! -x "$tool/node_modules/.bin/redocly" ] || [ "$tool/package-lock.json" -nt "$tool/node_modules/.package-lock.json" ]; then
    if ! (cd "$tool" && npm ci --no-audit --no-fund --loglevel=error); then
      echo "Installing Redocly CLI failed ('npm ci' in $tool): see npm's message above."
      return 1
    fi
  fi
  if [ ! -f "$document" ]; then
    echo "The sample server's OpenAPI document is missing at $document: the build writes it."
    return 1
  fi
  if output=$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true "$tool/node_modules/.bin/redocly" lint \
      --config "$tool/redocly.yaml" --format stylish "$document" 2>&1); then
    echo "$document: no problems."
  else
    echo "$output" | grep -v '[║╔╚]' # the findings, without the CLI's banners
    echo "Redocly CLI found problems in $document (rules and reasons: $tool/redocly.yaml)."
    return 1
  fi
}
echo "OpenAPI lint (Redocly CLI, recommended rules, warnings as errors):"
if lint_openapi; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

# The benchmark suite in quick mode (small N, about a minute) proves every benchmark still runs: it counts as one test.
echo "Benchmarks, quick mode (./benchmarks/run.sh --quick):"
if ./benchmarks/run.sh --quick 2>&1; then
  passed=$((passed + 1))
else
  echo "The quick benchmark run failed: see its output above."
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$test_status" -eq 0 ] && [ "$failed" -eq 0 ]
