#!/usr/bin/env bash
# Builds the per-app container images from Debian packages and the pinned Node, and pushes them. The one build
# script: the image test (scripts/test-images.sh), a developer and the images workflow all run it.
#   images.sh apps                          the apps that have an image (one per line)
#   images.sh build [--arch A]... [APP]...  base (cached), then each app's image for each arch (default: this one)
#   images.sh push DEST [--arch A]... [APP]...
#                                           copies each built image to DEST/<app>:<tag> (one arch) or pushes a
#                                           manifest list of all the given arches there
#   images.sh base [--arch A]...            only the Debian base image (prints its name)
#   images.sh ref APP ARCH                  the local name of a built image
#   images.sh oci-args                      the runtime and limits to run them with podman (one per line)
# Settings (env): IRI_IMAGE_TAG (dev), IRI_IMAGE_CACHE (/var/cache/iri-images: Debian base rootfs tarballs and
# Node toolchains, reused across runs and checkouts), IRI_DEBIAN_MIRROR (http://deb.debian.org/debian),
# IRI_BASE_MAX_AGE_DAYS (7: an older base tarball is built again, to pick up Debian's security updates),
# IRI_BUILD_CA_BUNDLE (/etc/ssl/certs/ca-certificates.crt: the CAs the build steps trust for https),
# IRI_IMAGE_SOURCE (the repository URL for the source label; default: git's origin), IRI_OCI_RUNTIME (runc:
# it also runs on hosts with cgroups in hybrid mode, which crun refuses).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/node.sh
source scripts/lib/node.sh

readonly TAG=${IRI_IMAGE_TAG:-dev}
readonly CACHE=${IRI_IMAGE_CACHE:-/var/cache/iri-images}
readonly MIRROR=${IRI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly BASE_MAX_AGE_DAYS=${IRI_BASE_MAX_AGE_DAYS:-7}
readonly OCI_RUNTIME=${IRI_OCI_RUNTIME:-runc}
readonly SUITE=bookworm

log() { printf '[images %3ds] %s\n' "$SECONDS" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

all_apps() {
	local file
	for file in apps/*/Containerfile; do basename "$(dirname "$file")"; done
}

debian_arch() {
	case $1 in
	amd64 | x86_64) echo amd64 ;;
	arm64 | aarch64) echo arm64 ;;
	*) die "unsupported architecture $1 (amd64, arm64)" ;;
	esac
}

image_ref() { echo "localhost/iri/$1:$TAG-$2"; }

# Limits every build step and container gets: the host's open-files limit, and a process limit below what an
# unprivileged host lets a container raise (runc fails to start a container whose limits it cannot set).
oci_args() {
	local nofile
	nofile=$(ulimit -Hn)
	printf '%s\n' --runtime "$OCI_RUNTIME" --ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096
}

# The Debian 12 rootfs (mmdebstrap, variant apt: Essential packages and apt, no documentation) that the build
# stages start from, as a tarball in the cache and an image in local storage named after the tarball's age.
base_image() {
	local arch=$1 tarball image stamp
	tarball=$CACHE/debian-$SUITE-$arch.tar
	mkdir -p "$CACHE"
	if [[ ! -f $tarball ]] || [[ -n $(find "$tarball" -mtime +"$BASE_MAX_AGE_DAYS") ]]; then
		log "building the Debian $SUITE base for $arch with mmdebstrap"
		# usr-is-merged stands in for usrmerge (which would bring perl); ca-certificates lets the build stage
		# fetch packages over https.
		mmdebstrap --variant=apt --format=tar --architectures="$arch" --include=usr-is-merged,ca-certificates \
			--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-include=/usr/share/doc/*/copyright' --aptopt='Acquire::Languages "none"' \
			--customize-hook='rm -rf "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*' \
			"$SUITE" "$tarball.partial" "$MIRROR" >&2
		mv -f "$tarball.partial" "$tarball"
	fi
	stamp=$(stat -c %Y "$tarball")
	image=localhost/iri/debian:$SUITE-$arch-$stamp
	if ! buildah inspect --type image "$image" >/dev/null 2>&1; then
		log "importing $tarball as $image"
		local container
		container=$(buildah from --arch "$arch" scratch)
		buildah add --quiet "$container" "$tarball" / >/dev/null
		buildah config --arch "$arch" --os linux --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			--cmd /bin/bash "$container"
		buildah commit --quiet --rm "$container" "$image" >/dev/null
	fi
	echo "$image"
}

# The pinned Node and pnpm for ARCH (scripts/lib/node.sh), as the build context "toolchain".
toolchain_dir() {
	local arch=$1 dir staging
	dir=$CACHE/toolchain/node-$IRI_NODE_VERSION-pnpm-$IRI_PNPM_VERSION-$arch
	if [[ ! -x $dir/bin/node ]]; then
		log "fetching Node $IRI_NODE_VERSION and pnpm $IRI_PNPM_VERSION for $arch"
		mkdir -p "$CACHE/toolchain"
		staging=$(mktemp -d "$CACHE/toolchain/.staging.XXXXXX")
		install_node_tree "$arch" "$staging" || {
			rm -rf "$staging"
			die "fetching the $arch toolchain failed"
		}
		chmod 0755 "$staging"
		mv -T "$staging" "$dir" 2>/dev/null || rm -rf "$staging"
	fi
	echo "$dir"
}

# parse_targets ARGS...: fills ARCHES and APPS from [--arch A]... [APP]...
parse_targets() {
	ARCHES=()
	APPS=()
	while (($#)); do
		case $1 in
		--arch)
			ARCHES+=("$(debian_arch "${2:?--arch needs a value}")")
			shift 2
			;;
		*)
			[[ -f apps/$1/Containerfile ]] || die "no image for $1 (apps: $(all_apps | tr '\n' ' '))"
			APPS+=("$1")
			shift
			;;
		esac
	done
	((${#ARCHES[@]})) || ARCHES=("$(debian_arch "$(uname -m)")")
	((${#APPS[@]})) || mapfile -t APPS < <(all_apps)
}

build() {
	parse_targets "$@"
	use_pinned_node
	# The images carry the workspace's build output (dist/); turbo rebuilds only what changed.
	log "building the workspace"
	TURBO_TELEMETRY_DISABLED=1 pnpm --silent run build >&2
	local revision arch app base toolchain
	revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
	mapfile -t oci < <(oci_args)
	# The build steps fetch packages over https and trust what this host trusts (e.g. a TLS-inspecting proxy's
	# CA): its CA bundle is mounted into them, never copied into an image.
	local ca_bundle=${IRI_BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
	[[ -f $ca_bundle ]] && oci+=(--volume "$ca_bundle:/etc/ssl/certs/ca-certificates.crt:ro")
	for arch in "${ARCHES[@]}"; do
		base=$(base_image "$arch")
		toolchain=$(toolchain_dir "$arch")
		for app in "${APPS[@]}"; do
			log "building $(image_ref "$app" "$arch")"
			buildah build --layers --format docker --network host "${oci[@]}" \
				--platform "linux/$arch" --build-context "toolchain=$toolchain" \
				--build-arg "BASE=$base" --build-arg "VERSION=$TAG" --build-arg "REVISION=$revision" \
				--build-arg "SOURCE=${IRI_IMAGE_SOURCE:-$(git config --get remote.origin.url || true)}" \
				--file "apps/$app/Containerfile" --tag "$(image_ref "$app" "$arch")" . >&2
		done
	done
}

push() {
	local dest=${1:?push needs a destination, e.g. 127.0.0.1:5000/iri}
	shift
	parse_targets "$@"
	local app arch list
	# A plain-HTTP registry on loopback (the test's) takes no TLS; any other is verified.
	local tls=true
	[[ $dest == 127.0.0.1:* || $dest == localhost:* ]] && tls=false
	for app in "${APPS[@]}"; do
		if ((${#ARCHES[@]} == 1)); then
			log "pushing $dest/$app:$TAG"
			skopeo copy --quiet --dest-tls-verify="$tls" \
				"containers-storage:$(image_ref "$app" "${ARCHES[0]}")" "docker://$dest/$app:$TAG" >&2
			continue
		fi
		list=localhost/iri/$app:$TAG
		buildah manifest rm "$list" >/dev/null 2>&1 || true
		buildah manifest create "$list" >/dev/null
		for arch in "${ARCHES[@]}"; do
			buildah manifest add "$list" "containers-storage:$(image_ref "$app" "$arch")" >/dev/null
		done
		log "pushing $dest/$app:$TAG (${ARCHES[*]})"
		buildah manifest push --all --tls-verify="$tls" "$list" "docker://$dest/$app:$TAG" >&2
	done
}

case ${1:-} in
apps) all_apps ;;
build)
	shift
	build "$@"
	;;
push)
	shift
	push "$@"
	;;
base)
	shift
	parse_targets "$@"
	for arch in "${ARCHES[@]}"; do base_image "$arch"; done
	;;
oci-args) oci_args ;;
ref) image_ref "${2:?app}" "$(debian_arch "${3:?arch}")" ;;
*)
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
