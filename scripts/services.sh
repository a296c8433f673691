#!/usr/bin/env bash
# Starts or stops the loopback services the providers and their tests use: Ceph + radosgw and the OCI
# registry, each with its default state dir under .state/.
#
#   scripts/services.sh up|down|status|env
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

case ${1:-} in
up)
	bash ./ceph.sh start
	bash ./registry.sh start
	;;
down)
	# Both are stopped even when the first fails, and the first failure is reported.
	rc=0
	bash ./registry.sh stop || rc=$?
	bash ./ceph.sh stop || rc=$((rc ? rc : $?))
	exit "$rc"
	;;
status)
	rc=0
	bash ./ceph.sh status || rc=$?
	bash ./registry.sh status || rc=$((rc ? rc : $?))
	exit "$rc"
	;;
env)
	bash ./ceph.sh env
	bash ./registry.sh env
	;;
*)
	printf 'usage: %s up|down|status|env\n' "${0##*/}" >&2
	exit 2
	;;
esac
