#!/usr/bin/env bash
# Runs inside an image's build stage (Debian 12 with apt): lays out in ROOT a runtime file system of only the
# given Debian packages and their dependency closure, unpacked from Debian's .debs without dpkg or apt in the
# result, so the image holds what the app runs and no package manager, compiler or shell it does not need.
#   runtime-rootfs.sh ROOT PACKAGE...
# Maintainer scripts do not run: the few things they would set up that a runtime needs (merged-/usr links, the
# dynamic linker's cache, /etc/passwd, /tmp) are made here.
set -euo pipefail
root=$1
shift

# Merged /usr, as Debian 12 installs it: the packages' /bin, /sbin and /lib paths land under /usr.
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/etc" "$root/run" "$root/var/tmp"
for dir in bin sbin lib; do ln -sfn "usr/$dir" "$root/$dir"; done
if [[ $(dpkg --print-architecture) == amd64 ]]; then
	mkdir -p "$root/usr/lib64"
	ln -sfn usr/lib64 "$root/lib64"
fi
install -d -m 1777 "$root/tmp"

# An empty dpkg status makes apt resolve the full dependency closure, as for an empty system, and only fetch it.
archives=$(mktemp -d)
mkdir -p "$archives/partial"
apt-get update -q
apt-get install -q -y --download-only --no-install-recommends \
	-o Dir::State::status=/dev/null -o Dir::Cache::archives="$archives" -o Debug::NoLocking=1 \
	libc6 libstdc++6 "$@"
for deb in "$archives"/*.deb; do
	dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$root"
	# What was installed, for an SBOM scanner and for people: one dpkg status stanza per package.
	dpkg-deb --field "$deb" Package Version Architecture Source Maintainer
	printf 'Status: install ok installed\n\n'
done >"$archives/status"
mkdir -p "$root/var/lib/dpkg"
mv "$archives/status" "$root/var/lib/dpkg/status"
rm -rf "$archives" /var/lib/apt/lists/*

# Documentation, manuals and translations are not needed to run; the copyright files stay.
find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
rm -rf "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/locale" "$root/usr/share/lintian"

# The users the image knows: root, and iri (65532), which the apps that need no privilege run as.
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\niri:x:65532:65532:iri provider:/nonexistent:/usr/sbin/nologin\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\niri:x:65532:\n' >"$root/etc/group"
[[ -f $root/etc/ld.so.conf ]] || printf 'include /etc/ld.so.conf.d/*.conf\n' >"$root/etc/ld.so.conf"
ldconfig -r "$root"
