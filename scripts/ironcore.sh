#!/usr/bin/env bash
# IronCore's control plane and poollets (the providers' real consumers), built from the Go module proxy at
# pinned versions into a cache outside the repository, and run on loopback against the providers' sockets.
#
#   scripts/ironcore.sh build        build what is missing from the cache (idempotent; reuses the cache)
#   scripts/ironcore.sh env          print shell exports naming the cached binaries (no build)
#   scripts/ironcore.sh bin NAME     print the path of one cached binary (fails when it is not built)
#   scripts/ironcore.sh up STATE_DIR     start etcd, kube-apiserver, the IronCore apiserver (aggregated) and
#                                        controller manager, then the three poollets against the sockets in
#                                        IRI_{MACHINE,VOLUME,BUCKET}_SOCKET; prints the kubeconfig path
#   scripts/ironcore.sh down STATE_DIR   stop what `up` started there (by pid file and binary, nothing else)
#
# The cache is keyed by every pinned version, so a version bump builds into a fresh directory and never mixes
# binaries of two releases. The build runs at low priority (nice) because the machine is shared.
set -euo pipefail

IRONCORE_VERSION=${IRONCORE_VERSION:-v0.5.0}
# The Kubernetes release IronCore v0.5.0 is built against (its go.mod requires k8s.io/* v0.35.x).
KUBE_VERSION=${KUBE_VERSION:-v1.35.4}
ETCD_VERSION=${ETCD_VERSION:-v3.5.36}
IRONCORE_CACHE_ROOT=${IRONCORE_CACHE_ROOT:-/var/cache/iri-providers/ironcore}
CACHE=$IRONCORE_CACHE_ROOT/$IRONCORE_VERSION-k8s$KUBE_VERSION-etcd$ETCD_VERSION
BIN=$CACHE/bin
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

IRONCORE_BINARIES=(ironcore-apiserver ironcore-controller-manager machinepoollet volumepoollet bucketpoollet)
# No kubectl: the suite and `up` talk to the API over HTTPS (curl, node), which saves building kubectl's tree.
KUBE_BINARIES=(kube-apiserver)
ALL_BINARIES=(etcd "${KUBE_BINARIES[@]}" "${IRONCORE_BINARIES[@]}")

log() { printf '[ironcore.sh] %s\n' "$*" >&2; }

have() { [[ -x $BIN/$1 ]]; }

# `go install module/cmd@version` would ask the proxy for the module's version list (for deprecations), which it
# refuses for IronCore; a wrapper module requiring exactly IronCore's release builds the same binaries (IronCore
# is its only requirement, so every dependency is at the version IronCore's go.mod names).
build_ironcore() {
	local pkgs=() name
	for name in "${IRONCORE_BINARIES[@]}"; do
		have "$name" && continue
		case $name in
		ironcore-*) pkgs+=("github.com/ironcore-dev/ironcore/cmd/$name") ;;
		*) pkgs+=("github.com/ironcore-dev/ironcore/poollet/$name/cmd/$name") ;;
		esac
	done
	((${#pkgs[@]})) || return 0
	local dir=$CACHE/src/ironcore pkg
	mkdir -p "$dir"
	(
		cd "$dir"
		printf 'module iri-providers.local/ironcore-build\n\ngo 1.25.1\n\nrequire github.com/ironcore-dev/ironcore %s\n' \
			"$IRONCORE_VERSION" >go.mod
		nice -n 10 go get "${pkgs[@]/%/@$IRONCORE_VERSION}"
		for pkg in "${pkgs[@]}"; do
			log "building ${pkg##*/} $IRONCORE_VERSION"
			nice -n 10 go build -trimpath -o "$BIN/${pkg##*/}" "$pkg"
		done
	)
}

# k8s.io/kubernetes points its staging modules (k8s.io/api, …) at ./staging with replace lines, which a
# dependent module does not inherit: a wrapper module replaces each with the released tag of the same minor.
build_kube() {
	local missing=() name
	for name in "${KUBE_BINARIES[@]}"; do have "$name" || missing+=("$name"); done
	((${#missing[@]})) || return 0
	local dir=$CACHE/src/kube staging=v0${KUBE_VERSION#v1}
	mkdir -p "$dir"
	(
		cd "$dir"
		go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >/dev/null
		local modfile
		modfile=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBE_VERSION.mod
		{
			printf 'module iri-providers.local/kube-build\n\ngo 1.25.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
			sed -n 's|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*$|\t\1 => \1 '"$staging"'|p' "$modfile"
			printf ')\n'
		} >go.mod
		printf 'package tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n' >tools.go
		nice -n 10 go mod tidy
		for name in "${missing[@]}"; do
			log "building $name $KUBE_VERSION"
			nice -n 10 go build -trimpath -o "$BIN/$name" "k8s.io/kubernetes/cmd/$name"
		done
	)
}

# etcd's own main module carries replace lines too; a tiny main around etcdmain is the test peer.
build_etcd() {
	have etcd && return 0
	local dir=$CACHE/src/etcd
	mkdir -p "$dir"
	cp "$REPO/tests/ironcore/peers/etcd/main.go" "$dir/main.go"
	(
		cd "$dir"
		printf 'module iri-providers.local/etcd\n\ngo 1.23\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >go.mod
		nice -n 10 go mod tidy
		log "building etcd $ETCD_VERSION"
		nice -n 10 go build -trimpath -o "$BIN/etcd" .
	)
}

cmd_build() {
	mkdir -p "$BIN"
	local start=$SECONDS
	build_etcd
	build_kube
	build_ironcore
	log "all binaries present in $BIN (this run: $((SECONDS - start)) s)"
}

cmd_env() {
	printf 'export IRONCORE_BIN=%q\n' "$BIN"
	local name var
	for name in "${ALL_BINARIES[@]}"; do
		var=$(printf '%s' "$name" | tr 'a-z-' 'A-Z_')
		printf 'export %s_BIN=%q\n' "$var" "$BIN/$name"
	done
}

cmd_bin() {
	local name=${1:?usage: ironcore.sh bin NAME}
	have "$name" || {
		log "$name is not built in $BIN (run: scripts/ironcore.sh build)"
		exit 1
	}
	printf '%s\n' "$BIN/$name"
}

case ${1:-} in
build) cmd_build ;;
env) cmd_env ;;
bin) cmd_bin "${2:-}" ;;
up | down)
	# shellcheck source=ironcore/run.sh
	source "$REPO/scripts/ironcore/run.sh"
	"cmd_$1" "${2:?usage: ironcore.sh $1 STATE_DIR}"
	;;
*)
	printf 'usage: %s build|env|bin NAME|up STATE_DIR|down STATE_DIR\n' "${0##*/}" >&2
	exit 2
	;;
esac
