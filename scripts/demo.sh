#!/usr/bin/env bash
# The main job on a fresh machine: install everything, build, start the loopback services (Ceph + radosgw,
# OCI registry, MinIO) and the three providers (bucket on radosgw), then run a short demo against their sockets.
#   bash scripts/demo.sh        set up, start, demo; providers keep running
#   bash scripts/demo.sh down   stop the providers and the services
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir=$PWD/.state/run

stop_providers() {
  for runtime in machine volume bucket; do
    pidfile=$run_dir/$runtime-provider.pid
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # Only a process we started: its command line must name our app.
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "apps/$runtime-provider/dist/main.js"; then
      kill -TERM "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done
}

if [ "${1:-}" = down ]; then
  stop_providers
  bash scripts/services.sh down
  exit 0
fi

bash scripts/install-deps.sh
# The providers, the build and the demo client run on the pinned Node.
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
use_pinned_node
bash scripts/pnpm-install.sh
TURBO_TELEMETRY_DISABLED=1 pnpm --silent run build
bash scripts/services.sh up

stop_providers
mkdir -p "$run_dir"
# shellcheck source=/dev/null
source <(bash scripts/services.sh env)
# Admin keys go in 0600 files that the providers read (secretFile settings), never in argv.
(
  umask 077
  printf '%s' "$RGW_ADMIN_ACCESS_KEY" >"$run_dir/rgw-access-key"
  printf '%s' "$RGW_ADMIN_SECRET_KEY" >"$run_dir/rgw-secret-key"
)
backend_args() {
  case $1 in
  # The machine provider runs real QEMU machines (TCG where KVM does not work).
  machine) printf '%s\n' --backend qemu --qemu-shutdown-timeout 5 ;;
  # The volume provider on the loopback Ceph (pool rbd, as its default classes name it).
  volume) printf '%s\n' --backend ceph --ceph-monitors "$CEPH_MON_HOST" --ceph-admin-key-file "$CEPH_ADMIN_KEYRING" ;;
  # The bucket provider on the loopback radosgw.
  bucket)
    printf '%s\n' --backend rgw --rgw-endpoint "$RGW_ENDPOINT" \
      --rgw-access-key-file "$run_dir/rgw-access-key" --rgw-secret-key-file "$run_dir/rgw-secret-key"
    ;;
  *) printf '%s\n' --backend noop ;;
  esac
}
for runtime in machine volume bucket; do
  mapfile -t args < <(backend_args "$runtime")
  nohup node "apps/$runtime-provider/dist/main.js" \
    --socket-path "$run_dir/iri-${runtime}provider.sock" \
    --state-dir "$PWD/.state/$runtime-provider" \
    "${args[@]}" \
    >"$run_dir/$runtime-provider.log" 2>&1 &
  echo $! >"$run_dir/$runtime-provider.pid"
done

node scripts/demo.mjs "$run_dir" "$REGISTRY_ADDR"
cat <<TXT

The providers keep running (logs in .state/run/*.log). Talk to them, e.g.:
  node packages/conformance/dist/cli.js --runtime machine --address unix://$run_dir/iri-machineprovider.sock
Stop everything with: bash scripts/demo.sh down
TXT
