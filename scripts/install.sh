#!/bin/sh
# SPDX-License-Identifier: MIT
# make install: install libpvkit for kernels built on it (docs/library.md, "What make install
# installs" lists exactly these files; make check compares).
#   scripts/install.sh <build dir> <destdir> <prefix> <version> <cppflags> <cflags> <ldflags>
set -eu
obj=$1 destdir=$2 prefix=$3 version=$4 cppflags=$5 cflags=$6 ldflags=$7

case $prefix in
/*) ;;
*) echo "install: PREFIX must be an absolute path, not '$prefix'" >&2; exit 1 ;;
esac
for f in "$obj/libpvkit.a" "$obj/arch/x86/pvkit.lds" "$obj/include/generated/autoconf.h" \
	 "$obj/.config" "$obj/include/xen/xen.h"; do
	[ -f "$f" ] || { echo "install: $f is missing: run make first" >&2; exit 1; }
done

root=$destdir$prefix
inc=$root/include/pvkit
rm -rf "$inc"
install -d "$inc" "$inc/libc" "$inc/xen-public" "$inc/config" "$root/lib/pvkit" \
	"$root/lib/pkgconfig" "$root/share/doc/pvkit"

# pvkit's public headers: the components' (include/pvkit) and the kernel services'
# (kernel/include/pvkit) land in one include/pvkit.
for top in include/pvkit kernel/include/pvkit; do
	(cd "$top" && find . -name '*.h') | while read -r h; do
		install -D -m 0644 "$top/$h" "$inc/$h"
	done
done
install -m 0644 include/libc/*.h "$inc/libc/"
# Xen's public headers as this build used them (Debian's libxen-dev, copied at build time).
(cd "$obj/include" && find xen -name '*.h') | while read -r h; do
	install -D -m 0644 "$obj/include/$h" "$inc/xen-public/$h"
done
install -m 0644 "$obj/include/generated/autoconf.h" "$inc/config/autoconf.h"

install -m 0644 "$obj/libpvkit.a" "$root/lib/libpvkit.a"
install -m 0644 "$obj/arch/x86/pvkit.lds" "$root/lib/pvkit/pvkit.lds"
install -m 0644 "$obj/.config" "$root/lib/pvkit/config"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" -e "s|@CPPFLAGS@|$cppflags|" \
    -e "s|@CFLAGS@|$cflags|" -e "s|@LDFLAGS@|$ldflags|" scripts/pvkit.pc.in \
    | grep -v '^#' >"$root/lib/pkgconfig/pvkit.pc"
chmod 0644 "$root/lib/pkgconfig/pvkit.pc"
install -m 0644 CHANGELOG.md "$root/share/doc/pvkit/CHANGELOG.md"
echo "install: pvkit $version in $root"
