#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build, or reuse from the cache, the Xen test host: 'xen' (gunzipped), the dom0 'vmlinuz' and
# 'dom0.cpio.gz', all from Debian 12 .debs (apt-get download + dpkg -x; nothing is installed).
# Usage: build-host.sh [--print-dir] [--log FILE]   (see docs/xen-host.md)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${PVKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pvkit}
DEBS=$CACHE/debs
HOSTS=$CACHE/host

XEN_PKGS=(xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils libxenmisc4.17
	libxencall1 libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1
	libxenstore4 libxentoolcore1 libxentoollog1 libyajl2)
BASE_PKGS=(libc6 libgcc-s1 libuuid1 zlib1g liblzma5 libzstd1 bash libtinfo6 busybox-static util-linux)
# Loaded in this order by dom0's /init; depends= of each .ko is added before it. dm-mod: the
# silent-backend case holds blkback's I/O in a suspended device-mapper disk (dom0-tools/dm-hold).
MODULES=(xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback xen-netback llc stp bridge
	loop dm-mod tun virtio_pci virtio_console)
# Xen tools shipped from /usr/lib/xen-4.17/bin (xl is reached through Debian's /usr/sbin wrapper).
XEN_BINS=(xl libxl-save-helper xen-init-dom0 oxenstored xenstored xenconsoled xenconsole
	xenstore-control lsevtchn)
# Inputs of the initramfs besides the .debs: a change to any of them rebuilds the host.
KEY_FILES=("$HERE/build-host.sh" "$HERE/elfcheck.py" "$HERE"/dom0/*)
# A fresh download waits at most this long (the mirror may be slow, never forever).
DL_TIMEOUT=${PVKIT_DL_TIMEOUT:-900}

print_dir=0
log=
usage() {
	echo "usage: $0 [--print-dir] [--log FILE]" >&2
	echo "  builds xen, vmlinuz, dom0.cpio.gz under \$PVKIT_CACHE/host/<key>/ (cache: $CACHE)" >&2
	echo "  --print-dir  print only the host directory on stdout (messages go to stderr)" >&2
	echo "  --log FILE   also append every message and command output to FILE" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--print-dir) print_dir=1 ;;
	--log) [ $# -ge 2 ] || usage; log=$2; shift ;;
	-h|--help) usage ;;
	*) echo "build-host: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done

if [ -n "$log" ]; then
	mkdir -p "$(dirname "$log")"
	exec 2> >(tee -a "$log" >&2)
fi
msg() { echo "build-host: $*" >&2; }
die() { echo "build-host: error: $*" >&2; exit 1; }

for c in apt-get apt-cache dpkg dpkg-deb gzip cpio python3 flock sha256sum find sort timeout; do
	command -v "$c" >/dev/null || die "'$c' is missing on the build machine (scripts/install-deps installs it)"
done
mkdir -p "$DEBS" "$HOSTS"
exec 9>"$CACHE/.build-host.lock"
flock -w 1800 9 || die "another build-host.sh has held $CACHE/.build-host.lock for 30 min"

# --- 1. Resolve the package set: "package filename sha256" lines -----------------------------
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1
}

# Ask apt (local lists only, no network) which files the current candidates are. Run it in an
# empty directory: apt-get prints nothing for a .deb that is already in the current directory.
resolve_set() {
	local kpkg out
	kpkg=$(kernel_pkg)
	[ -n "$kpkg" ] || { msg "apt-cache does not name linux-image-6.1.0-*-amd64 (no apt lists?)"; return 1; }
	rm -rf "$CACHE/.resolve" && mkdir -p "$CACHE/.resolve"
	out=$(cd "$CACHE/.resolve" && timeout 120 apt-get download --print-uris \
		"${XEN_PKGS[@]}" "${BASE_PKGS[@]}" "$kpkg" 2>&1) || { msg "apt-get --print-uris failed: $out"; return 1; }
	printf '%s\n' "$out" | awk '/^'"'"'/ {
		fn = $2; pkg = fn; sub(/_.*/, "", pkg); sha = $4; sub(/^SHA256:/, "", sha)
		print pkg, fn, sha }'
}

set_complete() {	# $1 = set file; true if every .deb is cached with the right sha256
	local pkg fn sha n=0
	while read -r pkg fn sha; do
		[ -f "$DEBS/$fn" ] || return 1
		n=$((n + 1))
	done <"$1"
	[ "$n" -eq $((${#XEN_PKGS[@]} + ${#BASE_PKGS[@]} + 1)) ] || return 1
	(cd "$DEBS" && awk '{print $3 "  " $2}' "$1" | sha256sum --quiet -c - >/dev/null 2>&1)
}

SET=$(mktemp)
trap 'rm -f "$SET"' EXIT
if resolve_set >"$SET" && [ -s "$SET" ]; then
	if ! set_complete "$SET"; then
		missing=()
		while read -r pkg fn sha; do
			if [ ! -f "$DEBS/$fn" ] || ! echo "$sha  $DEBS/$fn" | sha256sum --quiet -c - >/dev/null 2>&1; then
				rm -f "$DEBS/$fn"
				missing+=("$pkg")
			fi
		done <"$SET"
		msg "downloading ${#missing[@]} package(s): ${missing[*]}"
		if (cd "$DEBS" && timeout "$DL_TIMEOUT" apt-get download "${missing[@]}") >&2 &&
			set_complete "$SET"; then
			cp "$SET" "$DEBS/last-set.txt"
		elif [ -f "$DEBS/last-set.txt" ] && set_complete "$DEBS/last-set.txt"; then
			msg "download failed (mirror unreachable?): using the last complete cached set"
			cp "$DEBS/last-set.txt" "$SET"
		else
			die "could not download ${missing[*]} and the cache ($DEBS) holds no complete set"
		fi
	else
		cp "$SET" "$DEBS/last-set.txt"
	fi
elif [ -f "$DEBS/last-set.txt" ] && set_complete "$DEBS/last-set.txt"; then
	msg "apt could not resolve the packages: using the last complete cached set"
	cp "$DEBS/last-set.txt" "$SET"
else
	die "apt cannot resolve the packages (run apt-get update?) and $DEBS holds no complete set"
fi

# --- 2. The cache key: exact .deb files + the scripts that build the initramfs ----------------
key=$( { awk '{print $2, $3}' "$SET" | LC_ALL=C sort; sha256sum "${KEY_FILES[@]}" | awk '{print $1}'; } |
	sha256sum | cut -c1-16)
out=$HOSTS/$key
if [ -f "$out/.complete" ]; then
	touch "$out"
	msg "cached host $out"
	[ "$print_dir" = 1 ] && echo "$out" || echo "host: $out"
	exit 0
fi

# --- 3. Unpack and stage the dom0 root ---------------------------------------------------------
t_start=$SECONDS
work=$(mktemp -d "$HOSTS/.build.XXXXXX")
trap 'rm -f "$SET"; rm -rf "$work"' EXIT
U=$work/unpack
R=$work/root
mkdir -p "$U" "$R"
msg "unpacking $(wc -l <"$SET") .debs (key $key)"
while read -r pkg fn sha; do
	dpkg -x "$DEBS/$fn" "$U" || die "dpkg -x $fn failed"
done <"$SET"

kpkg=$(awk '$1 ~ /^linux-image-/ {print $1}' "$SET")
kabi=${kpkg#linux-image-}
kdeb=$(awk '$1 ~ /^linux-image-/ {print $2}' "$SET")
xdeb=$(awk '$1 == "xen-hypervisor-4.17-amd64" {print $2}' "$SET")
kver=$(dpkg-deb -f "$DEBS/$kdeb" Version)
xver=$(dpkg-deb -f "$DEBS/$xdeb" Version)
[ -f "$U/boot/vmlinuz-$kabi" ] || die "vmlinuz-$kabi not in $kdeb"
[ -f "$U/boot/xen-4.17-amd64.gz" ] || die "boot/xen-4.17-amd64.gz not in $xdeb"

mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib/x86_64-linux-gnu,lib64,usr/lib/x86_64-linux-gnu} \
	"$R"/{etc,dev,proc,sys,run,tmp,root,lib/modules,usr/lib/pvkit,var/log/xen,var/lib/xen,var/lock}
ln -s ../run "$R/var/run"

# Libraries: every .so of the unpacked libc6/libgcc/zlib/... and Xen library packages. The loader
# comes from the libc6 deb (its lib64 entry is an absolute symlink that would resolve on the host).
cp -a "$U"/lib/x86_64-linux-gnu/*.so* "$R/lib/x86_64-linux-gnu/"
cp -a "$U"/usr/lib/x86_64-linux-gnu/*.so* "$R/usr/lib/x86_64-linux-gnu/"
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$R/lib64/ld-linux-x86-64.so.2"
[ -f "$R/lib/x86_64-linux-gnu/libgcc_s.so.1" ] || die "libgcc_s.so.1 missing (xl needs it for pthread_cancel)"

# Shells and tools: busybox (sh and applets), bash and flock for the hotplug scripts.
cp "$U/bin/busybox" "$R/bin/busybox"
cp "$U/bin/bash" "$R/bin/bash"
cp "$U/usr/bin/flock" "$R/usr/bin/flock"

# Xen: Debian's layout, /usr/sbin/xl -> xen-utils-wrapper -> /usr/lib/xen-4.17/bin/xl.
mkdir -p "$R/usr/lib/xen-4.17/bin" "$R/usr/lib/xen-common/bin"
for b in "${XEN_BINS[@]}"; do
	cp "$U/usr/lib/xen-4.17/bin/$b" "$R/usr/lib/xen-4.17/bin/" || die "$b missing from the Xen debs"
done
cp "$U/usr/lib/xen-common/bin/xen-utils-wrapper" "$R/usr/lib/xen-common/bin/"
for b in xl oxenstored xenstored xenconsoled; do
	ln -s ../lib/xen-common/bin/xen-utils-wrapper "$R/usr/sbin/$b"
done
cp "$U/usr/bin/xenstore" "$R/usr/bin/xenstore"
for f in "$U"/usr/bin/xenstore-*; do
	n=${f##*/}
	if [ "$n" = xenstore-control ]; then
		ln -s ../lib/xen-common/bin/xen-utils-wrapper "$R/usr/bin/$n"
	else
		ln -s xenstore "$R/usr/bin/$n"	# one multi-call binary, dispatching on argv[0]
	fi
done
cp -a "$U/etc/xen" "$R/etc/xen"

# Kernel modules, flat, with their depends= first (no modules.dep in the deb).
kmod=$U/lib/modules/$kabi
order=()
add_module() {
	local m=$1 f d
	for d in "${order[@]}"; do [ "$d" = "$m" ] && return 0; done
	f=$(find "$kmod/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "${m//-/_}.ko" -o -name "${m//-/_}.ko.xz" \) | head -n 1)
	[ -n "$f" ] || die "module $m not found under $kmod"
	case $f in
	*.xz) xz -dc "$f" >"$R/lib/modules/$m.ko" ;;
	*) cp "$f" "$R/lib/modules/$m.ko" ;;
	esac
	for d in $(python3 "$HERE/elfcheck.py" depends "$R/lib/modules/$m.ko"); do
		add_module "$d"
	done
	order+=("$m")
}
for m in "${MODULES[@]}"; do add_module "$m"; done
printf '%s\n' "${order[@]}" >"$R/etc/modorder"

# Our dom0 scripts.
cp "$HERE/dom0/init" "$R/init"
cp "$HERE"/dom0/*.sh "$R/usr/lib/pvkit/"
chmod 755 "$R/init" "$R"/usr/lib/pvkit/*.sh
echo 'root:x:0:0:root:/root:/bin/bash' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
echo dom0 >"$R/etc/hostname"
{
	echo "XEN_DEB_VERSION=$xver"
	echo "KERNEL_ABI=$kabi"
	echo "KERNEL_DEB_VERSION=$kver"
	echo "HOST_KEY=$key"
} >"$R/etc/pvkit-host.env"

# busybox applets for whatever the packages above did not provide (bash, flock stay real).
for a in $("$R/bin/busybox" --list-full); do
	[ -e "$R/$a" ] || [ -L "$R/$a" ] || ln -s /bin/busybox "$R/$a"
done
for need in bin/sh usr/bin/md5sum bin/dd usr/bin/nc sbin/losetup usr/sbin/brctl sbin/ip bin/stty \
	usr/bin/timeout sbin/insmod sbin/poweroff usr/bin/setsid; do
	[ -e "$R/$need" ] || [ -L "$R/$need" ] || die "busybox applet /$need missing"
done

# --- 4. Verify: every ELF's interpreter and NEEDED libraries resolve inside the initramfs -------
python3 "$HERE/elfcheck.py" check-root "$R" >&2 || die "the dom0 initramfs has unresolved libraries (see above)"

# --- 5. Pack ------------------------------------------------------------------------------------
gzip -dc "$U/boot/xen-4.17-amd64.gz" >"$work/xen"
cp "$U/boot/vmlinuz-$kabi" "$work/vmlinuz"
(cd "$R" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -6n >"$work/dom0.cpio.gz"
cp "$SET" "$work/debs.txt"
cp "$R/etc/pvkit-host.env" "$work/host.env"
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort) >"$work/dom0-files.txt"
rm -rf "$U" "$R"
touch "$work/.complete"
chmod 755 "$work"
rm -rf "$out"
mv "$work" "$out"
trap 'rm -f "$SET"' EXIT
msg "built $out in $((SECONDS - t_start)) s (dom0.cpio.gz $(du -k "$out/dom0.cpio.gz" | cut -f1) KiB)"

# --- 6. Prune: keep the 3 most recent hosts, drop superseded .debs of the same packages ---------
ls -1dt "$HOSTS"/*/ 2>/dev/null | tail -n +4 | while read -r old; do rm -rf "$old"; done
for f in "$DEBS"/*.deb; do
	fn=${f##*/}
	pkg=${fn%%_*}
	if awk -v p="$pkg" -v f="$fn" '$1 == p && $2 != f {found = 1} END {exit !found}' "$SET" &&
		! grep -q " $fn " "$SET"; then
		rm -f "$f"
	fi
done

[ "$print_dir" = 1 ] && echo "$out" || echo "host: $out"
