# SPDX-License-Identifier: MIT
"""The `library` suite of scripts/testrun.py (issue 14, docs/library.md): pvkit as a library.

- make install into a temporary DESTDIR installs exactly the files docs/library.md lists;
- pkg-config --cflags --libs pvkit, from that prefix, builds examples/hello with nothing else;
- that hello boots natively under QEMU, by -kernel (PVH entry) and from a GRUB ISO
  (multiboot2), with a virtio disk and a virtio-net: pvkit's boot line first, then hello's;
  the disk is exactly as before afterwards (hello restores the sector it wrote);
- with pvkit.serve=1 it answers UDP echo and powers off on the console's "poweroff";
- scripts/check-layers.py names an include that crosses the boundary (a planted one);
- make docs (Doxygen, warnings are errors) is clean.
The Xen PV and PVH boots of hello are Xen cases (tests/xen/plan.txt, hello-*).
"""
import fnmatch
import hashlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import harness

MANIFEST_RE = re.compile(r'<!-- install-manifest -->\n```\n(.*?)```', re.S)


def manifest(src):
    """The install manifest of docs/library.md: patterns relative to PREFIX."""
    with open(os.path.join(src, 'docs', 'library.md')) as f:
        m = MANIFEST_RE.search(f.read())
    if not m:
        return None
    return [l.split('#')[0].strip() for l in m.group(1).splitlines()
            if l.split('#')[0].strip()]


def installed_files(root):
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def source_headers(src):
    hdrs = set()
    for top in ('include/pvkit', 'kernel/include/pvkit'):
        base = os.path.join(src, top)
        for d, _, files in os.walk(base):
            for f in files:
                if f.endswith('.h'):
                    hdrs.add(os.path.join('include/pvkit', os.path.relpath(os.path.join(d, f),
                                                                          base)))
    return hdrs


def judge_hello(text, entry, status, want_status=1, serve=False):
    """Problems with a native hello boot with one virtio disk and one virtio-net: the Xen
    cases' judge (scripts/harness.py judge_hello: pvkit's boot line first, hello's lines,
    the disk written and restored, the summary), and QEMU ending by isa-debug-exit pass."""
    problems = harness.judge_hello(text, entry=entry, env='native', disks=1, ifaces=1,
                                   checked=1, serve=serve)
    if status != want_status:
        problems.append('QEMU status %s, expected %d (isa-debug-exit pass)'
                        % (status, want_status))
    return problems


def suite_library(r, src, build, run_logged, make, qemu_native, timeout):
    tmp = tempfile.mkdtemp(prefix='pvkit-lib-')
    try:
        _suite(r, src, build, run_logged, make, qemu_native, timeout, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _suite(r, src, build, run_logged, make, qemu_native, timeout, tmp):
    destdir = os.path.join(tmp, 'dest')
    log = r.log_path('library', 'install')
    status, text = make(['O=' + build, 'install', 'DESTDIR=' + destdir, 'PREFIX=/usr'], log)
    root = os.path.join(destdir, 'usr')
    problems = [] if status == 0 else ['make install: status %s' % status]
    files = installed_files(destdir)
    pats = manifest(src)
    if pats is None:
        problems.append('docs/library.md has no install manifest block')
    elif status == 0:
        rel = [f[len('usr/'):] for f in files if f.startswith('usr/')]
        if len(rel) != len(files):
            problems.append('files outside PREFIX: %s' % [f for f in files
                                                          if not f.startswith('usr/')][:3])
        stray = [f for f in rel if not any(fnmatch.fnmatchcase(f, p) for p in pats)]
        unused = [p for p in pats if not any(fnmatch.fnmatchcase(f, p) for f in rel)]
        if stray:
            problems.append('installed but not documented: %s' % stray[:5])
        if unused:
            problems.append('documented but not installed: %s' % unused)
        hdrs = {f for f in rel if f.startswith('include/pvkit/') and f.endswith('.h') and
                not f.startswith(('include/pvkit/libc/', 'include/pvkit/xen-public/',
                                  'include/pvkit/config/'))}
        want = source_headers(src)
        if hdrs != want:
            problems.append('public headers installed %s, missing %s' % (
                sorted(hdrs - want)[:3], sorted(want - hdrs)[:3]))
    r.record('library: make install DESTDIR=... PREFIX=/usr installs exactly the files '
             'docs/library.md lists', problems, log)

    # pkg-config from that prefix, and hello built with nothing else.
    pc_env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(root, 'lib', 'pkgconfig'))
    log = r.log_path('library', 'pkg-config')
    status, text = run_logged(['sh', '-c', 'pkg-config --define-prefix --modversion pvkit && '
                               'pkg-config --define-prefix --cflags --libs pvkit'], log, 60,
                              env=pc_env)
    problems = [] if status == 0 else ['pkg-config: status %s' % status]
    with open(os.path.join(src, 'include', 'pvkit', 'version.h')) as f:
        ver = '.'.join(re.findall(r'#define PVKIT_VERSION_(?:MAJOR|MINOR|PATCH)\s+(\d+)',
                                  f.read()))
    if ver not in text.split():
        problems.append('pvkit.pc version is not %s (version.h)' % ver)
    for want in ('-ffreestanding', '-mcmodel=kernel', '-mno-red-zone', '-T ', '--whole-archive',
                 os.path.join(root, 'lib', 'libpvkit.a')):
        if want not in text:
            problems.append('pkg-config output lacks %s' % want.strip())
    hello_out = os.path.join(tmp, 'hello')
    log2 = r.log_path('library', 'hello-build')
    bstatus, _ = run_logged(['make', '-C', os.path.join(src, 'examples', 'hello'),
                             'O=' + hello_out, 'PKG_CONFIG=pkg-config --define-prefix',
                             'PKG_CONFIG_PATH=' + os.path.join(root, 'lib', 'pkgconfig')],
                            log2, 300,
                            env={k: v for k, v in os.environ.items()
                                 if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL')})
    elf = os.path.join(hello_out, 'hello.elf')
    if bstatus != 0 or not os.path.isfile(elf):
        problems.append('examples/hello did not build from the installed copy (log %s)'
                        % os.path.relpath(log2, src))
    r.record('library: pkg-config --cflags --libs pvkit (installed copy) compiles and links '
             'examples/hello', problems, log)
    if not os.path.isfile(elf):
        return
    iso = os.path.join(hello_out, 'hello.iso')
    run_logged([os.path.join(src, 'scripts', 'mkiso.sh'), elf,
                os.path.join(src, 'scripts', 'grub.cfg'), iso], r.log_path('library', 'iso'),
               300)

    # Native boots, a virtio disk and a virtio-net each.
    for name, kind, image, entry in (('hello-pvh', 'pvh', elf, 'pvh'),
                                     ('hello-grub', 'cdrom', iso, 'multiboot2')):
        disk = os.path.join(tmp, name + '.img')
        with open(disk, 'wb') as f:
            f.write(os.urandom(4 << 20))
        before = hashlib.md5(open(disk, 'rb').read()).hexdigest()
        cmd = qemu_native(kind, image, 'ip=10.0.2.15/24' if kind == 'pvh' else None) + [
            '-drive', 'file=%s,format=raw,if=none,id=d0' % disk,
            '-device', 'virtio-blk-pci,drive=d0,disable-legacy=on',
            '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0,disable-legacy=on']
        log = r.log_path('library', name)
        status, text = run_logged(cmd, log, timeout)
        problems = judge_hello(text, entry, status)
        if hashlib.md5(open(disk, 'rb').read()).hexdigest() != before:
            problems.append('the disk changed: hello did not restore the sector it wrote')
        r.record('library: %s: examples/hello from the installed copy boots natively (%s) '
                 'with a disk and an interface, checks a sector, powers off' % (name, entry),
                 problems, log)

    serve_native(r, elf, tmp, qemu_native, timeout)
    layers_planted(r, src, tmp, run_logged)
    docs_clean(r, src, build, make)


def serve_native(r, elf, tmp, qemu_native, timeout):
    """hello with pvkit.serve=1: UDP echo answered through a QEMU host forward, then the
    console's "poweroff" stops it (QEMU status 1: isa-debug-exit pass)."""
    name = 'hello-serve'
    log = r.log_path('library', name)
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    disk = os.path.join(tmp, name + '.img')
    with open(disk, 'wb') as f:
        f.write(bytes(1 << 20))
    cmd = qemu_native('pvh', elf, 'pvkit.serve=1 ip=10.0.2.15/24 gw=10.0.2.2') + [
        '-drive', 'file=%s,format=raw,if=none,id=d0' % disk,
        '-device', 'virtio-blk-pci,drive=d0,disable-legacy=on',
        '-netdev', 'user,id=n0,hostfwd=udp:127.0.0.1:%d-10.0.2.15:7' % port,
        '-device', 'virtio-net-pci,netdev=n0,disable-legacy=on']
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    lines, problems = [], []
    cond = threading.Condition()

    def reader():
        for raw in proc.stdout:
            with cond:
                lines.append(raw.decode('utf-8', 'replace').rstrip('\r\n'))
                cond.notify_all()

    def wait_for(text, secs):
        end = time.monotonic() + secs
        with cond:
            while not any(text in l for l in lines):
                left = end - time.monotonic()
                if left <= 0 or proc.poll() is not None:
                    return any(text in l for l in lines)
                cond.wait(min(left, 1))
        return True

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    echoed = 0
    try:
        if not wait_for('hello: serving', timeout):
            problems.append('never said "hello: serving"')
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            for i in range(20):
                msg = ('hello-echo %d ' % i).encode() + os.urandom(64 + i * 37)
                for _ in range(5):      # user networking may drop the first (ARP)
                    s.sendto(msg, ('127.0.0.1', port))
                    try:
                        got, _ = s.recvfrom(4096)
                    except socket.timeout:
                        continue
                    if got == msg:
                        echoed += 1
                        break
            s.close()
            if echoed != 20:
                problems.append('UDP echo: %d of 20 datagrams came back intact' % echoed)
            proc.stdin.write(b'poweroff\n')
            proc.stdin.flush()
            if not wait_for('hello: stopping (poweroff)', 60):
                problems.append('"poweroff" on the console did not stop it')
        status = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = None
        problems.append('QEMU still running after the stop')
    t.join(5)
    problems += judge_hello('\n'.join(lines), 'pvh', status, serve=True)
    with open(log, 'w') as f:
        f.write('$ %s\n%s\n# status %s, %d echoed\n' % (' '.join(cmd), '\n'.join(lines),
                                                      status, echoed))
    r.record('library: hello-serve: pvkit.serve=1 answers UDP echo (20 datagrams) and powers '
             'off on the console\'s "poweroff"', problems, log)


def layers_planted(r, src, tmp, run_logged):
    """check-layers.py must name a driver's include of a kernel/ header, and an include of an
    init/ header from kernel/, by file and line; and pass the tree as it is."""
    fake = os.path.join(tmp, 'layers')
    for d in ('drivers/x', 'kernel/include/pvkit', 'init', 'include/pvkit', 'xen-guest'):
        os.makedirs(os.path.join(fake, d), exist_ok=True)
    files = {'kernel/include/pvkit/mm.h': '', 'init/serve.h': '', 'include/pvkit/os.h': '',
             'drivers/x/a.c': '#include <pvkit/os.h>\n\n#include <pvkit/mm.h>\n',
             'xen-guest/b.c': '#include <pvkit/os.h>\n',
             'kernel/c.c': '#include <pvkit/mm.h>\n#include "../init/serve.h"\n'}
    for p, body in files.items():
        with open(os.path.join(fake, p), 'w') as f:
            f.write(body)
    log = r.log_path('library', 'layers')
    status, text = run_logged(['python3', os.path.join(src, 'scripts', 'check-layers.py'),
                               '--root', fake, '--build', os.path.join(fake, 'build')], log, 60)
    problems = []
    if status != 1:
        problems.append('status %s on a tree with two crossings' % status)
    if 'drivers/x/a.c:3: ' not in text or 'pvkit/mm.h' not in text:
        problems.append('drivers/x/a.c:3 (pvkit/mm.h) not named')
    if 'kernel/c.c:2: ' not in text:
        problems.append('kernel/c.c:2 (an init/ header) not named')
    if 'xen-guest/b.c' in text or 'kernel/c.c:1:' in text:
        problems.append('an allowed include was named')
    status2, text2 = run_logged(['python3', os.path.join(src, 'scripts', 'check-layers.py'),
                                 '--root', src], r.log_path('library', 'layers-tree'), 60)
    if status2 != 0:
        problems.append('the tree itself crosses: %s' % text2.strip().splitlines()[:2])
    r.record('library: scripts/check-layers.py names each include across the boundary (file:'
             'line), and the tree has none', problems, log)


def docs_clean(r, src, build, make):
    log = r.log_path('library', 'docs')
    status, text = make(['O=' + build, 'docs'], log)
    problems = [] if status == 0 else ['make docs: status %s (warnings are errors)' % status]
    if status == 0 and not os.path.isfile(os.path.join(build, 'docs', 'html', 'index.html')):
        problems.append('no %s/docs/html/index.html' % build)
    r.record('library: make docs renders the API reference with no Doxygen warning', problems,
             log)
