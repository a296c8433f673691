# shellcheck shell=bash
# The pinned Node (the version in .node-version, the one place it is written) for every script that runs the
# workspace. It comes from the npm registry's node-linux-<arch> package (official binaries and headers) into
# a directory outside git and is reused when present; the system's Node is never touched.
#   source scripts/lib/node.sh; use_pinned_node   installs when missing, then puts it first on PATH
# Settings: IRI_NODE_ROOT (default /opt/iri-node) holds one directory per version, shared by checkouts.

IRI_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IRI_NODE_VERSION=$(tr -d '[:space:]' <"$IRI_REPO_ROOT/.node-version")
IRI_PNPM_VERSION=$(sed -n 's/^ *"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$IRI_REPO_ROOT/package.json")
IRI_NODE_DIR=${IRI_NODE_ROOT:-/opt/iri-node}/$IRI_NODE_VERSION

node_log() { printf '[node] %s\n' "$*" >&2; }

# The Node package's architecture name for this machine's (or the given Debian/uname) architecture.
node_arch() {
	case ${1:-$(uname -m)} in
	x86_64 | amd64) echo x64 ;;
	aarch64 | arm64) echo arm64 ;;
	*)
		node_log "no Node binary package for architecture ${1:-$(uname -m)}"
		return 1
		;;
	esac
}

# npm_unpack PACKAGE@VERSION DEST [MEMBER...]: unpacks a registry package's files into DEST. npm pack checks
# the tarball against the registry's integrity hash before writing it.
npm_unpack() {
	local spec=$1 dest=$2 scratch tarball
	shift 2
	scratch=$(mktemp -d)
	tarball=$(cd "$scratch" && npm pack --silent "$spec") &&
		mkdir -p "$dest" &&
		tar -xzf "$scratch/$tarball" -C "$dest" --strip-components=1 --no-same-owner "${@/#/package/}"
	local status=$?
	rm -rf "$scratch"
	return "$status"
}

# install_node_tree ARCH DEST: the pinned Node for ARCH (bin/node, include/node) and pnpm (the wrapper package,
# whose bundled node-gyp builds native modules, with the native pnpm binary of ARCH in place of its
# placeholder, as its own install script would link it) laid out as a Node prefix in DEST.
install_node_tree() {
	local arch dest=$2 pnpm_dir
	arch=$(node_arch "$1") || return 1
	pnpm_dir=$dest/lib/node_modules/pnpm
	npm_unpack "node-linux-$arch@$IRI_NODE_VERSION" "$dest" bin/node include LICENSE &&
		npm_unpack "pnpm@$IRI_PNPM_VERSION" "$pnpm_dir" &&
		npm_unpack "@pnpm/exe.linux-$arch@$IRI_PNPM_VERSION" "$pnpm_dir/native" pnpm &&
		mv -f "$pnpm_dir/native/pnpm" "$pnpm_dir/pnpm" &&
		rmdir "$pnpm_dir/native" &&
		ln -s ../lib/node_modules/pnpm/pnpm "$dest/bin/pnpm"
}

# Installs the pinned Node and pnpm (from packageManager) into IRI_NODE_DIR unless both are there. Built in a
# scratch directory beside it and renamed into place, so a concurrent or interrupted install never leaves a
# half-filled directory that a later run would take as complete.
ensure_pinned_node() {
	if [[ -x $IRI_NODE_DIR/bin/node && -x $IRI_NODE_DIR/bin/pnpm ]]; then
		return 0
	fi
	local parent staging
	parent=$(dirname "$IRI_NODE_DIR")
	mkdir -p "$parent"
	staging=$(mktemp -d "$parent/.staging.XXXXXX")
	node_log "installing Node $IRI_NODE_VERSION and pnpm $IRI_PNPM_VERSION into $IRI_NODE_DIR"
	if ! install_node_tree "$(uname -m)" "$staging"; then
		rm -rf "$staging"
		node_log "installing Node $IRI_NODE_VERSION failed"
		return 1
	fi
	chmod 0755 "$staging"
	if ! mv -T "$staging" "$IRI_NODE_DIR" 2>/dev/null; then
		# Another run installed it meanwhile; theirs is as good as ours.
		rm -rf "$staging"
	fi
}

# Puts the pinned Node and its pnpm first on PATH, and points node-gyp at its headers (no download).
use_pinned_node() {
	ensure_pinned_node || return 1
	export PATH=$IRI_NODE_DIR/bin:$PATH
	export npm_config_nodedir=$IRI_NODE_DIR
}
