#!/usr/bin/env bash
# The main job on a fresh machine: install everything, build, start the loopback services (Ceph + radosgw,
# OCI registry, MinIO) and the three providers (bucket on radosgw), then run a short demo against their sockets.
# The demo leaves a small workspace (a machine, a 10 GiB volume, a bucket) that survives `down` and restarts:
# Ceph's OSD keeps its data on disk and the providers their stores, so the next run brings the same ones back.
#   bash scripts/demo.sh        set up, start, demo; providers and the workspace keep running
#   bash scripts/demo.sh down   stop the workspace's guests, the providers and the services (state is kept)
#
# Environment: IRI_STATE_DIR (<repo>/.state) holds all state. A second demo beside a running one needs its own
# IRI_STATE_DIR and ports: the services' CEPH_MON_PORT, RGW_PORT, REGISTRY_PORT, MINIO_PORT and the providers'
# IRI_MACHINE_PROVIDER_OPS_ADDRESS, IRI_MACHINE_PROVIDER_STREAMING_ADDRESS, IRI_VOLUME_PROVIDER_OPS_ADDRESS,
# IRI_BUCKET_PROVIDER_OPS_ADDRESS (see the apps' READMEs).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=demo
# shellcheck source=lib/common.sh
source scripts/lib/common.sh
IRI_STATE_DIR=$(realpath -m -- "${IRI_STATE_DIR:-$PWD/.state}")
export IRI_STATE_DIR
readonly run_dir=$IRI_STATE_DIR/run
readonly runtimes=(machine volume bucket)

# step NAME CMD...: one long step, announced, then reported with its duration.
step() {
  local name=$1 started=$SECONDS
  shift
  log "$name ..."
  "$@"
  log "$name: done in $((SECONDS - started)) s"
}

stop_providers() {
  local runtime pid_file pid
  for runtime in "${runtimes[@]}"; do
    pid_file=$run_dir/$runtime-provider.pid
    # Only a process we started: its command line must name our app.
    if pid=$(pid_from_file "$pid_file" node "apps/$runtime-provider/dist/main.js"); then
      kill -TERM "$pid"
      wait_exit "$runtime-provider" "$pid" 20
    fi
    rm -f -- "$pid_file"
  done
}

# Guests outlive their provider (that is how it upgrades without stopping them); `down` ends them as a host
# shutdown would, and the provider boots them again on its next start. Only QEMUs that the pid files under
# the demo's machine provider name, whose command line carries that very pid file.
stop_guests() {
  local pid_file pid
  for pid_file in "$IRI_STATE_DIR"/machine-provider/backend/qemu/machines/*/qemu.pid; do
    [[ -f $pid_file ]] || continue
    if pid=$(pid_from_file "$pid_file" -pidfile "$pid_file"); then
      kill -TERM "$pid"
      wait_exit "guest ${pid_file%/qemu.pid}" "$pid" 20
    fi
  done
}

if [[ ${1:-} == down ]]; then
  stop_providers
  stop_guests
  bash scripts/services.sh down
  exit 0
fi

step "system packages" bash scripts/install-deps.sh
# The providers, the build and the demo client run on the pinned Node.
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
use_pinned_node
step "node packages" bash scripts/pnpm-install.sh
step "build" env TURBO_TELEMETRY_DISABLED=1 pnpm --silent run build
step "MinIO binary" bash scripts/minio.sh build
step "services (Ceph, radosgw, registry, MinIO)" bash scripts/services.sh up

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
  # The volume provider on the loopback Ceph (pool rbd, as its default classes name it). RBD images are thin,
  # like the OSD's file: offering twice the pool lets a developer create ten 10 GiB volumes on the 64 GiB OSD.
  volume)
    printf '%s\n' --backend ceph --ceph-monitors "$CEPH_MON_HOST" --ceph-admin-key-file "$CEPH_ADMIN_KEYRING" \
      --overprovisioning-percent 200
    ;;
  # The bucket provider on the loopback radosgw.
  bucket)
    printf '%s\n' --backend rgw --rgw-endpoint "$RGW_ENDPOINT" \
      --rgw-access-key-file "$run_dir/rgw-access-key" --rgw-secret-key-file "$run_dir/rgw-secret-key"
    ;;
  esac
}
for runtime in "${runtimes[@]}"; do
  mapfile -t args < <(backend_args "$runtime")
  nohup node "apps/$runtime-provider/dist/main.js" \
    --socket-path "$run_dir/iri-${runtime}provider.sock" \
    --state-dir "$IRI_STATE_DIR/$runtime-provider" \
    "${args[@]}" \
    >>"$run_dir/$runtime-provider.log" 2>&1 &
  echo $! >"$run_dir/$runtime-provider.pid"
done

node scripts/demo.mjs "$run_dir" "$REGISTRY_ADDR"
cat <<TXT

The providers and the workspace keep running (logs in $run_dir/*.log). Talk to them, e.g.:
  node packages/conformance/dist/cli.js --runtime machine --address unix://$run_dir/iri-machineprovider.sock
Stop everything with: bash scripts/demo.sh down   (the next bash scripts/demo.sh brings the workspace back)
TXT
