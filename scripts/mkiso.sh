#!/bin/sh
# SPDX-License-Identifier: MIT
# mkiso.sh ELF GRUB_CFG ISO: a GRUB rescue ISO (grub-mkrescue, BIOS) that boots that very ELF
# through multiboot2.
set -eu
elf=$1 cfg=$2 iso=$3
command -v grub-mkrescue >/dev/null || {
	echo "error: grub-mkrescue missing: install grub-pc-bin grub-common xorriso mtools" >&2
	echo "       (scripts/install-deps.sh does it)" >&2
	exit 1
}
stage=$(dirname "$iso")/iso
rm -rf "$stage"
mkdir -p "$stage/boot/grub"
cp "$elf" "$stage/boot/pvkit.elf"
cp "$cfg" "$stage/boot/grub/grub.cfg"
# BIOS only, and only the modules the config needs: a smaller ISO that boots faster.
grub-mkrescue -o "$iso.tmp" -d /usr/lib/grub/i386-pc \
	--install-modules="multiboot2 normal serial terminal boot configfile" \
	--fonts= --locales= --themes= "$stage" >"$iso.log" 2>&1 || {
	cat "$iso.log" >&2
	exit 1
}
mv "$iso.tmp" "$iso"
