#!/usr/bin/env bash
# Builds the tiny test guest the machine backend's tests boot: a Debian kernel, a busybox initramfs that
# loads the virtio modules, powers off on the ACPI power button, prints a marker on the serial console and
# keeps a shell there, and a small raw rootfs. Usage: build-test-guest.sh <out-dir>. Writes <out-dir>/{vmlinuz,initramfs,rootfs.raw}; a complete
# <out-dir> is left as it is. The kernel .deb is cached in $IRI_GUEST_CACHE (default /var/tmp/iri-guest-cache).
set -euo pipefail

readonly OUT=${1:?usage: build-test-guest.sh <out-dir>}
readonly CACHE=${IRI_GUEST_CACHE:-/var/tmp/iri-guest-cache}
# The order matters: the .deb ships no modules.dep, so each module's dependencies are loaded before it.
readonly MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk
	failover net_failover virtio_net qemu_fw_cfg button evdev)

log() { printf '[build-test-guest] %s\n' "$*" >&2; }

# The outputs are reused while this script is unchanged.
stamp=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
if [[ -s $OUT/vmlinuz && -s $OUT/initramfs && -s $OUT/rootfs.raw && $(cat "$OUT/stamp" 2>/dev/null) == "$stamp" ]]; then
	exit 0
fi
for tool in dpkg-deb cpio gzip apt-get; do
	command -v "$tool" >/dev/null || { log "missing $tool (scripts/install-deps.sh installs it)"; exit 1; }
done
[[ -x /bin/busybox ]] || { log "missing /bin/busybox (Debian package busybox-static)"; exit 1; }

mkdir -p "$CACHE" "$OUT"
deb=$(find "$CACHE" -maxdepth 1 -name 'linux-image-6.1.0-*-amd64_*.deb' | sort | tail -n 1)
if [[ -z $deb ]]; then
	# The version the linux-image-amd64 metapackage points at: always present in the archive.
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-6\.1\.0-[0-9]+-amd64$/ {print $2; exit}')
	[[ -n $pkg ]] || { log "no linux-image-6.1.0-*-amd64 in the apt lists (run apt-get update)"; exit 1; }
	log "downloading $pkg"
	(cd "$CACHE" && apt-get download "$pkg" 2>/dev/null)
	deb=$(find "$CACHE" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/kernel"
kver=$(ls "$work/kernel/lib/modules")

root=$work/initramfs
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules,etc}
cp /bin/busybox "$root/bin/busybox"
for module in "${MODULES[@]}"; do
	found=$(find "$work/kernel/lib/modules/$kver" -name "$module.ko" | head -n 1)
	[[ -n $found ]] || { log "module $module not in $deb"; exit 1; }
	cp "$found" "$root/lib/modules/"
done
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in MODULES; do insmod "/lib/modules/$module.ko"; done
fwcfg=/sys/firmware/qemu_fw_cfg/by_name/opt
[ -r "$fwcfg/dev.ironcore/hostname/raw" ] && hostname "$(cat "$fwcfg/dev.ironcore/hostname/raw")"
# An ACPI power button press (QMP system_powerdown) powers the guest off, as a real OS would.
for event in /sys/class/input/event*; do
	if [ "$(cat "$event/device/name" 2>/dev/null)" = "Power Button" ]; then
		(head -c 1 "/dev/input/${event##*/}" >/dev/null && poweroff -f) &
	fi
done
echo "IRI-TEST-GUEST-READY $(hostname)"
# A shell on the serial console for ever; a new one when it exits.
while true; do setsid cttyhack sh -l; done
INIT
sed -i "s/MODULES/${MODULES[*]}/" "$root/init"
chmod 0755 "$root/init"
# A serial console has no size; without one busybox wraps the line editor at 80 columns and garbles long
# command lines typed by the tests.
printf 'stty cols 1000 rows 50\n' >"$root/etc/profile"
(cd "$root" && find . -print0 | cpio --null --create --format=newc --quiet) | gzip -1 >"$work/initramfs.gz"

cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"
# A small raw disk with a recognisable first sector, so a test can tell it is the image's rootfs.
truncate -s 8M "$work/rootfs.raw"
printf 'IRI-TEST-ROOTFS\n' | dd of="$work/rootfs.raw" conv=notrunc status=none
mv "$work/vmlinuz" "$work/rootfs.raw" "$OUT/"
mv "$work/initramfs.gz" "$OUT/initramfs"
printf '%s\n' "$stamp" >"$OUT/stamp"
log "built $OUT from $(basename "$deb")"
