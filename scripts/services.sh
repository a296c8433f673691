#!/usr/bin/env bash
# Starts or stops the loopback services the providers and their tests use: Ceph + radosgw, the OCI
# registry and MinIO, each with its state dir under IRI_STATE_DIR (default <repo>/.state). Their ports come
# from CEPH_MON_PORT, RGW_PORT, REGISTRY_PORT and MINIO_PORT (see README.md): a second set beside the shared
# one needs its own IRI_STATE_DIR and ports.
#
#   scripts/services.sh up|down|status|env
set -euo pipefail
state=$(realpath -m -- "${IRI_STATE_DIR:-$(dirname "${BASH_SOURCE[0]}")/../.state}")
cd "$(dirname "${BASH_SOURCE[0]}")"

case ${1:-} in
up)
	bash ./ceph.sh start "$state/ceph"
	bash ./registry.sh start "$state/registry"
	bash ./minio.sh start "$state/minio"
	;;
down)
	# All are stopped even when one fails, and the first failure is reported.
	rc=0
	bash ./minio.sh stop "$state/minio" || rc=$?
	bash ./registry.sh stop "$state/registry" || rc=$((rc ? rc : $?))
	bash ./ceph.sh stop "$state/ceph" || rc=$((rc ? rc : $?))
	exit "$rc"
	;;
status)
	rc=0
	bash ./ceph.sh status "$state/ceph" || rc=$?
	bash ./registry.sh status "$state/registry" || rc=$((rc ? rc : $?))
	bash ./minio.sh status "$state/minio" || rc=$((rc ? rc : $?))
	exit "$rc"
	;;
env)
	bash ./ceph.sh env "$state/ceph"
	bash ./registry.sh env "$state/registry"
	bash ./minio.sh env "$state/minio"
	;;
*)
	printf 'usage: %s up|down|status|env\n' "${0##*/}" >&2
	exit 2
	;;
esac
