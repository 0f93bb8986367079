#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Post-link checks of the one image (DESIGN.md §1): ELF64 x86-64; a multiboot2 header in the
# first 32 KiB, 8-byte aligned, checksum right; no multiboot(1) header in the first 8 KiB (QEMU
# -kernel would take it over the PVH note); the Xen notes the configuration promises, read
# from PT_NOTE segments by type number (binutils' readelf mislabels Xen notes); and the
# call-site patching records (paravirt/patch.c): every record names a real unpatched site, and
# every `call *pv_patch_target+N(%rip)` in the disassembly has a record. The list of sites is
# written out (third argument) for the self-test and the boot checks to compare with.
import os
import re
import struct
import subprocess
import sys

# The op names by number (enum pv_patch_op); their site lengths come from include/pvkit/pv.h.
PATCH_OPS = {0: "save_fl", 1: "restore_fl", 2: "irq_disable", 3: "irq_enable"}
PV_H = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'include', 'pvkit', 'pv.h')


def patch_lengths():
    """{op number: PV_PATCH_LEN_<OP>} from the #defines of include/pvkit/pv.h."""
    text = open(PV_H).read()
    lens = {}
    for op, name in PATCH_OPS.items():
        m = re.search(r'^#define PV_PATCH_LEN_%s\s+(\d+)\s*$' % name.upper(), text, re.M)
        if not m:
            fail("no PV_PATCH_LEN_%s in %s" % (name.upper(), PV_H))
        lens[op] = int(m.group(1))
    return lens


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


def sections(data):
    """{name: (addr, offset, size)} of the ELF's sections."""
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
    hdrs = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    out = {}
    for h in hdrs:
        name = data[stroff + h[0]:data.index(b'\0', stroff + h[0])].decode()
        out[name] = (h[3], h[4], h[5])
    return out


def symbol(data, secs, want):
    """The value of symbol 'want' (from .symtab/.strtab), or None."""
    if '.symtab' not in secs or '.strtab' not in secs:
        return None
    _, off, size = secs['.symtab']
    _, stroff, _ = secs['.strtab']
    for o in range(off, off + size, 24):
        name, _, _, _, value, _ = struct.unpack_from('<IBBHQQ', data, o)
        if data[stroff + name:data.index(b'\0', stroff + name)] == want.encode():
            return value
    return None


def check_patch_sites(elf, data, out):
    patch_len = patch_lengths()
    secs = sections(data)
    if '.pv_patch' not in secs:
        fail("no .pv_patch section (the linker script keeps it)")
    target = symbol(data, secs, 'pv_patch_target')
    if target is None:
        fail("no symbol pv_patch_target")
    taddr, toff, tsize = secs['.text']
    paddr, poff, psize = secs['.pv_patch']
    if psize % 16:
        fail(".pv_patch is %d bytes, not a whole number of 16-byte records" % psize)
    records = {}
    for o in range(poff, poff + psize, 16):
        addr, op, ln = struct.unpack_from('<QBB', data, o)
        if op not in patch_len or ln != patch_len[op]:
            fail("record at %#x: op %d len %d" % (paddr + o - poff, op, ln))
        if not taddr <= addr <= taddr + tsize - ln:
            fail("record at %#x: site %#x outside .text" % (paddr + o - poff, addr))
        b = data[toff + addr - taddr:toff + addr - taddr + ln]
        rel, = struct.unpack_from('<i', b, 2)
        if b[:2] != b'\xff\x15' or addr + 6 + rel != target + 8 * op or \
                b[6:] != b'\x90' * (ln - 6):
            fail("site %#x does not hold call *pv_patch_target+%d(%%rip) and nops" %
                 (addr, 8 * op))
        if addr in records:
            fail("site %#x has two records" % addr)
        records[addr] = op
    objdump = os.environ.get('OBJDUMP', 'objdump')
    try:
        dis = subprocess.run([objdump, '-d', '-j', '.text', elf], stdout=subprocess.PIPE,
                             check=True, universal_newlines=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        fail("%s -d: %s" % (objdump, e))
    func, calls = '?', []
    for line in dis.splitlines():
        m = re.match(r'^[0-9a-f]+ <([^>]+)>:$', line)
        if m:
            func = m.group(1)
            continue
        m = re.match(r'^\s*([0-9a-f]+):.*call\s+\*0x[0-9a-f]+\(%rip\)\s+# ([0-9a-f]+) '
                     r'<pv_patch_target', line)
        if m:
            calls.append((int(m.group(1), 16), int(m.group(2), 16), func))
    for addr, dest, fn in calls:
        if addr not in records:
            fail("call *pv_patch_target at %#x (in %s) has no .pv_patch record" % (addr, fn))
        if dest != target + 8 * records[addr]:
            fail("site %#x (in %s) calls slot %#x, its record says op %d" %
                 (addr, fn, dest, records[addr]))
    if len(calls) != len(records):
        fail("%d records but %d sites in the disassembly" % (len(records), len(calls)))
    if out:
        with open(out, 'w') as f:
            f.write("# call sites of the hot irq ops: address op length function "
                    "(scripts/check-image.py)\n")
            for addr, _, fn in sorted(calls):
                op = records[addr]
                f.write("%#x %s %d %s\n" % (addr, PATCH_OPS[op], patch_len[op], fn))
            f.write("# %d sites\n" % len(calls))


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
    check_patch_sites(elf, data, sys.argv[3] if len(sys.argv) > 3 else None)


if __name__ == '__main__':
    main()
