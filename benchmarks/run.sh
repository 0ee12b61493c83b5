#!/usr/bin/env bash
# The benchmark suite: LongJobs side by side with its peers and the physical limits (see BENCHMARKS.md).
# Usage: ./benchmarks/run.sh [--quick] [part ...]
#   parts: throughput latency http memory postgres (default: all, in that order)
#   --quick: small N and short runs (about a minute with the build), as CI runs it from test.sh; without it the full
#   mode takes about 12 minutes. Prints Markdown tables (also written to artifacts/benchmarks/<mode>.md) and exits
#   non-zero when any part breaks. Installs wrk and PostgreSQL when run as root, and starts a throwaway PostgreSQL
#   cluster on a free loopback port, removed at exit (set LONGJOBS_BENCH_POSTGRES to a connection string to use
#   another server).
set -uo pipefail
cd "$(dirname "$0")/.."

mode=full
parts=()
for arg in "$@"; do
  case "$arg" in
    --quick) mode=quick ;;
    throughput|latency|http|memory|postgres) parts+=("$arg") ;;
    *) echo "Usage: ./benchmarks/run.sh [--quick] [throughput|latency|http|memory|postgres ...]" >&2; exit 2 ;;
  esac
done
[ ${#parts[@]} -eq 0 ] && parts=(throughput latency http memory postgres)
wants() { [[ " ${parts[*]} " == *" $1 "* ]]; }

# Quick mode reuses the Debug build that ./test.sh makes; the full mode measures a Release build.
configuration=Release
[ "$mode" = quick ] && configuration=Debug

apt_updated=
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "The benchmarks need $1: install it with 'sudo apt-get install -y $1', then run ./benchmarks/run.sh again." >&2
    exit 1
  fi
  [ -z "$apt_updated" ] && { apt-get update -qq; apt_updated=1; }
  echo "Installing $1 for the benchmarks." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null || {
    echo "Installing $1 failed: run 'apt-get install -y $1' as root, then ./benchmarks/run.sh again." >&2
    exit 1
  }
}

if wants http && ! command -v wrk >/dev/null 2>&1; then
  apt_install wrk
fi

pg_bin=
if wants postgres; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "${LONGJOBS_BENCH_POSTGRES:-}" ] && { [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; }; then
    apt_install postgresql
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  fi
fi
# pgbench, the cluster's limit row of the postgres part: from the same package (or PATH, for another server).
pgbench="${pg_bin:+$pg_bin/pgbench}"
[ -x "$pgbench" ] || pgbench=$(command -v pgbench || true)

out_dir=artifacts/benchmarks
mkdir -p "$out_dir"
out="$out_dir/$mode.md"
pg_dir=
cleanup() {
  if [ -n "$pg_dir" ]; then
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1
    else "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1; fi
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT

echo "Building benchmarks/LongJobs.Benchmarks ($configuration)..." >&2
if ! dotnet build benchmarks/LongJobs.Benchmarks -c "$configuration" --nologo -v quiet -clp:ErrorsOnly >&2; then
  echo "The benchmarks did not build." >&2
  exit 1
fi
app="benchmarks/LongJobs.Benchmarks/bin/$configuration/net10.0/LongJobs.Benchmarks.dll"

postgres="${LONGJOBS_BENCH_POSTGRES:-}"
if wants postgres && [ -z "$postgres" ]; then
  # A throwaway cluster, as the PostgreSQL tests start one: initdb refuses to run as root, so as the postgres user.
  pg_dir=$(mktemp -d /tmp/longjobs-bench-pg.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$pg_dir"; as_pg=(runuser -u postgres --); fi
  if ! "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 \
    || ! "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/data/log" -w \
         -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null; then
    echo "The throwaway PostgreSQL cluster did not start:" >&2
    cat "$pg_dir/initdb.log" "$pg_dir/data/log" 2>/dev/null >&2
    exit 1
  fi
  postgres="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
fi

{
  echo "## LongJobs benchmarks, $mode mode"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "- machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB memory ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(uname -sr), .NET $(dotnet --version), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- command: ./benchmarks/run.sh$([ "$mode" = quick ] && echo ' --quick') ${parts[*]}"
} | tee "$out"

failed=()
for part in "${parts[@]}"; do
  echo "Running $part ($mode)..." >&2
  started=$SECONDS
  args=("$part")
  [ "$mode" = quick ] && args+=(--quick)
  [ "$part" = postgres ] && args+=(--postgres "$postgres")
  [ "$part" = postgres ] && [ -n "$pgbench" ] && args+=(--pgbench "$pgbench")
  if dotnet "$app" "${args[@]}" | tee -a "$out"; then
    echo "  $part: done in $((SECONDS - started)) s" >&2
  else
    failed+=("$part")
    echo "  $part: FAILED after $((SECONDS - started)) s" >&2
  fi
done

echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
echo "Results: $out" >&2
if [ ${#failed[@]} -gt 0 ]; then
  echo "Benchmark parts that broke: ${failed[*]}" >&2
  exit 1
fi
