#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The layering of the source tree, checked at build time (docs/library.md "One boundary").

Dependencies point down: arch/, paravirt/, lib/, xen-guest/ and drivers/ reach the kernel
services only through include/pvkit/os.h, so none of their files may include a header that
lives in kernel/ or init/; kernel/ (the services) may not include one of init/ (the reference
kernel's top). Every #include is resolved the way the compiler would resolve it (quoted: the
file's own folder first; then include/, include/libc, the build's generated headers, and the
upper layers' folders, so that a header that exists only up there is still found and named).
Each crossing is printed as "file:line: ..." and the exit status is 1.
"""
import argparse
import os
import re
import sys

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

# folder -> folders whose headers it must not include
RULES = {
    "arch": ("kernel", "init"),
    "paravirt": ("kernel", "init"),
    "lib": ("kernel", "init"),
    "xen-guest": ("kernel", "init"),
    "drivers": ("kernel", "init"),
    "kernel": ("init",),
}
SUFFIXES = (".c", ".h", ".S")


def search_path(root, build):
    return [os.path.join(root, "include"), os.path.join(root, "include", "libc"),
            os.path.join(build, "include"), os.path.join(root, "kernel", "include"),
            os.path.join(root, "init")]


def resolve(root, build, src, quote, name):
    dirs = search_path(root, build)
    if quote == '"':
        dirs = [os.path.dirname(src)] + dirs
    for d in dirs:
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(p):
            return p
    return None


def top_folder(root, path):
    rel = os.path.relpath(path, root)
    return rel.split(os.sep)[0] if not rel.startswith("..") else None


def check(root, build):
    bad = []
    checked = 0
    for folder, forbidden in RULES.items():
        base = os.path.join(root, folder)
        for dirpath, _, files in os.walk(base):
            for f in sorted(files):
                if not f.endswith(SUFFIXES):
                    continue
                src = os.path.join(dirpath, f)
                checked += 1
                with open(src, encoding="utf-8", errors="replace") as fh:
                    for lineno, line in enumerate(fh, 1):
                        m = INCLUDE_RE.match(line)
                        if not m:
                            continue
                        hdr = resolve(root, build, src, m.group(1), m.group(2))
                        if hdr is None:
                            continue  # a compiler header (stdarg.h), or a missing one: cc says
                        owner = top_folder(root, hdr)
                        if owner in forbidden:
                            bad.append("%s:%d: %s includes %s, a header of %s/ (%s): %s/ may "
                                       "reach the kernel services only through pvkit/os.h"
                                       % (os.path.relpath(src, root), lineno, folder,
                                          m.group(2), owner, os.path.relpath(hdr, root),
                                          folder))
    return checked, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=".")
    ap.add_argument("--build", default="build")
    a = ap.parse_args()
    checked, bad = check(os.path.abspath(a.root), os.path.abspath(a.build))
    for b in bad:
        print(b, file=sys.stderr)
    if bad:
        print("check-layers: %d crossing(s) in %d files" % (len(bad), checked), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
