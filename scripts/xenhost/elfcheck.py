# SPDX-License-Identifier: MIT
# ELF helpers for build-host.sh (python3 stdlib only, no binutils needed): list a kernel module's
# depends= (.modinfo), and check that every dynamic ELF under a root resolves its PT_INTERP and
# DT_NEEDED libraries inside that root, as the dynamic linker would (RPATH/RUNPATH, default dirs).
import os
import re
import struct
import sys

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29
DEFAULT_DIRS = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                "/lib", "/usr/lib"]


def resolve_in_root(root, path, depth=0):
    """Follow symlinks of 'path' (absolute, inside root) with root as '/'. Return the real host
    path or None if it does not exist inside the root."""
    if depth > 40:
        return None
    parts = [p for p in path.split("/") if p and p != "."]
    cur = "/"
    for i, part in enumerate(parts):
        if part == "..":
            cur = os.path.dirname(cur.rstrip("/")) or "/"
            continue
        nxt = os.path.join(cur, part)
        host = root + nxt
        if os.path.islink(host):
            target = os.readlink(host)
            if not target.startswith("/"):
                target = os.path.join(cur, target)
            rest = "/".join(parts[i + 1:])
            return resolve_in_root(root, os.path.join(target, rest) if rest else target, depth + 1)
        if not os.path.lexists(host):
            return None
        cur = nxt
    return root + cur


def elf_dynamic(path):
    """Return (interp, needed, rpaths) of a 64-bit little-endian ELF, or None if not such an ELF
    (scripts, data). Static executables return ('', [], [])."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return None
    if data[4] != 2 or data[5] != 1:
        raise ValueError("%s: not a 64-bit little-endian ELF" % path)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dyn, interp = [], None, ""
    for i in range(phnum):
        p_type, _flags, off, vaddr, _paddr, filesz, _memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((vaddr, off, filesz))
        elif p_type == PT_DYNAMIC:
            dyn = (off, filesz)
        elif p_type == PT_INTERP:
            interp = data[off:off + filesz].split(b"\0")[0].decode()
    if dyn is None:
        return interp, [], []

    def v2o(vaddr):
        for v, o, sz in loads:
            if v <= vaddr < v + sz:
                return vaddr - v + o
        raise ValueError("%s: address %#x not in any PT_LOAD" % (path, vaddr))

    entries = []
    for off in range(dyn[0], dyn[0] + dyn[1], 16):
        tag, val = struct.unpack_from("<qQ", data, off)
        if tag == DT_NULL:
            break
        entries.append((tag, val))
    strtab = [v for t, v in entries if t == DT_STRTAB]
    if not strtab:
        return interp, [], []
    base = v2o(strtab[0])

    def cstr(o):
        return data[base + o:data.index(b"\0", base + o)].decode()

    needed = [cstr(v) for t, v in entries if t == DT_NEEDED]
    rpaths = []
    for t, v in entries:
        if t in (DT_RPATH, DT_RUNPATH):
            rpaths += cstr(v).split(":")
    return interp, needed, rpaths


def check_root(root):
    """Check every ELF under root. Return a list of problems (empty when all resolve)."""
    root = os.path.abspath(root)
    problems, checked = [], 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            host = os.path.join(dirpath, name)
            if os.path.islink(host) or not os.path.isfile(host):
                continue
            try:
                info = elf_dynamic(host)
            except (ValueError, struct.error) as e:
                problems.append(str(e))
                continue
            if info is None:
                continue
            checked += 1
            interp, needed, rpaths = info
            inroot = host[len(root):]
            if interp and resolve_in_root(root, interp) is None:
                problems.append("%s: interpreter %s missing" % (inroot, interp))
            origin = os.path.dirname(inroot)
            dirs = [r.replace("${ORIGIN}", origin).replace("$ORIGIN", origin) for r in rpaths]
            for lib in needed:
                if not any(resolve_in_root(root, os.path.join(d, lib)) for d in dirs + DEFAULT_DIRS):
                    problems.append("%s: NEEDED %s not found in the initramfs" % (inroot, lib))
    return checked, problems


def modinfo_depends(path):
    """The comma-separated depends= of a .ko (what modinfo/strings would show)."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", data)
    if m is None:
        raise ValueError("%s: no depends= in .modinfo (not a kernel module?)" % path)
    return [d for d in m.group(1).decode().split(",") if d]


def main(argv):
    if len(argv) == 3 and argv[1] == "depends":
        print(" ".join(modinfo_depends(argv[2])))
        return 0
    if len(argv) == 3 and argv[1] == "check-root":
        checked, problems = check_root(argv[2])
        for p in problems:
            print("elfcheck: " + p, file=sys.stderr)
        if problems:
            print("elfcheck: %d problem(s) in %d ELF files" % (len(problems), checked), file=sys.stderr)
            return 1
        print("elfcheck: %d ELF files, every interpreter and NEEDED library resolves" % checked)
        return 0
    print("usage: elfcheck.py depends MODULE.ko | check-root DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
