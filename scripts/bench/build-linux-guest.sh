#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build, or reuse, make bench's Linux DomU: Debian 12's cloud kernel (the package
# linux-image-cloud-amd64 depends on: linux-image-6.1.0-N-cloud-amd64) and a busybox initramfs
# (busybox-static) holding scripts/bench/linux-init as /init, the kernel's xen-blkfront and
# xen-netfront modules (=m in Debian's cloud config; Xen PV/PVH guest support and hvc0 are
# built in) and the static bench programs (bench-blk, bench-udp from `make dom0-tools`).
# The .debs are fetched with apt-get download into the Xen host's cache ($PVKIT_CACHE/debs) and
# unpacked with dpkg -x; the kernel is kept under $PVKIT_CACHE/linux-guest/<deb version>/.
#
# Usage: build-linux-guest.sh --tools DIR --out DIR
#   writes DIR/vmlinuz, DIR/initrd.gz, DIR/guest.env (versions, sizes); rebuilds the initramfs
#   only when an input changed (key: the .debs' sha256, /init, this script, the tools).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${PVKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pvkit}
DEBS=$CACHE/debs
GUESTS=$CACHE/linux-guest
TOOLS_NEEDED=(bench-blk bench-udp)
MODULES=(xen-blkfront xen-netfront)	# neither has depends= (checked at build)
DL_TIMEOUT=${PVKIT_DL_TIMEOUT:-900}

tools= out=
while [ $# -gt 0 ]; do
	case $1 in
	--tools) tools=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "usage: $0 --tools DIR --out DIR" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$tools" ] && [ -n "$out" ] || { echo "usage: $0 --tools DIR --out DIR" >&2; exit 2; }
msg() { echo "build-linux-guest: $*" >&2; }
die() { echo "build-linux-guest: error: $*" >&2; exit 1; }
for t in "${TOOLS_NEEDED[@]}"; do
	[ -x "$tools/$t" ] || die "$tools/$t missing (make dom0-tools builds it)"
done
mkdir -p "$DEBS" "$GUESTS" "$out"
exec 9>"$CACHE/.build-linux-guest.lock"
flock -w 1800 9 || die "$CACHE/.build-linux-guest.lock held for 30 min"

# --- 1. Which .debs: "package filename sha256", from apt's local lists (no network) ---------
SET=$(mktemp)
trap 'rm -f "$SET"; rm -rf "${work:-}"' EXIT
resolve() {
	local kpkg
	kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-cloud-amd64\)$/\1/p' | head -n 1)
	[ -n "$kpkg" ] || return 1
	rm -rf "$CACHE/.resolve-lg" && mkdir -p "$CACHE/.resolve-lg"
	(cd "$CACHE/.resolve-lg" && timeout 120 apt-get download --print-uris "$kpkg" busybox-static) |
		awk '/^'"'"'/ { fn = $2; pkg = fn; sub(/_.*/, "", pkg); sha = $4
			sub(/^SHA256:/, "", sha); print pkg, fn, sha }'
}
complete() {	# every .deb of set $1 cached with its sha256
	[ "$(wc -l <"$1")" -eq 2 ] || return 1
	(cd "$DEBS" && awk '{print $3 "  " $2}' "$1" | sha256sum --quiet -c - >/dev/null 2>&1)
}
if resolve >"$SET" && [ "$(wc -l <"$SET")" -eq 2 ]; then
	if ! complete "$SET"; then
		pkgs=$(awk '{print $1}' "$SET")
		msg "downloading $(echo $pkgs)"
		(cd "$DEBS" && timeout "$DL_TIMEOUT" apt-get download $pkgs) >&2 || true
	fi
	if complete "$SET"; then
		cp "$SET" "$DEBS/last-linux-guest.txt"
	elif [ -f "$DEBS/last-linux-guest.txt" ] && complete "$DEBS/last-linux-guest.txt"; then
		msg "download failed: using the last complete cached set"
		cp "$DEBS/last-linux-guest.txt" "$SET"
	else
		die "cannot download the cloud kernel / busybox-static .debs into $DEBS"
	fi
elif [ -f "$DEBS/last-linux-guest.txt" ] && complete "$DEBS/last-linux-guest.txt"; then
	msg "apt cannot resolve linux-image-cloud-amd64: using the last complete cached set"
	cp "$DEBS/last-linux-guest.txt" "$SET"
else
	die "apt cannot resolve linux-image-cloud-amd64 (apt-get update?) and nothing is cached"
fi
kdeb=$(awk '$1 ~ /^linux-image-/ {print $2}' "$SET")
bdeb=$(awk '$1 == "busybox-static" {print $2}' "$SET")
kver=${kdeb#linux-image-}
kver=${kver%%_*}			# 6.1.0-N-cloud-amd64
kdebver=${kdeb#*_}
kdebver=${kdebver%_*}			# Debian version, e.g. 6.1.192-2

# --- 2. The kernel and its two modules, unpacked once per kernel .deb -----------------------
kdir=$GUESTS/$kver-$kdebver
if [ ! -f "$kdir/.done" ]; then
	msg "unpacking $kdeb"
	work=$(mktemp -d)
	dpkg -x "$DEBS/$kdeb" "$work"
	rm -rf "$kdir" && mkdir -p "$kdir"
	cp "$work/boot/vmlinuz-$kver" "$kdir/vmlinuz"
	cp "$work/boot/config-$kver" "$kdir/config"
	for c in CONFIG_XEN_PV=y CONFIG_XEN_PVH=y CONFIG_HVC_XEN=y CONFIG_XEN_BLKDEV_FRONTEND=m \
		 CONFIG_XEN_NETDEV_FRONTEND=m CONFIG_BLK_DEV_INITRD=y CONFIG_RD_GZIP=y CONFIG_DEVTMPFS=y; do
		grep -qx "$c" "$kdir/config" || die "$kver's config lacks $c"
	done
	for m in "${MODULES[@]}"; do
		f=$(find "$work/lib/modules/$kver" -name "$m.ko" | head -n 1)
		[ -n "$f" ] || die "$kver has no $m.ko"
		dep=$(objcopy -O binary --only-section=.modinfo "$f" /dev/stdout | tr '\0' '\n' |
		      sed -n 's/^depends=//p')
		[ -z "$dep" ] || die "$m.ko depends on $dep: ship it too"
		cp "$f" "$kdir/$m.ko"
	done
	rm -rf "$work"
	work=
	touch "$kdir/.done"
	# Older unpacked kernels: keep the two most recent.
	ls -1dt "$GUESTS"/*/ 2>/dev/null | tail -n +3 | while read -r old; do rm -rf "$old"; done
fi

# --- 3. The initramfs, rebuilt when an input changed -----------------------------------------
key=$( { awk '{print $3}' "$SET"; sha256sum "$HERE/linux-init" "$HERE/build-linux-guest.sh" \
	 "${TOOLS_NEEDED[@]/#/$tools/}" | awk '{print $1}'; } | sha256sum | cut -c1-16)
if [ -f "$out/initrd.gz" ] && [ "$(cat "$out/key" 2>/dev/null)" = "$key" ] &&
   cmp -s "$kdir/vmlinuz" "$out/vmlinuz"; then
	msg "reusing $out (key $key)"
else
	msg "building the initramfs (key $key)"
	work=$(mktemp -d)
	mkdir -p "$work/deb" "$work/root/bin" "$work/root/lib/modules" "$work/root/proc" \
		 "$work/root/sys" "$work/root/dev" "$work/root/tmp"
	dpkg -x "$DEBS/$bdeb" "$work/deb"
	cp "$work/deb/bin/busybox" "$work/root/bin/busybox"
	for a in $("$work/root/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$work/root/bin/$a"
	done
	cp "$HERE/linux-init" "$work/root/init"
	chmod 755 "$work/root/init"
	for m in "${MODULES[@]}"; do cp "$kdir/$m.ko" "$work/root/lib/modules/"; done
	for t in "${TOOLS_NEEDED[@]}"; do cp "$tools/$t" "$work/root/bin/$t"; done
	(cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
		gzip -9n >"$out/initrd.gz.tmp"
	mv "$out/initrd.gz.tmp" "$out/initrd.gz"
	cp "$kdir/vmlinuz" "$out/vmlinuz"
	echo "$key" >"$out/key"
	rm -rf "$work"
	work=
fi
mods=0
for m in "${MODULES[@]}"; do mods=$((mods + $(stat -c %s "$kdir/$m.ko"))); done
cat >"$out/guest.env" <<EOT
KERNEL_PKG=linux-image-$kver
KERNEL_DEB=$kdeb
KERNEL_VERSION=$kver
BUSYBOX_DEB=$bdeb
VMLINUZ_BYTES=$(stat -c %s "$out/vmlinuz")
INITRD_BYTES=$(stat -c %s "$out/initrd.gz")
MODULES_BYTES=$mods
EOT
echo "$out"
