#!/usr/bin/env bash
# The whole test suite: installs what it needs (the pinned moto venv), then runs every
# test — unit, property, snapshot, and end-to-end against moto through the built binary.
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup-venv.sh
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Snapshots are checked, never rewritten, in the suite.
export INSTA_UPDATE=no
cargo test --locked --all-targets "$@"
