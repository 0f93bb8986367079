#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Post-link checks of the one image (DESIGN.md §1): ELF64 x86-64; a multiboot2 header in the
# first 32 KiB, 8-byte aligned, checksum right; no multiboot(1) header in the first 8 KiB (QEMU
# -kernel would take it over the PVH note); the Xen notes the configuration promises, read
# from PT_NOTE segments by type number (binutils' readelf mislabels Xen notes).
import struct
import sys


def fail(msg):
    sys.exit("check-image: %s: %s" % (sys.argv[1], msg))


def config_has(config, name):
    try:
        with open(config) as f:
            return ("CONFIG_%s=y\n" % name) in f.read()
    except OSError:
        return False


def xen_notes(data):
    """{type: desc bytes} of every 'Xen' note in PT_NOTE segments."""
    phoff, = struct.unpack_from('<Q', data, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', data, 0x36)
    notes = {}
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz, _, p_align = \
            struct.unpack_from('<IIQQQQQQ', data, phoff + i * phentsize)
        if p_type != 4:     # PT_NOTE
            continue
        if p_align != 4:
            fail("PT_NOTE aligned to %d, QEMU and Xen expect 4" % p_align)
        off, end = p_offset, p_offset + p_filesz
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from('<III', data, off)
            name = data[off + 12:off + 12 + namesz].rstrip(b'\0')
            desc_off = off + 12 + ((namesz + 3) & ~3)
            if name == b'Xen':
                notes[ntype] = data[desc_off:desc_off + descsz]
            off = desc_off + ((descsz + 3) & ~3)
    return notes


def main():
    elf = sys.argv[1]
    config = sys.argv[2] if len(sys.argv) > 2 else None
    data = open(elf, 'rb').read()
    if data[:5] != b'\x7fELF\x02' or struct.unpack_from('<H', data, 0x12)[0] != 62:
        fail("not an ELF64 x86-64 file")
    for o in range(0, min(len(data), 8192) - 3, 4):
        if struct.unpack_from('<I', data, o)[0] == 0x1BADB002:
            fail("multiboot(1) magic at offset %#x: QEMU -kernel would take it" % o)
    mb2 = [o for o in range(0, min(len(data), 32768) - 15, 8)
           if struct.unpack_from('<I', data, o)[0] == 0xE85250D6]
    for o in mb2:
        if sum(struct.unpack_from('<IIII', data, o)) & 0xffffffff:
            fail("multiboot2 header at %#x: checksum wrong" % o)
    if config and config_has(config, 'BOOT_MULTIBOOT2') and len(mb2) != 1:
        fail("%d multiboot2 headers in the first 32 KiB, want 1" % len(mb2))

    notes = xen_notes(data)
    want = []
    if config and config_has(config, 'BOOT_PVH'):
        want.append(18)                     # PHYS32_ENTRY
    if config and config_has(config, 'XEN_PV'):
        want += [1, 2, 3, 5, 6, 8]          # ENTRY HYPERCALL_PAGE VIRT_BASE XEN_VERSION GUEST_OS LOADER
    missing = [t for t in want if t not in notes]
    if missing:
        fail("Xen note types %s missing (have %s)" % (missing, sorted(notes)))
    if 18 in notes and len(notes[18]) != 4:
        fail("PHYS32_ENTRY must be 4 bytes: QEMU reads it as a 32-bit value")


if __name__ == '__main__':
    main()
