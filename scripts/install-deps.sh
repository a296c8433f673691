#!/usr/bin/env bash
# Installs the Debian packages, the pinned Node and the pnpm version the project needs. Idempotent: when
# everything is present it only queries dpkg and looks for the pinned Node, so it is cheap at the start of
# every CI run.
#   install-deps.sh          everything: the services, the backends, the test peers and the image tools
#   install-deps.sh images   only what building the container images needs (the images workflow)
set -euo pipefail

# Building the container images (scripts/images.sh): buildah builds, skopeo pushes, podman runs them (the image
# test), runc is the OCI runtime (crun refuses hosts whose cgroups are in hybrid mode), mmdebstrap makes the
# Debian base; umoci and uidmap for rootless use. The workspace build before it compiles better-sqlite3 (g++,
# make, python3), and the pinned Node is fetched with npm (Debian's, where no other is installed).
IMAGE_PACKAGES=(buildah podman skopeo runc crun umoci uidmap mmdebstrap g++ make python3 git ca-certificates)
command -v npm >/dev/null || IMAGE_PACKAGES+=(npm)
# Building images for another architecture runs its build steps under emulation.
readonly FOREIGN_ARCH_PACKAGES=(qemu-user-static binfmt-support)

PACKAGES=(
	# volume backend + bucket backend (radosgw) + loopback cluster for tests
	ceph-mon ceph-mgr ceph-osd ceph-common radosgw
	# machine backend; qemu-block-extra carries the rbd block driver, ovmf the UEFI firmware that disk
	# images booted from a volume expect (both only recommended by qemu-system-x86)
	qemu-system-x86 qemu-utils qemu-block-extra ovmf
	# the machine backend's test guest (packages/qemu/scripts/build-test-guest.sh): busybox for its initramfs,
	# cpio to pack it (the kernel comes from `apt-get download`)
	busybox-static cpio
	# OCI registry for image tests, and a client to push/pull with
	docker-registry skopeo
	# Python test peers (gRPC client, S3 checks); run them with /usr/bin/python3
	python3-grpcio python3-protobuf python3-boto3
	# used by scripts/*.sh
	jq curl procps iproute2
	"${IMAGE_PACKAGES[@]}"
)
if [[ ${1:-} == images ]]; then
	PACKAGES=("${IMAGE_PACKAGES[@]}" "${FOREIGN_ARCH_PACKAGES[@]}")
fi
readonly PACKAGES

log() { printf '[install-deps] %s\n' "$*" >&2; }

missing_packages() {
	local pkg status
	for pkg in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[[ $status == installed ]] || printf '%s\n' "$pkg"
	done
}

# Debian packages start their daemons on install (docker-registry would take :5000, the port our own
# registry uses). A policy-rc.d that answers 101 tells invoke-rc.d and deb-systemd-invoke not to start
# anything. An existing policy is left alone; ours is removed again on exit.
POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=0
block_service_starts() {
	if [[ ! -e $POLICY ]]; then
		printf '#!/bin/sh\n# installed temporarily by iri-providers scripts/install-deps.sh\nexit 101\n' >"$POLICY"
		chmod 0755 "$POLICY"
		OWN_POLICY=1
	fi
}
restore_service_policy() {
	if ((OWN_POLICY)); then
		rm -f "$POLICY"
	fi
}

install_packages() {
	local -a missing
	mapfile -t missing < <(missing_packages)
	if ((${#missing[@]} == 0)); then
		log "Debian packages: all ${#PACKAGES[@]} present"
		return
	fi
	log "installing: ${missing[*]}"
	block_service_starts
	trap restore_service_policy EXIT
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	# On a host that boots with systemd, a unit enabled by a package we just installed would start at the
	# next boot and take the registry port; we installed it, so disabling it touches nothing of anyone else.
	if pidof systemd >/dev/null && [[ " ${missing[*]} " == *" docker-registry "* ]]; then
		systemctl disable docker-registry.service >/dev/null 2>&1 || true
	fi
	restore_service_policy
	trap - EXIT
}

# The pinned Node and its pnpm (scripts/lib/node.sh), beside the system's Node, which stays as it is.
ensure_node() {
	# shellcheck source=lib/node.sh
	source "$(dirname "${BASH_SOURCE[0]}")/lib/node.sh"
	ensure_pinned_node
	log "Node $IRI_NODE_VERSION and pnpm $IRI_PNPM_VERSION present in $IRI_NODE_DIR"
}

# The MinIO test peer (bucket backend tests) is built from the Go module proxy once and reused.
ensure_minio() {
	bash "$(dirname "${BASH_SOURCE[0]}")/minio.sh" build
	log "minio present"
}

# The unprivileged user every QEMU of the machine provider runs as (--qemu-user); a system account without a
# home or login shell. Created once; an existing one is left as it is.
ensure_qemu_user() {
	if getent passwd iri-qemu >/dev/null; then
		log "user iri-qemu present"
		return
	fi
	useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin iri-qemu
	log "user iri-qemu created"
}

# QEMU (as iri-qemu) opens the taps of the bridge NIC plugin through /dev/net/tun; udev gives it 0666 (a tap is
# usable only by the user it was created for), some containers leave it 0600.
ensure_tun_mode() {
	if [[ -c /dev/net/tun && $(stat -c %a /dev/net/tun) != 666 ]]; then
		chmod 0666 /dev/net/tun
		log "/dev/net/tun made 0666 as udev does"
	fi
}

install_packages
ensure_node
[[ ${1:-} == images ]] || ensure_minio
ensure_qemu_user
ensure_tun_mode
