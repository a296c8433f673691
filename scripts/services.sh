#!/usr/bin/env bash
# Starts or stops the loopback services the providers and their tests use: Ceph + radosgw, the OCI
# registry and MinIO, each with its default state dir under .state/.
#
#   scripts/services.sh up|down|status|env
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

case ${1:-} in
up)
	bash ./ceph.sh start
	bash ./registry.sh start
	bash ./minio.sh start
	;;
down)
	# All are stopped even when one fails, and the first failure is reported.
	rc=0
	bash ./minio.sh stop || rc=$?
	bash ./registry.sh stop || rc=$((rc ? rc : $?))
	bash ./ceph.sh stop || rc=$((rc ? rc : $?))
	exit "$rc"
	;;
status)
	rc=0
	bash ./ceph.sh status || rc=$?
	bash ./registry.sh status || rc=$((rc ? rc : $?))
	bash ./minio.sh status || rc=$((rc ? rc : $?))
	exit "$rc"
	;;
env)
	bash ./ceph.sh env
	bash ./registry.sh env
	bash ./minio.sh env
	;;
*)
	printf 'usage: %s up|down|status|env\n' "${0##*/}" >&2
	exit 2
	;;
esac
