#!/bin/sh
# SPDX-License-Identifier: MIT
# Install, from Debian 12 packages, what building and testing pvkit needs; do nothing when it
# is all there. Guest-side Xen host contents are NOT installed: scripts/xenhost/ downloads
# those .debs into a cache and unpacks them with dpkg -x.
set -eu

PACKAGES="make gcc libc6-dev binutils python3 ca-certificates
	linux-kbuild-6.1 python3-kconfiglib libxen-dev
	qemu-system-x86 grub-pc-bin grub-common xorriso mtools
	clang libclang-rt-14-dev
	busybox-static cpio gzip xz-utils zstd file pkgconf
	doxygen"

command -v dpkg-query >/dev/null || {
	echo "install-deps: this needs a Debian 12 (bookworm) machine (no dpkg-query)" >&2
	exit 1
}

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done

# apt-get download (scripts/xenhost) needs package lists even when nothing is missing.
lists_present() { ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; }

[ -z "$missing" ] && lists_present && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null; then
	sudo="sudo"
else
	echo "install-deps: need root or sudo to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Quiet: apt's progress and debconf's chatter go to a log, shown only when a step fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
quietly() {
	if ! "$@" >"$log" 2>&1; then
		echo "install-deps: error: '$*' failed:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
}
if [ -n "$missing" ]; then
	echo "install-deps: installing Debian packages:$missing"
fi
quietly $sudo apt-get update -q
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	quietly $sudo apt-get install -y -q --no-install-recommends $missing
fi
