#!/bin/sh
# SPDX-License-Identifier: MIT
# Copy the Xen public headers of Debian's libxen-dev into $1 (build/include/xen). Only the
# package's own files: /usr/include/xen also holds Linux uapi headers (evtchn.h, privcmd.h...).
set -eu
dest=$1
src=${XEN_INCLUDE:-/usr/include/xen}

if [ -n "${XEN_INCLUDE:-}" ]; then
	files=$(cd "$src" && find . -name '*.h' | sed 's|^\./||')
elif dpkg-query -W -f='${Status}' libxen-dev 2>/dev/null | grep -q 'install ok installed'; then
	files=$(dpkg -L libxen-dev | sed -n 's|^/usr/include/xen/\(.*\.h\)$|\1|p')
else
	echo "error: Xen public headers missing: install Debian's libxen-dev" >&2
	echo "       (scripts/install-deps.sh does it) or set XEN_INCLUDE=<dir>" >&2
	exit 1
fi
[ -n "$files" ] || { echo "error: no Xen headers found under $src" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest"
for f in $files; do
	mkdir -p "$dest/$(dirname "$f")"
	cp -p "$src/$f" "$dest/$f"
done
