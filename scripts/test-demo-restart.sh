#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The local cloud survives a restart: runs `demo.sh`, writes a pattern into the workspace volume's RBD image,
# `demo.sh down`, `demo.sh` again, then checks that the same machine, volume and bucket came back (same ids,
# machine Running again, bucket Available) and that the volume still holds the pattern. Everything runs in a
# scratch IRI_STATE_DIR on free ports, so the shared services and a developer's demo stay untouched; the
# scratch dir is removed unless the test fails.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=demo-restart
# shellcheck source=lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

mkdir -p "$REPO_ROOT/.state"
IRI_STATE_DIR=$(mktemp -d "$REPO_ROOT/.state/demo-restart.XXXXXX")
# QEMU's unprivileged user must pass through to the machine provider's state (enter, not list).
chmod 0711 "$IRI_STATE_DIR"
export IRI_STATE_DIR
export CEPH_MON_PORT RGW_PORT REGISTRY_PORT MINIO_PORT IRI_MACHINE_PROVIDER_OPS_ADDRESS \
	IRI_MACHINE_PROVIDER_STREAMING_ADDRESS IRI_VOLUME_PROVIDER_OPS_ADDRESS IRI_BUCKET_PROVIDER_OPS_ADDRESS
CEPH_MON_PORT=$(free_port 13300)
RGW_PORT=$(free_port 17480)
REGISTRY_PORT=$(free_port 15000)
MINIO_PORT=$(free_port 19000)
while port_in_use $((MINIO_PORT + 1)); do MINIO_PORT=$(free_port $((MINIO_PORT + 2))); done
IRI_MACHINE_PROVIDER_OPS_ADDRESS=127.0.0.1:$(free_port 19441)
IRI_VOLUME_PROVIDER_OPS_ADDRESS=127.0.0.1:$(free_port 19451)
IRI_BUCKET_PROVIDER_OPS_ADDRESS=127.0.0.1:$(free_port 19461)
IRI_MACHINE_PROVIDER_STREAMING_ADDRESS=127.0.0.1:$(free_port 30251)
log "scratch state $IRI_STATE_DIR; mon :$CEPH_MON_PORT rgw :$RGW_PORT registry :$REGISTRY_PORT minio :$MINIO_PORT"

passed=0
cleanup() {
	bash "$REPO_ROOT/scripts/demo.sh" down >>"$IRI_STATE_DIR/down.log" 2>&1 || true
	if ((passed)); then rm -rf -- "$IRI_STATE_DIR"; else log "kept $IRI_STATE_DIR for inspection"; fi
}
trap cleanup EXIT

run_demo() {
	local started=$SECONDS
	bash "$REPO_ROOT/scripts/demo.sh" >"$IRI_STATE_DIR/demo-$1.log" 2>&1 ||
		die "demo.sh ($1 run) failed: $(tail -n 20 "$IRI_STATE_DIR/demo-$1.log")"
	log "demo.sh ($1 run) took $((SECONDS - started)) s; its steps:"
	grep -E '^\[demo +[0-9]+s\] .*: done in|^  [a-z].*: [0-9.]+ s$' "$IRI_STATE_DIR/demo-$1.log" >&2 || true
	cp -- "$IRI_STATE_DIR/run/workspace.json" "$IRI_STATE_DIR/workspace-$1.json"
}

# qemu-io on the volume's RBD image with the cluster's admin config; prints its output.
rbd_io() {
	local image
	image=$(jq -r .rbdImage "$IRI_STATE_DIR/workspace-first.json")
	[[ $image =~ ^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$ ]] || die "unexpected RBD image name: $image"
	qemu-io -f raw "rbd:$image:conf=$IRI_STATE_DIR/ceph/ceph.conf" -c "$1"
}

# A pattern byte of this run at the start of the volume and 5 GiB in, so a volume recreated empty fails.
pattern=$((RANDOM % 200 + 16))
run_demo first
for offset in 0 5G; do
	out=$(rbd_io "write -P $pattern $offset 1M")
	[[ $out == *"wrote 1048576/1048576 bytes"* ]] || die "writing the pattern at $offset failed: $out"
done
log "wrote pattern $pattern into the workspace volume"

bash "$REPO_ROOT/scripts/demo.sh" down >"$IRI_STATE_DIR/down.log" 2>&1 || die "demo.sh down failed: $(tail "$IRI_STATE_DIR/down.log")"
if bash "$REPO_ROOT/scripts/services.sh" status >/dev/null 2>&1; then die "services still running after down"; fi
run_demo second

cmp -s "$IRI_STATE_DIR/workspace-first.json" "$IRI_STATE_DIR/workspace-second.json" ||
	die "the workspace changed: $(diff "$IRI_STATE_DIR/workspace-first.json" "$IRI_STATE_DIR/workspace-second.json")"
for offset in 0 5G; do
	out=$(rbd_io "read -P $pattern $offset 1M")
	[[ $out == *"read 1048576/1048576 bytes"* && $out != *"Pattern verification failed"* ]] ||
		die "the volume lost its bytes at $offset: $out"
done
log "PASS: same machine, volume and bucket after down + up; the volume kept its bytes"
passed=1
