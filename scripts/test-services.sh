#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Smoke test of the loopback services on this machine: starts a fresh Ceph cluster (mon, mgr, OSD, radosgw),
# a registry and MinIO in a scratch state dir on free ports (so services already running stay untouched), proves
# each does what the providers need, stops them and checks that nothing it started is left.
# One `PASS name` / `FAIL name: why` line per check, `N passed, M failed` last; exits non-zero on failure.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
readonly SCRIPTS=$REPO_ROOT/scripts PYTHON=/usr/bin/python3
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=test-services
# shellcheck source=lib/common.sh
source "$SCRIPTS/lib/common.sh"

mkdir -p "$REPO_ROOT/.state"
WORK=$(mktemp -d "$REPO_ROOT/.state/smoke.XXXXXX")
readonly WORK CEPH_STATE=$WORK/ceph REGISTRY_STATE=$WORK/registry MINIO_STATE=$WORK/minio

passed=0
failed=0
pass() {
	passed=$((passed + 1))
	echo "PASS $1"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL $1: $2"
}

# check NAME CMD...: one check, run in a subshell with errexit in force (so every failing step fails it);
# its output goes to a log whose last line is the reason on failure. Sets LAST_OK. Never call it as a
# condition (`if check`, `check && ...`): bash ignores errexit inside conditions, even in subshells.
LAST_OK=0
check() {
	local name=$1 log=$WORK/$1.log rc
	shift
	set +e
	(
		set -e
		"$@"
	) >"$log" 2>&1
	rc=$?
	set -e
	if ((rc == 0)); then
		LAST_OK=1
		pass "$name"
	else
		LAST_OK=0
		local reason
		reason=$(tail -n 1 "$log")
		fail "$name" "${reason:-exit status $rc} (log: $log)"
	fi
}
ok() { ((LAST_OK)); }

# write_env SCRIPT STATE FILE NAME...: saves SCRIPT's `env` output to FILE and checks that it is plain
# `export NAME=VALUE` lines naming every NAME.
write_env() {
	local script=$1 state=$2 file=$3 line name
	shift 3
	bash "$SCRIPTS/$script" env "$state" >"$file"
	while IFS= read -r line; do
		[[ $line =~ ^export\ [A-Z_][A-Z0-9_]*=[A-Za-z0-9/._:+=-]+$ ]] || {
			echo "unexpected env line: $line"
			return 1
		}
	done <"$file"
	for name in "$@"; do
		grep -q "^export $name=" "$file" || {
			echo "$script env does not set $name"
			return 1
		}
	done
}

# Exports the variables of a file written by write_env, without evaluating it.
load_env() {
	local line
	while IFS= read -r line; do
		line=${line#export }
		export "${line%%=*}=${line#*=}"
	done <"$1"
}

# Pids named by the pid files under WORK, i.e. every daemon this test started.
started_pids() {
	local pid_file pid
	for pid_file in "$CEPH_STATE"/run/*.pid "$REGISTRY_STATE"/*.pid "$MINIO_STATE"/*.pid; do
		[[ -f $pid_file ]] || continue
		read -r pid <"$pid_file" && echo "$pid"
	done
}

stop_services() {
	local rc=0
	bash "$SCRIPTS/minio.sh" stop "$MINIO_STATE" || rc=1
	bash "$SCRIPTS/registry.sh" stop "$REGISTRY_STATE" || rc=1
	bash "$SCRIPTS/ceph.sh" stop "$CEPH_STATE" || rc=1
	return "$rc"
}

cleanup_on_exit() {
	# Whatever happened above, nothing of ours keeps running.
	stop_services >/dev/null 2>&1 || true
}
trap cleanup_on_exit EXIT

# --- Ceph -------------------------------------------------------------------------------------------------

ceph_cli() { timeout 60 ceph --conf "$CEPH_CONF" "$@"; }

rbd_consumer_opens_image() {
	ceph_cli auth get-or-create client.smoke-consumer mon 'profile rbd' osd 'profile rbd pool=rbd' \
		mgr 'profile rbd pool=rbd' >/dev/null
	(umask 077 && ceph_cli auth print-key client.smoke-consumer >"$WORK/consumer.key")
	timeout 60 rbd --conf "$CEPH_CONF" create rbd/smoke-image --size 64M
	# Only what a machine provider gets from a volume: monitors, user id and key; no config file.
	local -a consumer=(timeout 60 rbd --conf /dev/null -m "$CEPH_MON_HOST" --id smoke-consumer
		--keyfile "$WORK/consumer.key")
	"${consumer[@]}" info rbd/smoke-image --format json | jq -e '.size == 67108864' >/dev/null
	"${consumer[@]}" bench --io-type write --io-size 4096 --io-total 65536 rbd/smoke-image >/dev/null
}

rbd_consumer_denied_other_pool() {
	ceph_cli osd pool create smoke-other >/dev/null 2>&1
	timeout 60 rbd --conf "$CEPH_CONF" pool init smoke-other
	timeout 60 rbd --conf "$CEPH_CONF" create smoke-other/secret-image --size 16M
	if timeout 60 rbd --conf /dev/null -m "$CEPH_MON_HOST" --id smoke-consumer --keyfile "$WORK/consumer.key" \
		info smoke-other/secret-image; then
		echo "the consumer opened an image in a pool outside its caps"
		return 1
	fi
}

# --- Registry ---------------------------------------------------------------------------------------------

# Writes an OCI layout holding a tiny IronCore image (IronCore config and rootfs media types) tagged v1.
make_oci_layout() {
	local dir=$1 blobs=$1/blobs/sha256 config_digest rootfs_digest manifest_digest
	mkdir -p "$blobs"
	head -c 262144 /dev/urandom >"$WORK/rootfs.raw"
	printf '{"commandLine":"console=ttyS0"}' >"$WORK/config.json"
	rootfs_digest=$(sha256sum "$WORK/rootfs.raw") rootfs_digest=${rootfs_digest%% *}
	config_digest=$(sha256sum "$WORK/config.json") config_digest=${config_digest%% *}
	cp "$WORK/rootfs.raw" "$blobs/$rootfs_digest"
	cp "$WORK/config.json" "$blobs/$config_digest"
	jq -cn --arg c "sha256:$config_digest" --argjson cs "$(stat -c %s "$WORK/config.json")" \
		--arg r "sha256:$rootfs_digest" --argjson rs "$(stat -c %s "$WORK/rootfs.raw")" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		  config: {mediaType: "application/vnd.ironcore.image.config.v1+json", digest: $c, size: $cs},
		  layers: [{mediaType: "application/vnd.ironcore.image.rootfs", digest: $r, size: $rs}]}' \
		>"$WORK/manifest.json"
	manifest_digest=$(sha256sum "$WORK/manifest.json") manifest_digest=${manifest_digest%% *}
	cp "$WORK/manifest.json" "$blobs/$manifest_digest"
	jq -cn --arg m "sha256:$manifest_digest" --argjson ms "$(stat -c %s "$WORK/manifest.json")" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m,
		  size: $ms, annotations: {"org.opencontainers.image.ref.name": "v1"}}]}' >"$dir/index.json"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	echo "sha256:$manifest_digest" >"$WORK/manifest.digest"
}

skopeo_cmd() {
	# Our own policy: the machine's /etc/containers/policy.json may be stricter or missing.
	timeout 60 skopeo --policy "$WORK/policy.json" "$@"
}

registry_push_pull() {
	printf '{"default":[{"type":"insecureAcceptAnything"}]}' >"$WORK/policy.json"
	make_oci_layout "$WORK/oci-src"
	local ref=docker://$REGISTRY_ADDR/smoke/ironcore-image:v1 pushed
	skopeo_cmd copy --dest-tls-verify=false "oci:$WORK/oci-src:v1" "$ref"
	pushed=$(skopeo_cmd inspect --raw --tls-verify=false "$ref" | sha256sum)
	[[ "sha256:${pushed%% *}" == "$(<"$WORK/manifest.digest")" ]] || {
		echo "the registry serves a manifest with another digest"
		return 1
	}
	skopeo_cmd copy --src-tls-verify=false "$ref" "oci:$WORK/oci-pulled:v1"
	local rootfs_digest
	rootfs_digest=$(sha256sum "$WORK/rootfs.raw") rootfs_digest=${rootfs_digest%% *}
	cmp "$WORK/rootfs.raw" "$WORK/oci-pulled/blobs/sha256/$rootfs_digest"
}

# --- MinIO ------------------------------------------------------------------------------------------------

minio_root_file_private() {
	[[ $(stat -c %a "$MINIO_STATE/root.json") == 600 ]] || {
		echo "root credentials file is not mode 0600"
		return 1
	}
	# The root password is not on any process's command line.
	local pid
	pid=$(<"$MINIO_STATE/minio.pid")
	if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$MINIO_ROOT_PASSWORD"; then
		echo "the root password is in minio's argv"
		return 1
	fi
}

minio_answers_signed_s3() {
	# Unsigned: refused; the server is up and enforcing auth.
	[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$MINIO_ENDPOINT/") == 403 ]]
	curl -sf --max-time 5 "$MINIO_ENDPOINT/minio/health/live" >/dev/null
}

# --- Run --------------------------------------------------------------------------------------------------

export CEPH_MON_PORT RGW_PORT REGISTRY_PORT
CEPH_MON_PORT=$(free_port "${CEPH_MON_PORT:-3300}")
RGW_PORT=$(free_port "${RGW_PORT:-7480}")
REGISTRY_PORT=$(free_port "${REGISTRY_PORT:-5000}")
export MINIO_PORT
MINIO_PORT=$(free_port "${MINIO_PORT:-9000}")
while port_in_use $((MINIO_PORT + 1)); do MINIO_PORT=$(free_port $((MINIO_PORT + 2))); done
echo "state in $WORK; mon :$CEPH_MON_PORT, rgw :$RGW_PORT, registry :$REGISTRY_PORT, minio :$MINIO_PORT"

started=$SECONDS
check ceph-start bash "$SCRIPTS/ceph.sh" start "$CEPH_STATE"
if ok; then
	echo "    ceph started in $((SECONDS - started)) s"
	check ceph-env write_env ceph.sh "$CEPH_STATE" "$WORK/ceph.env" CEPH_CONF CEPH_MON_HOST CEPH_ADMIN_KEYRING \
		RGW_ENDPOINT RGW_ADMIN_ACCESS_KEY RGW_ADMIN_SECRET_KEY
fi
if ok; then
	load_env "$WORK/ceph.env"
	check rbd-consumer-opens-image rbd_consumer_opens_image
	if ok; then
		check rbd-consumer-denied-other-pool rbd_consumer_denied_other_pool
	fi
	# The Python check prints its own PASS/FAIL lines and summary; its checks are counted here.
	s3_output=$("$PYTHON" "$REPO_ROOT/tests/python/rgw_s3_check.py" 2>&1) || true
	while IFS= read -r line; do
		case $line in
		"PASS "*) pass "${line#PASS }" ;;
		"FAIL "*)
			failed=$((failed + 1))
			echo "$line"
			;;
		esac
	done <<<"$s3_output"
	grep -q '^[0-9]* passed, 0 failed$' <<<"$s3_output" || fail rgw-s3-check "$(tail -n 3 <<<"$s3_output")"
fi

started=$SECONDS
check registry-start bash "$SCRIPTS/registry.sh" start "$REGISTRY_STATE"
if ok; then
	echo "    registry started in $((SECONDS - started)) s"
	check registry-env write_env registry.sh "$REGISTRY_STATE" "$WORK/registry.env" REGISTRY_ADDR
fi
if ok; then
	load_env "$WORK/registry.env"
	check registry-push-pull-oci-artifact registry_push_pull
fi

started=$SECONDS
check minio-start bash "$SCRIPTS/minio.sh" start "$MINIO_STATE"
if ok; then
	echo "    minio started in $((SECONDS - started)) s"
	check minio-env write_env minio.sh "$MINIO_STATE" "$WORK/minio.env" MINIO_ENDPOINT MINIO_ROOT_USER \
		MINIO_ROOT_PASSWORD
fi
if ok; then
	load_env "$WORK/minio.env"
	check minio-root-credentials-private minio_root_file_private
	check minio-answers-signed-s3-only minio_answers_signed_s3
fi

mapfile -t pids < <(started_pids)
check services-stop stop_services
leftover=()
for pid in "${pids[@]}"; do
	alive "$pid" && leftover+=("$pid")
done
# Also anything else that still names the scratch dir (a stray CLI call, a daemon whose pid file was lost).
mapfile -t -O "${#leftover[@]}" leftover < <(pgrep -f -- "$WORK" || true)
if ((${#pids[@]} == 0)); then
	fail no-process-left "no pid files found under $WORK, so nothing could be checked"
elif ((${#leftover[@]} == 0)); then
	pass no-process-left
else
	fail no-process-left "started pids: ${pids[*]}; still running: ${leftover[*]}"
fi

if ((failed == 0)); then
	rm -rf -- "$WORK"
else
	echo "state and logs kept in $WORK"
fi
echo "$passed passed, $failed failed"
((failed == 0))
