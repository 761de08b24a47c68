#!/usr/bin/env bash
# The quick-start "main job": on a machine with only Rust and python3, installs the pinned
# AWS emulator (moto, in .venv/), builds trailform (debug build: much faster from clean
# than --release, and fast enough here), starts moto on a free 127.0.0.1 port, seeds a
# demo organization, and runs validate, accounts, plan, apply and plan again with
# examples/demo-org.yaml. Needs no TTY and no AWS account; exits non-zero if any step
# fails (the last plan must report no changes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Installing the AWS emulator (scripts/setup-venv.sh)"
bash scripts/setup-venv.sh

step "Building trailform (cargo build)"
cargo build --quiet --bin trailform
tf="${CARGO_TARGET_DIR:-$PWD/target}/debug/trailform"
spec="$PWD/examples/demo-org.yaml"

work="$(mktemp -d)"
moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
  exec 3>&- 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Starting moto on 127.0.0.1"
# The launcher serves until its stdin closes: keep a FIFO open on fd 3 for its lifetime.
mkfifo "$work/stdin"
exec 3<>"$work/stdin"
.venv/bin/python tests/support/moto_launcher.py <&3 >"$work/port" 2>"$work/moto.log" &
moto_pid=$!
port=""
for _ in $(seq 1 300); do
  if read -r word value <"$work/port" 2>/dev/null && [ "$word" = PORT ]; then port="$value"; break; fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then cat "$work/moto.log" >&2; echo "moto did not start" >&2; exit 1; fi
  sleep 0.1
done
[ -n "$port" ] || { echo "moto did not report its port" >&2; exit 1; }
endpoint="http://127.0.0.1:$port"
echo "moto listening on $endpoint"

step "Seeding the demo organization (tests/support/seed.py)"
.venv/bin/python tests/support/seed.py "$endpoint" >"$work/seeded.json" <<'JSON'
{"ous": ["Workloads/Prod/Payments", "Workloads/Dev", "Sandbox"],
 "management_tags": {"environment": "management"},
 "accounts": [
   {"name": "prod-web", "ou": "Workloads/Prod", "tags": {"environment": "prod", "team": "web"}},
   {"name": "prod-api", "ou": "Workloads/Prod", "tags": {"environment": "prod", "team": "api"}},
   {"name": "payments-core", "ou": "Workloads/Prod/Payments", "tags": {"environment": "prod", "team": "payments"}},
   {"name": "prod-staging", "ou": "Workloads/Prod", "tags": {"environment": "staging"}},
   {"name": "prod-retired", "ou": "Workloads/Prod", "tags": {"environment": "prod"}, "closed": true},
   {"name": "dev-web", "ou": "Workloads/Dev", "tags": {"environment": "dev"}},
   {"name": "sandbox-alice", "ou": "Sandbox", "tags": {"environment": "sandbox"}},
   {"name": "shared-services", "ou": "", "tags": {"environment": "shared"}}],
 "buckets": [
   {"account": "management", "name": "demo-org-cloudtrail-logs", "region": "us-east-1"},
   {"account": "management", "name": "demo-data-events", "region": "us-east-1"},
   {"account": "sandbox-alice", "name": "alice-old-trail-logs", "region": "us-east-1"}],
 "trails": [
   {"account": "sandbox-alice", "region": "us-east-1", "name": "alice-experiment",
    "bucket": "alice-old-trail-logs"},
   {"account": "prod-web", "region": "us-east-1", "name": "prod-data-events",
    "bucket": "demo-data-events", "multi_region": true, "tags": {"owner": "someone-else"},
    "logging": false}]}
JSON
.venv/bin/python - "$work/seeded.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"management account {s['management_id']}; {len(s['accounts'])} member accounts "
      f"(prod-retired closed); OUs: {', '.join(sorted(s['ous']))}")
print("out-of-band trails: " + ", ".join(sorted(s["trails"])))
PY

# The emulator, and nothing from the developer's own AWS configuration.
while IFS= read -r var; do unset "$var"; done < <(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p')
export AWS_ENDPOINT_URL="$endpoint" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_CONFIG_FILE="$work/no-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-credentials"
export AWS_EC2_METADATA_DISABLED=true

step "trailform validate -f examples/demo-org.yaml"
"$tf" validate -f "$spec"

step "trailform accounts -f examples/demo-org.yaml"
"$tf" accounts -f "$spec"

step "trailform plan -f examples/demo-org.yaml"
"$tf" plan -f "$spec"

step "trailform apply --auto-approve -f examples/demo-org.yaml"
"$tf" apply --auto-approve -f "$spec" </dev/null

step "trailform plan --detailed-exitcode -f examples/demo-org.yaml (must be: no changes)"
"$tf" plan --detailed-exitcode -f "$spec"

step "Done: the organization matches the spec"
