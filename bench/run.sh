#!/usr/bin/env bash
# The network benchmark (issue 7): trailform plan/apply against moto behind a loopback
# proxy that adds latency, next to moto's own ceiling and a sequential boto3 reader.
# Usage: bench/run.sh [--quick] [--accounts N] [--regions R] [--latency-ms L]
#                     [--concurrency 16,64] [--json FILE]
# Everything runs on 127.0.0.1; the report (markdown) goes to stdout, progress to stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
scripts/setup-venv.sh
if [ -z "${TRAILFORM_BENCH_NO_BUILD:-}" ]; then
  echo "[bench] cargo build --release --bin trailform" >&2
  cargo build --release --quiet --bin trailform
fi
exec "$here/.venv/bin/python" "$here/bench/bench.py" "$@"
