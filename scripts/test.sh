#!/usr/bin/env bash
# Runs every check and test of the repository on this machine, installing what is missing first.
# Prints one line per check group and, last, the plain summary "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export CI="${CI:-}" TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 FORCE_COLOR=0
# Every check and suite runs on the pinned Node (installed on first use), whatever Node the machine has.
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
use_pinned_node || {
  echo "FAIL pinned-node"
  echo "0 passed, 1 failed"
  exit 1
}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
passed=0
failed=0

# check NAME CMD...: runs one check group, counting it as one passed or failed test; output goes to a log
# that is shown only on failure.
check() {
  local name=$1
  shift
  local log="$results/$name.log"
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "PASS $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    tail -n 60 "$log" | sed 's/^/    /'
  fi
}

check install-system-deps bash scripts/install-deps.sh
# .node-version is the pin: engines names it, and the Node running these checks is it.
check node-version-pinned node -e '
  const fs = require("fs");
  const pinned = fs.readFileSync(".node-version", "utf8").trim();
  const engines = JSON.parse(fs.readFileSync("package.json", "utf8")).engines.node;
  const major = Number(pinned.split(".")[0]);
  if (engines !== `>=${pinned} <${major + 1}`) throw new Error(`engines.node ${engines} does not pin ${pinned}`);
  if (process.version !== `v${pinned}`) throw new Error(`running on ${process.version}, pinned ${pinned}`);'
check install-node-deps bash scripts/pnpm-install.sh
check generated-code-current bash -c 'pnpm --silent run gen && git diff --exit-code --stat -- packages/api/src/gen && test -z "$(git status --porcelain -- packages/api/src/gen)"'
check buf-lint bash -c 'cd proto && ../node_modules/.bin/buf lint .'
check buf-breaking-against-shared bash scripts/buf-breaking.sh
check buf-breaking-catches-changes bash scripts/test-buf-breaking.sh
check lint-and-format pnpm --silent run lint
check build pnpm --silent run build
check typecheck-tests node_modules/.bin/tsc -p tsconfig.tests.json
# Unused files, exports and dependencies (knip.jsonc), so that dead code does not come back.
check unused-code node_modules/.bin/knip

# The loopback services the backends' tests run against (Ceph + radosgw, the OCI registry, MinIO). Started
# here and stopped at the end, unless they were already running (a developer's), which are left as they are.
services_were_up=0
bash scripts/services.sh status >/dev/null 2>&1 && services_were_up=1
stop_services() {
  if [ "$services_were_up" = 0 ]; then bash scripts/services.sh down >/dev/null 2>&1 || true; fi
}
trap 'stop_services; rm -rf "$results"' EXIT
check services-up bash scripts/services.sh up
# Exports CEPH_*, RGW_*, REGISTRY_ADDR, MINIO_* for the suites (it carries admin keys: never echo it).
env_file="$results/services.env"
if bash scripts/services.sh env >"$env_file" 2>/dev/null; then
  set -a
  # shellcheck disable=SC1090
  source "$env_file"
  set +a
fi

# IronCore v0.5.0's control plane and poollets for tests/ironcore: built from the Go module proxy into a cache
# outside the repository on a machine's first run (long), found there on every later one.
check ironcore-binaries bash scripts/ironcore.sh build

# vitest suites, one per workspace package with tests; each test case counts.
for dir in packages/* apps/* tests/e2e tests/ironcore bench docs/examples/*; do
  [ -f "$dir/package.json" ] || continue
  grep -q '"test":' "$dir/package.json" || continue
  name=$(basename "$dir")
  report="$results/vitest-$name.json"
  (cd "$dir" && "$repo/node_modules/.bin/vitest" run --reporter=default --reporter=json --outputFile="$report") \
    >"$results/vitest-$name.log" 2>&1
  counts=$(node -e '
    const fs = require("fs");
    try {
      const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      // A suite that failed to load counts as one failure even when it reports no test.
      const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
      console.log(`${r.numPassedTests} ${r.numFailedTests + broken}`);
    } catch { console.log("0 1"); }' "$report")
  p=${counts% *}
  f=${counts#* }
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$f" = 0 ]; then
    echo "PASS vitest $name ($p tests)"
  else
    echo "FAIL vitest $name ($p passed, $f failed)"
    grep -E 'FAIL|✗|×|AssertionError|Error:' "$results/vitest-$name.log" | head -n 40 | sed 's/^/    /'
  fi
done

# The container images: built (Debian base and Node toolchains cached in /var/cache/iri-images), pushed to the
# loopback registry and run with podman against the loopback services; and the workflow that builds them in CI.
check images-workflow python3 scripts/test-images-workflow.py
check container-images bash scripts/test-images.sh

# Real Ceph (mon, mgr, OSD, radosgw) and the OCI registry: a scratch instance on free ports, started,
# exercised and stopped again.
check services-smoke bash scripts/test-services.sh
# The README's first command, twice around a `demo.sh down`, in a scratch state dir on its own ports.
check demo-restart bash scripts/test-demo-restart.sh
# deploy/ rendered and applied (server-side dry run) to a scratch kube-apiserver with IronCore's APIs.
check deploy-manifests bash scripts/test-deploy.sh
stop_services
if [ "$services_were_up" = 0 ]; then
  check services-stopped bash -c '! bash scripts/services.sh status >/dev/null 2>&1'
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
