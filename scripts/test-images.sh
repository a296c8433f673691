#!/usr/bin/env bash
# The image test: builds the three images with scripts/images.sh, checks their sizes against a budget, pushes
# them to the loopback registry with skopeo and runs each, pulled back from there, with podman: the container
# starts, creates its socket in a mounted directory, turns healthy (/readyz), answers the conformance suite
# (which starts with Version) and stops cleanly on SIGTERM. machine runs the noop backend; volume and bucket
# their real backends on the loopback Ceph and radosgw (host networking reaches them).
# Needs the loopback services' environment (scripts/services.sh env). One PASS/FAIL line per check,
# "N passed, M failed" last; exits non-zero on a failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
use_pinned_node

# Uncompressed size budgets (MB): Node alone is ~109 MB; QEMU with its libraries and firmware and Ceph's tools
# with Python are what the other two add.
declare -A BUDGET_MB=([machine-provider]=450 [volume-provider]=350 [bucket-provider]=200)
export IRI_IMAGE_TAG=test
ARCH=$(uname -m | sed 's/^x86_64$/amd64/; s/^aarch64$/arm64/')
readonly ARCH
id=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$repo/.state"
scratch=$(mktemp -d "$repo/.state/images-test.XXXXXX") || exit 1
passed=0
failed=0
containers=()
pool=""

pass() {
	passed=$((passed + 1))
	echo "PASS $1"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL $1: $2"
}

# ceph_admin TOOL ARGS...: a Ceph tool as the loopback cluster's admin, without a config file.
ceph_admin() {
	local tool=$1
	shift
	"$tool" --conf /dev/null -m "$CEPH_MON_HOST" --id admin --keyring "$CEPH_ADMIN_KEYRING" "$@"
}

cleanup() {
	local name
	for name in "${containers[@]}"; do podman rm --force --time 5 "$name" >/dev/null 2>&1; done
	if [[ -n $pool ]]; then
		ceph_admin ceph osd pool rm "$pool" "$pool" --yes-i-really-really-mean-it >/dev/null 2>&1
		ceph_admin ceph auth del "client.iri-volume-img-$id" >/dev/null 2>&1
	fi
	# The scratch dir holds files the containers' user (65532) wrote; it is ours, so all of it goes.
	if ((failed == 0)); then rm -rf "$scratch"; else echo "kept $scratch for inspection"; fi
}
trap cleanup EXIT

for var in CEPH_MON_HOST CEPH_ADMIN_KEYRING RGW_ENDPOINT RGW_ADMIN_ACCESS_KEY RGW_ADMIN_SECRET_KEY REGISTRY_ADDR; do
	if [[ -z ${!var:-} ]]; then
		fail environment "$var is not set: source <(bash scripts/services.sh env)"
		echo "$passed passed, $failed failed"
		exit 1
	fi
done

start=$SECONDS
if bash scripts/images.sh build >"$scratch/build.log" 2>&1; then
	pass "images built ($((SECONDS - start)) s)"
else
	fail "images built" "see below"
	tail -n 40 "$scratch/build.log"
	echo "$passed passed, $failed failed"
	exit 1
fi

mapfile -t apps < <(bash scripts/images.sh apps)
for app in "${apps[@]}"; do
	bytes=$(podman image inspect --format '{{.Size}}' "$(bash scripts/images.sh ref "$app" "$ARCH")")
	mb=$((bytes / 1000000))
	if ((mb <= BUDGET_MB[$app])); then
		pass "$app image is $mb MB (budget ${BUDGET_MB[$app]} MB)"
	else
		fail "$app image size" "$mb MB, over its budget of ${BUDGET_MB[$app]} MB"
	fi
done

registry=$REGISTRY_ADDR/iri-images-test-$id
if bash scripts/images.sh push "$registry" >"$scratch/push.log" 2>&1; then
	pass "pushed to the loopback registry"
else
	fail "pushed to the loopback registry" "$(tail -n 5 "$scratch/push.log")"
fi

free_port() {
	node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# run_app APP RUNTIME USER ARGS...: starts the app's image from the registry with its socket and state dirs
# mounted from the scratch dir, waits for the socket and a healthy check, runs the conformance suite against it,
# then stops it with SIGTERM and expects a clean exit.
run_app() {
	local app=$1 runtime=$2 user=$3 dir name socket deadline port
	shift 3
	dir=$scratch/$app
	name=iri-images-test-$id-$runtime
	socket=$dir/run/iri-${runtime}provider.sock
	mkdir -p "$dir/run" "$dir/state"
	chown "$user:$user" "$dir/run" "$dir/state"
	port=$(free_port)
	containers+=("$name")
	if ! podman run --detach --name "$name" --tls-verify=false --network host "${OCI[@]}" \
		--volume "$dir/run:/run/iri" --volume "$dir/state:/var/lib/iri-$runtime-provider" \
		--volume "$dir/etc:/etc/iri:ro" \
		--env "IRI_${runtime^^}_PROVIDER_OPS_ADDRESS=127.0.0.1:$port" \
		"$registry/$app:test" "$@" >"$dir/podman.log" 2>&1; then
		fail "$app container starts" "$(tail -n 5 "$dir/podman.log")"
		return
	fi
	deadline=$((SECONDS + 120))
	until [[ -S $socket ]] || ((SECONDS >= deadline)); do
		[[ $(podman inspect --format '{{.State.Running}}' "$name" 2>/dev/null) == true ]] || break
		sleep 0.5
	done
	if [[ -S $socket ]]; then
		pass "$app container creates its socket in the mounted directory"
	else
		fail "$app container creates its socket" "$(podman logs --tail 20 "$name" 2>&1)"
		return
	fi
	local healthy=""
	deadline=$((SECONDS + 120))
	until [[ -n $healthy ]] || ((SECONDS >= deadline)); do
		podman healthcheck run "$name" >/dev/null 2>&1 && healthy=1 || sleep 1
	done
	if [[ -n $healthy ]]; then pass "$app healthcheck (/readyz) passes"; else fail "$app healthcheck" "never healthy"; fi
	if node packages/conformance/dist/cli.js --runtime "$runtime" --address "unix://$socket" --timeout-ms 180000 \
		>"$dir/conformance.log" 2>&1; then
		pass "$app answers Version and the conformance suite ($(tail -n 1 "$dir/conformance.log"))"
	else
		fail "$app conformance suite" "$(grep -E '^FAIL' "$dir/conformance.log" | head -n 10; tail -n 1 "$dir/conformance.log")"
		podman logs --tail 30 "$name" >"$dir/container.log" 2>&1
	fi
	podman stop --time 30 "$name" >/dev/null 2>&1
	local code
	code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
	if [[ $code == 0 ]]; then
		pass "$app stops cleanly on SIGTERM"
	else
		fail "$app stops cleanly on SIGTERM" "exit code $code"
	fi
}

mapfile -t OCI < <(bash scripts/images.sh oci-args)

# machine: the noop backend (QEMU itself is exercised by the machine backend's own suites).
mkdir -p "$scratch/machine-provider/etc"
run_app machine-provider machine 0 --backend noop

# machine: what QEMU's confinement probes and runs at start (packages/qemu/src/confinement) is in the image:
# QEMU's user for getent, setpriv to drop to it, and QEMU with seccomp. The image has no shell: each check runs
# one of its programs and looks at the output here. The cgroups depend on the host and on how the container is
# run, not on the image.
machine_image_says() {
	podman run --rm --tls-verify=false --network none --no-healthcheck "${OCI[@]}" --entrypoint "$1" \
		"$registry/machine-provider:test" "${@:2}"
}
# expect CHECK PATTERN OUTPUT: PASS when OUTPUT matches the glob PATTERN.
expect() {
	# shellcheck disable=SC2053 # $2 is a glob on purpose
	if [[ $3 == $2 ]]; then pass "$1"; else fail "$1" "got: $(head -c 300 <<<"$3")"; fi
}
expect "machine image: getent knows QEMU's user iri-qemu (65531)" "iri-qemu:x:65531:65531:*" \
	"$(machine_image_says /usr/bin/getent passwd iri-qemu)"
expect "machine image: getent knows QEMU's group iri-qemu (65531)" "iri-qemu:x:65531:*" \
	"$(machine_image_says /usr/bin/getent group iri-qemu)"
drop_to_qemu_user=(/usr/bin/setpriv --reuid=65531 --regid=65531 --clear-groups --no-new-privs --)
expect "machine image: setpriv drops to iri-qemu" "65531:65531" \
	"$(machine_image_says "${drop_to_qemu_user[@]}" /usr/local/bin/node -p 'process.getuid() + ":" + process.getgid()')"
expect "machine image: QEMU runs as iri-qemu and offers its seccomp sandbox" "*-sandbox on*" \
	"$(machine_image_says "${drop_to_qemu_user[@]}" /usr/bin/qemu-system-x86_64 -help)"

# machine: the qemu backend, run as documented (the host's cgroup hierarchy mounted), opens all three
# confinement mechanisms; its cgroup parent is this test's own, removed (it is empty) afterwards.
confined_machine_provider() {
	local dir=$scratch/machine-confined name=iri-images-test-$id-confined port metrics="" deadline
	local parent=iri-images-test-$id
	mkdir -p "$dir/run" "$dir/state"
	port=$(free_port)
	containers+=("$name")
	podman run --detach --name "$name" --tls-verify=false --network host --no-healthcheck "${OCI[@]}" \
		--volume /sys/fs/cgroup:/sys/fs/cgroup --volume "$dir/run:/run/iri" \
		--volume "$dir/state:/var/lib/iri-machine-provider" \
		--env "IRI_MACHINE_PROVIDER_OPS_ADDRESS=127.0.0.1:$port" \
		"$registry/machine-provider:test" --backend qemu --qemu-cgroup-parent "$parent" >"$dir/podman.log" 2>&1
	deadline=$((SECONDS + 120))
	until [[ $metrics == *'mechanism="cgroup"'* ]] || ((SECONDS >= deadline)); do
		[[ $(podman inspect --format '{{.State.Running}}' "$name" 2>/dev/null) == true ]] || break
		metrics=$(curl -sf "http://127.0.0.1:$port/metrics" | grep '^iri_qemu_confinement') || sleep 1
	done
	if [[ $(grep -c '} 1$' <<<"$metrics") == 3 ]]; then
		pass "machine image: the qemu backend runs QEMU as iri-qemu, sandboxed, in cgroups of its own"
	else
		fail "machine image: QEMU confinement" "${metrics:-$(podman logs --tail 5 "$name" 2>&1)}"
	fi
	podman rm --force --time 10 "$name" >/dev/null 2>&1
	local group
	for group in "/sys/fs/cgroup/$parent" /sys/fs/cgroup/{cpu,memory,pids}/"$parent"; do
		[[ ! -d $group ]] || rmdir -- "$group"
	done
}
confined_machine_provider

# volume: a pool of its own on the loopback Ceph; the admin key as a file readable only by the container's user.
pool=iri-img-$id
ceph_admin ceph osd pool create "$pool" 8 >/dev/null 2>&1 && ceph_admin rbd pool init "$pool" ||
	fail "volume test pool" "could not create $pool"
etc=$scratch/volume-provider/etc
mkdir -p "$etc"
install -m 0600 -o 65532 -g 65532 "$CEPH_ADMIN_KEYRING" "$etc/ceph-admin.keyring"
printf '[{"name":"standard","capabilities":{"tps":104857600,"iops":3000},"settings":{"pool":"%s"}},{"name":"fast","capabilities":{"tps":262144000,"iops":15000},"settings":{"pool":"%s"}}]\n' \
	"$pool" "$pool" >"$etc/classes.json"
chmod 0644 "$etc/classes.json"
# The shared test cluster's OSD is small; the suite creates many thin 1 GiB volumes.
run_app volume-provider volume 65532 --backend ceph --class-file /etc/iri/classes.json \
	--ceph-monitors "$CEPH_MON_HOST" --ceph-admin-key-file /etc/iri/ceph-admin.keyring --ceph-pool "$pool" \
	--ceph-consumer-id "iri-volume-img-$id" --overprovisioning-percent 10000

# bucket: radosgw, the admin keys as files.
etc=$scratch/bucket-provider/etc
mkdir -p "$etc"
(
	umask 077
	printf '%s' "$RGW_ADMIN_ACCESS_KEY" >"$etc/rgw-access-key"
	printf '%s' "$RGW_ADMIN_SECRET_KEY" >"$etc/rgw-secret-key"
)
chown 65532:65532 "$etc/rgw-access-key" "$etc/rgw-secret-key"
run_app bucket-provider bucket 65532 --backend rgw --rgw-endpoint "$RGW_ENDPOINT" \
	--rgw-access-key-file /etc/iri/rgw-access-key --rgw-secret-key-file /etc/iri/rgw-secret-key

# The pushed test images are removed from the shared registry again.
for app in "${apps[@]}"; do
	skopeo delete --tls-verify=false "docker://$registry/$app:test" >/dev/null 2>&1 || true
done
echo "$passed passed, $failed failed"
((failed == 0))
