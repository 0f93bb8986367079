#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pvkit's test runner: `make check` calls it. Runs the suites, prints one line per result
(PASS/FAIL name: why), writes full logs under build/test-logs/, and ends with the line
"N passed, M failed". Exit status 1 when anything failed.

Suites:
  unit     hosted unit tests (tests/unit, ASan + UBSan)
  fuzz     every libFuzzer target of tests/fuzz/*.mk for its bounded time, two at a time
           (xenstore >= 60 s; PVKIT_FUZZ_SECONDS raises every target to at least that)
  harness  the harness judging canned guest output (it must see failures as failures), and
           make bench's aggregation on canned logs (scripts/bench/test_bench.py)
  boot     native boots under QEMU: PVH via -kernel, multiboot2 via the GRUB ISO, and a guest
           that fails a test on purpose, which must be reported as failed
  build    every configs/* builds (and the native ones boot); a second make does nothing;
           touching a header rebuilds exactly the objects that include it
  library  make install into a temporary prefix, examples/hello built from it with pkg-config
           and booted natively (-kernel, GRUB ISO, serve mode), the layering check, make docs
  xen      DomU tests on real Xen under QEMU (see scripts/xenhost/)
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU = os.environ.get('QEMU', 'qemu-system-x86_64')
BOOT_TIMEOUT = int(os.environ.get('PVKIT_BOOT_TIMEOUT', '120'))


class Runner:
    def __init__(self, build):
        self.build = build
        self.logs = os.path.join(build, 'test-logs')
        self.passed = 0
        self.failed = []

    def record(self, name, problems, log=None):
        """One result; problems is a list of strings (empty: passed)."""
        if problems:
            self.failed.append(name)
            where = ' (log: %s)' % os.path.relpath(log, SRC) if log else ''
            print('FAIL  %s: %s%s' % (name, '; '.join(problems), where), flush=True)
        else:
            self.passed += 1
            print('PASS  %s' % name, flush=True)

    def log_path(self, suite, name):
        d = os.path.join(self.logs, suite)
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, re.sub(r'[^A-Za-z0-9_.-]+', '_', name) + '.log')


def run_logged(cmd, log, timeout, cwd=SRC, env=None, input=None):
    """Run cmd, output to log (and returned); @input (bytes) goes to its stdin.
    Returns (status or None on timeout, text)."""
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, input=input,
                           stdin=None if input is not None else subprocess.DEVNULL)
        status, out = p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        status, out = None, e.stdout or b''
    text = out.decode('utf-8', 'replace')
    with open(log, 'w') as f:
        f.write('$ %s\n' % ' '.join(cmd))
        f.write(text)
        f.write('\n# status %s after %.1f s\n' % (status, time.monotonic() - start))
    return status, text


# ---- unit -------------------------------------------------------------------------------

def suite_unit(r):
    d = os.path.join(r.build, 'tests', 'unit')
    bins = sorted(f for f in os.listdir(d) if f.startswith('test_') and '.' not in f) \
        if os.path.isdir(d) else []
    if not bins:
        r.record('unit: test binaries built', ['none found in %s' % d])
        return
    for b in bins:
        log = r.log_path('unit', b)
        status, text = run_logged([os.path.join(d, b)], log, timeout=300)
        seen = 0
        for line in text.splitlines():
            m = harness.TEST_RE.match(line)
            if m:
                seen += 1
                problems = [] if m.group(1) == 'ok' else ['see log']
                r.record('unit/%s: %s' % (b[5:], m.group(3)), problems, log)
        crashed = []
        if status != 0 and status is not None:
            last = [l for l in text.splitlines() if l.strip()][-3:]
            crashed = ['exit status %d: %s' % (status, ' | '.join(last))]
        elif status is None:
            crashed = ['timed out']
        if seen == 0:
            crashed.append('no test results printed')
        r.record('unit/%s: ran to completion (no crash, no sanitizer report)' % b[5:],
                 crashed, log)


# ---- fuzz -------------------------------------------------------------------------------

FUZZ_STATS_RE = re.compile(r'^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)', re.M)
FUZZ_ARTIFACTS = ('crash-', 'leak-', 'timeout-', 'oom-', 'slow-unit-')
FUZZ_PARALLEL = 2               # two at a time: the suite stays ~2 min on 2 cores
# As FUZZ_OPTS in tests/fuzz/Makefile: a 10 s hang or 1 GiB of memory is a finding.
FUZZ_OPTS = ['-timeout=10', '-rss_limit_mb=1024', '-print_final_stats=1']


def fuzz_targets(r):
    """Every target tests/fuzz/*.mk defines, as (name, seconds, seeds) from `make fuzz-list`,
    longest first. None when make cannot list them."""
    log = r.log_path('fuzz', 'list')
    status, text = make(['-s', 'O=' + r.build, 'fuzz-list'], log)
    if status != 0:
        return None
    floor = int(os.environ.get('PVKIT_FUZZ_SECONDS', '0'))
    targets = []
    for line in text.splitlines():
        f = line.split()
        if len(f) == 3 and re.match(r'^[a-z0-9_]+$', f[0]) and f[1].isdigit():
            seconds = max(int(f[1]), floor)
            if f[0] == 'xenstore':
                seconds = max(seconds, 60)      # issue 5's acceptance: at least 60 s
            targets.append((f[0], seconds, f[2]))
    return sorted(targets, key=lambda t: -t[1])


def fuzz_start(r, name, seconds, seeds):
    """Start target @name as `make fuzz-run-<name>` would (tests/fuzz/Makefile: the binary
    fuzz_<name>, new inputs in build/fuzz/corpus-<name>, findings build/fuzz/<name>-*), but
    without a make of its own: two makes at once in one build directory could both remake
    the configuration. Returns what fuzz_finish needs."""
    out = os.path.join(r.build, 'fuzz')
    corpus = os.path.join(out, 'corpus-' + name)
    os.makedirs(corpus, exist_ok=True)
    before = set(f for f in os.listdir(out) if f.startswith(name + '-'))
    log = r.log_path('fuzz', name)
    cmd = [os.path.join(r.build, 'tests', 'fuzz', 'fuzz_' + name),
           '-max_total_time=%d' % seconds] + FUZZ_OPTS + \
          ['-artifact_prefix=%s/%s-' % (out, name), corpus, os.path.join(SRC, seeds)]
    f = open(log, 'w')
    f.write('$ %s\n' % ' '.join(cmd))
    f.flush()
    p = subprocess.Popen(cmd, cwd=SRC, stdout=f, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    return p, f, log, before, time.monotonic()


def fuzz_finish(r, name, seconds, seeds, started):
    p, f, log, before, t0 = started
    try:
        status = p.wait(timeout=max(0, t0 + seconds + 300 - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        status = None
    f.write('\n# status %s after %.1f s\n' % (status, time.monotonic() - t0))
    f.close()
    with open(log, errors='replace') as lf:
        text = lf.read()
    out = os.path.join(r.build, 'fuzz')
    found = sorted(set(x for x in os.listdir(out)
                       if x.startswith(tuple(name + '-' + a for a in FUZZ_ARTIFACTS)))
                   - before)
    problems = []
    if status != 0:
        problems.append('exit status %s' % status)
    if found:
        problems.append('new artifacts in %s: %s'
                        % (os.path.relpath(out, SRC), ', '.join(found)))
    done = re.search(r'Done (\d+) runs in (\d+) second', text)
    if not done:
        problems.append('no "Done N runs" line')
    stats = FUZZ_STATS_RE.findall(text)
    rate = re.search(r'^stat::average_exec_per_sec:\s*(\d+)', text, re.M)
    if done and stats:
        print('      %s: %s runs in %s s (%s exec/s), cov %s, ft %s, corpus %s' % (
            name, done.group(1), done.group(2), rate.group(1) if rate else '?',
            stats[-1][1], stats[-1][2], stats[-1][3]), flush=True)
    r.record('fuzz/%s: fuzzed for %d s from %s, no crash, leak, timeout or broken invariant'
             % (name, seconds, seeds), problems, log)


def suite_fuzz(r):
    """Every libFuzzer target in tests/fuzz/*.mk, each for its bounded time (xenstore at least
    60 s, PVKIT_FUZZ_SECONDS raises them all), FUZZ_PARALLEL at a time, from the committed
    seeds; new inputs go to build/fuzz/corpus-<name>, findings to build/fuzz/<name>-crash-*."""
    targets = fuzz_targets(r)
    if not targets:
        r.record('fuzz: make fuzz-list names the targets of tests/fuzz/*.mk',
                 ['none listed'], r.log_path('fuzz', 'list'))
        return
    # All at once (make -j); only when that fails, one by one to say which does not build.
    status, _ = make(['O=' + r.build, 'fuzz-build'], r.log_path('fuzz', 'build'))
    runnable = list(targets) if status == 0 else []
    for name, seconds, seeds in targets if status != 0 else []:
        log = r.log_path('fuzz', 'build-' + name)
        st, _ = make(['O=' + r.build, 'fuzz-build-' + name], log)
        if st != 0:
            r.record('fuzz/%s: fuzzer builds (clang, libclang-rt-14-dev)' % name,
                     ['make fuzz-build-%s exited %s' % (name, st)], log)
        else:
            runnable.append((name, seconds, seeds))
    running = []                # (name, seconds, seeds, started), in start order
    while runnable or running:
        while runnable and len(running) < FUZZ_PARALLEL:
            name, seconds, seeds = runnable.pop(0)
            running.append((name, seconds, seeds, fuzz_start(r, name, seconds, seeds)))
        # Report in completion order; poll, the runs are a minute long.
        now = time.monotonic()
        done = [t for t in running
                if t[3][0].poll() is not None or now >= t[3][4] + t[1] + 300]
        if not done:
            time.sleep(0.5)
            continue
        for t in done:
            running.remove(t)
            fuzz_finish(r, t[0], t[1], t[2], t[3])


# ---- harness ----------------------------------------------------------------------------

def suite_harness(r):
    """The judges on canned input: scripts/harness.py (guest consoles), make bench's
    aggregation, scripts/bench/bench.py --parse-only (scripts/bench/test_bench.py), and the
    long fuzz runs' driver with a fake fuzzer (tests/fuzz/test_longrun.py)."""
    for name, script, what in (('judge', 'scripts/test_harness.py', 'judge'),
                               ('bench', 'scripts/bench/test_bench.py', 'bench.py'),
                               ('longrun', 'tests/fuzz/test_longrun.py', 'longrun.sh')):
        log = r.log_path('harness', name)
        status, text = run_logged([sys.executable, os.path.join(SRC, script)], log,
                                  timeout=300)
        for line in text.splitlines():
            m = harness.TEST_RE.match(line)
            if m:
                r.record('harness: %s' % m.group(3), [] if m.group(1) == 'ok' else ['see log'],
                         log)
        r.record('harness: %s self-test ran to completion' % what, [] if status == 0 else
                 ['exit status %s' % status], log)


# ---- boot -------------------------------------------------------------------------------

def qemu_native(kind, image, append=None, cpus=1):
    cmd = [QEMU, '-machine', 'q35', '-m', '256', '-display', 'none', '-serial', 'stdio',
           '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']
    if cpus > 1:
        cmd += ['-smp', str(cpus)]     # issue 15: every CPU brought up (tests/guest/test_smp.c)
    accel = os.environ.get('PVKIT_QEMU_ACCEL')
    if accel:
        cmd += ['-accel', accel]
    if kind == 'pvh':
        cmd += ['-kernel', image]
        if append:
            cmd += ['-append', append]
    else:
        cmd += ['-cdrom', image]
    return cmd


def boot_native(r, name, kind, image, entry, append=None, expect_fail_test=None, cpus=1):
    log = r.log_path('boot', name)
    cmd = qemu_native(kind, image, append, cpus)
    status, text = run_logged(cmd, log, BOOT_TIMEOUT)
    rep = harness.parse_console(text)
    disk, net = harness.native_devices(cmd, append or '')
    problems = harness.judge(rep, entry=entry, env='native', disk=disk, net=net) + \
        harness.judge_qemu_exit(status)
    if expect_fail_test is None:
        for label, bad in harness.test_results(rep, disk, net):
            r.record('boot/%s: guest: %s' % (name, label), bad, log)
        r.record('boot/%s: boot line, summary, %d+ tests, exit status 1' % (name, 5),
                 problems, log)
        return
    # A guest told to fail test N must be judged failed, for that reason and no other.
    want = 'test %d failed' % expect_fail_test
    wrong = []
    if not any(p.startswith(want) for p in problems):
        wrong.append('harness did not report "%s" (problems: %s)' % (want, problems or 'none'))
    if 'guest exited with failure (QEMU status 3)' not in problems:
        wrong.append('QEMU status %s, expected 3' % status)
    others = [p for p in problems if not p.startswith(want) and not p.startswith('summary')
              and 'status 3' not in p]
    if others:
        wrong.append('unexpected problems: %s' % others)
    r.record('boot/%s: a guest failing test %d on purpose is reported as failed'
             % (name, expect_fail_test), wrong, log)


def serve_commands():
    """The console commands the source defines (SERVE_COMMAND(name, ...), include/pvkit/command.h)."""
    names = set()
    for top in ('arch', 'paravirt', 'xen-guest', 'drivers', 'kernel', 'init', 'lib', 'tests/guest'):
        for root, _, files in os.walk(os.path.join(SRC, top)):
            for f in files:
                if f.endswith('.c'):
                    with open(os.path.join(root, f), errors='replace') as fh:
                        names.update(re.findall(r'^SERVE_COMMAND\((\w+),', fh.read(), re.M))
    return names


def boot_serve(r, image):
    """Serve mode natively: console input over the serial line is echoed; "help" lists every
    console command the source defines (defconfig builds them all), each defined by its owner
    and none registered by a self-test ("blk" answers natively, where no blk test runs);
    then poweroff."""
    log = r.log_path('boot', 'pvh-serve')
    status, text = run_logged(qemu_native('pvh', image, '%s=1' % harness.SERVE_PARAM), log,
                              BOOT_TIMEOUT, input=b'echo hello from the host\nstats\nhelp\n'
                              b'blk list\npoweroff\n')
    rep = harness.parse_console(text)
    problems = harness.judge(rep, entry='pvh', env='native') + harness.judge_qemu_exit(status)
    ready = harness.ready_line(rep.lines)
    if ready is None:
        problems.append('no "%s" line' % harness.READY_LINE)
    elif ready['disk'] or ready['net']:     # nothing attached here: nothing may claim to be up
        problems.append('ready line names devices that are not there: %s' % ready['line'])
    for want in ('echo hello from the host', 'stats', 'help', 'blk list', 'poweroff'):
        if harness.ECHO_FMT % want not in rep.lines:
            problems.append('console input "%s" not echoed' % want)
    listed = set(re.findall(r'^pvkit:   (\w+) ', text, re.M))
    defined = serve_commands()
    if len(defined) < 10:
        problems.append('only %d SERVE_COMMAND()s found in the source' % len(defined))
    if defined - listed:
        problems.append('"help" does not list %s' % ', '.join(sorted(defined - listed)))
    if 'pvkit: blk list end' not in rep.lines:
        problems.append('"blk list" did not answer')
    r.record('boot/pvh-serve: serve mode echoes serial input, "help" lists all %d commands, '
             '"blk list" answers, "poweroff" exits with status 1' % len(defined), problems, log)


# ---- native boot with virtio disks (issue 6, native half) -------------------------------

VIRTIO_RW_MIB = 80      # first 64 MiB: tests/guest/test_blk.c's workload; last 8: test_virtio.c
VIRTIO_RO_MIB = 16
VIRTIO_BLK_LINE_RE = re.compile(r'pvkit: blk (vd\w+) sectors=(\d+) sector-size=(\d+) ro=(\d) '
                                r'features: ring-pages=(\d+) indirect=(\d+) persistent=(\d) '
                                r'queues=(\d+) flush=(\d) barrier=(\d) discard=(\d)')
VIRTIO_INTEGRITY_RE = re.compile(r'pvkit: blk (vd\w+) integrity seed=\d+ sectors=(\d+) '
                                 r'md5=([0-9a-f]{32})')


def virtio_sectors(first, count, tag):
    """Sectors of tests/guest/test_virtio.c's pattern (vt_fill): tag, LBA, derived bytes."""
    t = tag.encode()
    tails = [bytes((b + j * 7) & 0xff for j in range(16, 512)) for b in range(256)]
    return b''.join(t + lba.to_bytes(8, 'little') + tails[(lba * 31 + t[0]) & 0xff]
                    for lba in range(first, first + count))


def virtio_punches_holes(path):
    """Does the file system under @path free a punched hole (so QEMU's discard=unmap zeroes)?"""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    probe = path + '.punch'
    try:
        with open(probe, 'wb') as f:
            f.write(b'x' * 65536)
            f.flush()
            if libc.fallocate(f.fileno(), 3, ctypes.c_long(0), ctypes.c_long(65536)):
                return False                    # FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
        with open(probe, 'rb') as f:
            return f.read() == bytes(65536)
    except OSError:
        return False
    finally:
        if os.path.exists(probe):
            os.unlink(probe)


def virtio_disk_problems(rw, ro, ro_bytes, text, discard_zeroes):
    """What is wrong with the images after the run (the guest's writes checked from outside)."""
    problems = []
    mib = 2048
    end = VIRTIO_RW_MIB * mib
    with open(rw, 'rb') as f:
        f.seek((end - mib) * 512)
        if f.read(mib * 512) != virtio_sectors(end - mib, mib, 'GUESTDAT'):
            problems.append('the last MiB of the writable disk lacks the guest\'s pattern')
        f.seek((end - 8 * mib) * 512)
        if f.read(mib * 512) != virtio_sectors(end - 8 * mib, mib, 'HOSTDATA'):
            problems.append('the host\'s pattern on the writable disk was overwritten')
        f.seek((end - 2 * mib) * 512)           # test_virtio.c discards 64 sectors here
        if discard_zeroes and f.read(64 * 512) != bytes(64 * 512):
            problems.append('the range the guest discarded is not zeros in the image')
    with open(ro, 'rb') as f:
        if f.read() != ro_bytes:
            problems.append('the read-only disk image changed')
    # tests/guest/test_blk.c's integrity workload: the image must hold what it says it wrote.
    m = [x for x in VIRTIO_INTEGRITY_RE.finditer(text) if x.group(1) == 'vda']
    if not m:
        problems.append('no integrity line for vda')
    else:
        import hashlib
        n = int(m[-1].group(2))
        with open(rw, 'rb') as f:
            got = hashlib.md5(f.read(n * 512)).hexdigest()
        if got != m[-1].group(3):
            problems.append('vda\'s first %d sectors have md5 %s, the guest wrote %s'
                            % (n, got, m[-1].group(3)))
    return problems


def undescribed_image(path, mib):
    """A disk image of @mib MiB of random bytes (someone's data): its md5."""
    import hashlib
    data = os.urandom(mib << 20)
    with open(path, 'wb') as f:
        f.write(data)
    return hashlib.md5(data).hexdigest()


def md5_of(path):
    import hashlib
    h = hashlib.md5()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


UNDESCRIBED_RE = re.compile(r'pvkit: virtio-blk (vd\w+) \(ro=(\d), (\d+) sectors\): not described')
UNDESCRIBED_TEST = 'virtio-blk: a disk the command line does not describe is only read'


def undescribed_problems(rep, text, disk, img, md5):
    """A disk the command line did not describe: reported, its read-only checks ran and
    passed, and its image is what it was (nothing wrote it)."""
    problems = []
    if disk not in [m.group(1) for m in UNDESCRIBED_RE.finditer(text)]:
        problems.append('no "pvkit: virtio-blk %s ...: not described" line' % disk)
    ran = [t for t in rep.tests if t.name == UNDESCRIBED_TEST]
    if not ran or not ran[0].ok or ran[0].skip:
        problems.append('"%s" did not run and pass' % UNDESCRIBED_TEST)
    now = md5_of(img)
    if now != md5:
        problems.append('the undescribed disk %s was written: md5 %s before, %s after'
                        % (disk, md5, now))
    return problems


def boot_virtio(r, elf):
    """Native boot with three virtio disks: vda (80 MiB, -drive if=virtio: transitional, 2
    queues, MSI-X, indirect, discard) and vdb (16 MiB read-only, behind a PCIe root port:
    modern, no indirect descriptors, no MSI-X so polled), both described on the command line
    (pvkit.virtio_blk=rw,ro), and vdc (8 MiB of random bytes) which it does not describe. The
    guest's own tests and the integrity workload run on vda and vdb; vdc is only read. The
    images are checked afterwards."""
    d = os.path.join(r.build, 'virtio')
    os.makedirs(d, exist_ok=True)
    rw, ro, other = (os.path.join(d, f) for f in ('rw.img', 'ro.img', 'other.img'))
    other_md5 = undescribed_image(other, 8)
    mib = 2048
    with open(rw, 'wb') as f:
        f.truncate(VIRTIO_RW_MIB << 20)
        f.seek((VIRTIO_RW_MIB * mib - 8 * mib) * 512)
        f.write(virtio_sectors(VIRTIO_RW_MIB * mib - 8 * mib, mib, 'HOSTDATA'))
    ro_bytes = virtio_sectors(0, VIRTIO_RO_MIB * mib, 'RODISK00')
    with open(ro, 'wb') as f:
        f.write(ro_bytes)
    zeroes = virtio_punches_holes(rw)
    append = 'pvkit.virtio_blk=rw,ro' + (' pvkit.virtio_discard=zeroes' if zeroes else '')
    cmd = qemu_native('pvh', elf, append) + [
        '-global', 'virtio-blk-pci.num-queues=2',
        '-drive', 'file=%s,if=virtio,format=raw,discard=unmap' % rw,
        '-device', 'pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x10',
        '-drive', 'file=%s,if=none,id=vdro,format=raw,readonly=on' % ro,
        '-device', 'virtio-blk-pci,drive=vdro,bus=rp1,indirect_desc=off,vectors=0',
        '-drive', 'file=%s,if=none,id=vdother,format=raw' % other,
        '-device', 'virtio-blk-pci,drive=vdother,bus=pcie.0,addr=0x12']
    name = 'pvh-virtio'
    log = r.log_path('boot', name)
    status, text = run_logged(cmd, log, BOOT_TIMEOUT)
    rep = harness.parse_console(text)
    disk, net = harness.native_devices(cmd, append)    # the disks are given: disk tests test
    problems = harness.judge(rep, entry='pvh', env='native', disk=disk, net=net) + \
        harness.judge_qemu_exit(status)
    for label, bad in harness.test_results(rep, disk, net):
        r.record('boot/%s: guest: %s' % (name, label), bad, log)
    disks = {m.group(1): m.groups() for m in VIRTIO_BLK_LINE_RE.finditer(text)}
    want = {'vda': dict(sectors=VIRTIO_RW_MIB * mib, ro='0', queues='2', flush='1',
                        discard='1'),
            'vdb': dict(sectors=VIRTIO_RO_MIB * mib, ro='1', indirect='0', queues='2'),
            'vdc': dict(sectors=8 * mib, ro='0')}
    for disk, fields in want.items():
        g = disks.get(disk)
        if not g:
            problems.append('no "pvkit: blk %s" line' % disk)
            continue
        got = dict(sectors=int(g[1]), ro=g[3], indirect=g[5], queues=g[7], flush=g[8],
                   discard=g[10])
        for k, v in fields.items():
            if got[k] != v:
                problems.append('%s: %s=%s, expected %s' % (disk, k, got[k], v))
    if disks.get('vda') and disks['vda'][5] == '0':
        problems.append('vda: no indirect descriptors negotiated')
    if not re.search(r'pvkit: pci 01:00\.0 1af4:1042 ', text):
        problems.append('the disk behind the PCIe root port (01:00.0) was not enumerated')
    if status is not None:
        problems += virtio_disk_problems(rw, ro, ro_bytes, text, zeroes)
        problems += undescribed_problems(rep, text, 'vdc', other, other_md5)
    r.record('boot/%s: two described virtio disks: guest tests pass, images hold what was '
             'written; the third, undescribed, only read (md5 unchanged)' % name, problems, log)


def boot_virtio_undescribed(r, elf):
    """Someone attaches a plain 64 MiB virtio disk of their own, and a 16 MiB one with 4 KiB
    logical blocks, and boots without pvkit.virtio_blk=: the kernel reports both disks, runs
    only read-only checks on them (in whole logical blocks), passes (QEMU status 1), and each
    disk holds exactly what it held (md5 before and after)."""
    d = os.path.join(r.build, 'virtio')
    os.makedirs(d, exist_ok=True)
    img = os.path.join(d, 'undescribed.img')
    md5 = undescribed_image(img, 64)
    img4k = os.path.join(d, 'undescribed-4k.img')
    md5_4k = undescribed_image(img4k, 16)
    name = 'pvh-virtio-undescribed'
    log = r.log_path('boot', name)
    cmd = qemu_native('pvh', elf) + [
        '-drive', 'file=%s,if=none,id=vd512,format=raw' % img,
        '-device', 'virtio-blk-pci,drive=vd512,addr=0x10',
        '-drive', 'file=%s,if=none,id=vd4k,format=raw' % img4k,
        '-device', 'virtio-blk-pci,drive=vd4k,addr=0x11,logical_block_size=4096,'
        'physical_block_size=4096']
    status, text = run_logged(cmd, log, BOOT_TIMEOUT)
    rep = harness.parse_console(text)
    disk, net = harness.native_devices(cmd, '')
    problems = harness.judge(rep, entry='pvh', env='native', disk=disk, net=net) + \
        harness.judge_qemu_exit(status)
    for label, bad in harness.test_results(rep, disk, net):
        r.record('boot/%s: guest: %s' % (name, label), bad, log)
    problems += undescribed_problems(rep, text, 'vda', img, md5)
    problems += undescribed_problems(rep, text, 'vdb', img4k, md5_4k)
    if not re.search(r'pvkit: blk vdb sectors=32768 sector-size=4096 ', text):
        problems.append('no "pvkit: blk vdb sectors=32768 sector-size=4096" line')
    r.record('boot/%s: virtio disks the command line does not describe (512 B and 4 KiB '
             'blocks): reported, only read (md5 unchanged), the boot passes' % name,
             problems, log)


# ---- native boot with virtio-net (issue 7) -----------------------------------------------

PACED_SEND_KBIT_S = 8000    # `udp send ... kbit_s`: far below what the guest sends unpaced here

def boot_virtio_net(r, elf):
    """Issue 7, acceptance 4: serve mode with a virtio-net on QEMU user networking (guest
    10.0.2.15/24, gateway 10.0.2.2) and a UDP host forward to the guest's echo port. The
    guest's own net tests run first (ARP and ping of 10.0.2.2, hostile frames); then the host
    sends PVKIT_NET_ECHO_MIB (default 4) MiB in datagrams of mixed sizes to the echo service
    (a window of 32, lost ones resent) and checks every echoed byte (md5), measures the echo
    round trip, has the guest ping the gateway and send 1 MiB to a host UDP sink (checked),
    reads the guest's counters and powers it off from the console."""
    import hashlib
    import random
    import socket
    import threading

    name = 'pvh-virtio-net'
    log = r.log_path('boot', name)
    mib = float(os.environ.get('PVKIT_NET_ECHO_MIB', '4'))
    net_re = re.compile(r'pvkit: net (eth\d+) mac=([0-9a-f:]{17}) mtu=(\d+) features: '
                        r'sg=(\d) csum=(\d) queues=(\d+) split-evtchn=(\d)')
    ping_re = re.compile(r'pvkit: ping (\S+) sent=(\d+) received=(\d+) corrupt=(\d+) '
                         r'duplicate=(\d+) size=(\d+) rtt_min_us=(\d+) rtt_avg_us=(\d+) '
                         r'rtt_max_us=(\d+) error=(\S+)')
    send_re = re.compile(r'pvkit: udp send (\S+) bytes=(\d+) datagrams=(\d+) waits=(\d+) '
                         r'time_us=(\d+) kbit_s=(\d+) pace_kbit_s=(\d+) error=(\S+)')
    svc_re = re.compile(r'pvkit: net stats services: echo_datagrams=(\d+) echo_bytes=(\d+) '
                        r'echo_errors=(\d+)')

    def udp_socket(port=0, rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.bind(('127.0.0.1', port))
        return s

    probe = udp_socket()
    echo_port = probe.getsockname()[1]      # free now; QEMU binds it for the forward
    probe.close()
    sink = udp_socket(rcvbuf=8 << 20)
    sink_port = sink.getsockname()[1]
    append = '%s=1 ip=10.0.2.15/24 gw=10.0.2.2' % harness.SERVE_PARAM
    cmd = qemu_native('pvh', elf, append) + [
        '-netdev', 'user,id=n0,hostfwd=udp:127.0.0.1:%d-10.0.2.15:7' % echo_port,
        '-device', 'virtio-net-pci,netdev=n0,disable-legacy=on']
    lines, notes, problems = [], [], []
    cond = threading.Condition()
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=SRC, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)

    def reader():
        for raw in proc.stdout:
            with cond:
                lines.append(raw.decode('utf-8', 'replace').rstrip('\r\n'))
                cond.notify_all()
        with cond:
            lines.append(None)              # end of output
            cond.notify_all()

    def wait_for(pattern, timeout, start=0):
        """The first match of @pattern (regex) in lines[start:], or None."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        end = time.monotonic() + timeout
        seen = start
        with cond:
            while True:
                for i in range(seen, len(lines)):
                    if lines[i] is None:
                        return None
                    m = rx.search(lines[i])
                    if m:
                        return m
                seen = len(lines)
                left = end - time.monotonic()
                if left <= 0:
                    return None
                cond.wait(left)

    def command(text, reply, timeout=60):
        with cond:
            start = len(lines)
        proc.stdin.write((text + '\n').encode())
        proc.stdin.flush()
        m = wait_for(reply, timeout, start)
        if not m:
            problems.append('no answer to "%s"' % text)
        return m

    def echo_test(sock):
        """Every byte of @mib MiB comes back intact; returns a summary."""
        rnd = random.Random(20240607)
        total, payloads = int(mib * (1 << 20)), []
        choices = [4, 5, 17, 64, 100, 511, 512, 1000, 1471, 1472]
        while sum(map(len, payloads)) < total:
            n = rnd.choice(choices) if len(payloads) % 2 else rnd.randint(4, 1472)
            seq = len(payloads).to_bytes(4, 'big')
            payloads.append(seq + rnd.randbytes(n - 4))
        got, sent_at = {}, {}
        resent = corrupt = dup = 0
        nxt, window, rto = 0, 32, 0.5
        sock.settimeout(0.02)
        start = time.monotonic()
        deadline = start + 60 + 30 * mib
        while len(got) < len(payloads) and time.monotonic() < deadline:
            while len(sent_at) < window and nxt < len(payloads):
                sock.sendto(payloads[nxt], ('127.0.0.1', echo_port))
                sent_at[nxt] = time.monotonic()
                nxt += 1
            try:
                data = sock.recv(4096)
                seq = int.from_bytes(data[:4], 'big')
                if seq >= len(payloads) or data != payloads[seq]:
                    corrupt += 1
                elif seq in got:
                    dup += 1
                else:
                    got[seq] = data
                    sent_at.pop(seq, None)
            except socket.timeout:
                pass
            now = time.monotonic()
            for seq, t in list(sent_at.items()):
                if now - t > rto:
                    sock.sendto(payloads[seq], ('127.0.0.1', echo_port))
                    sent_at[seq] = now
                    resent += 1
        secs = time.monotonic() - start
        want = hashlib.md5(b''.join(payloads)).hexdigest()
        have = hashlib.md5(b''.join(got.get(i, b'') for i in range(len(payloads)))).hexdigest()
        nbytes = sum(map(len, payloads))
        if have != want or len(got) != len(payloads):
            problems.append('echo: %d of %d datagrams back, md5 %s, sent %s'
                            % (len(got), len(payloads), have, want))
        if corrupt:
            problems.append('echo: %d datagrams came back different' % corrupt)
        notes.append('echo: %d bytes in %d datagrams (4-1472 B) back intact in %.1f s = '
                     '%.0f KiB/s each way, %d resent, %d duplicates, md5 %s'
                     % (nbytes, len(payloads), secs, nbytes / secs / 1024, resent, dup, have))
        return len(payloads), nbytes

    def echo_rtt(sock, count=200):
        sock.settimeout(1.0)
        rtts, lost = [], 0
        for i in range(count):
            d = b'rtt' + i.to_bytes(4, 'big') + bytes(57)
            t = time.monotonic()
            sock.sendto(d, ('127.0.0.1', echo_port))
            try:
                while sock.recv(4096) != d:
                    pass
                rtts.append((time.monotonic() - t) * 1e6)
            except socket.timeout:
                lost += 1
        rtts.sort()
        if rtts:
            notes.append('echo round trip, 64 B, %d in turn: median %.0f us, p99 %.0f us, '
                         'min %.0f us, %d lost' % (count, rtts[len(rtts) // 2],
                                                  rtts[min(len(rtts) - 1, count * 99 // 100)],
                                                  rtts[0], lost))
        if lost > count // 10:
            problems.append('echo round trips: %d of %d lost' % (lost, count))

    sink_got, sink_bad = {}, [0]

    def sink_reader():
        sink.settimeout(0.2)
        while not sink_stop.is_set():
            try:
                d = sink.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            off = int.from_bytes(d[:8], 'big')
            if len(d) < 8 or d[8:] != bytes(((off + i) * 131 >> 3) & 0xff
                                            for i in range(8, len(d))):
                sink_bad[0] += 1
            else:
                sink_got[off] = len(d)

    sink_stop = threading.Event()
    threading.Thread(target=reader, daemon=True).start()
    sink_thread = threading.Thread(target=sink_reader, daemon=True)
    sink_thread.start()
    status = None
    try:
        m = wait_for(harness.READY_RE, BOOT_TIMEOUT)
        if not m:
            problems.append('no "%s" line' % harness.READY_LINE)
        else:
            ready = harness.ready_line([m.group(0)])
            if ready['net'] != ['eth0'] or ready['addr'] != ['10.0.2.15/24']:
                problems.append('the ready line does not name eth0 at 10.0.2.15/24: %s'
                                % ready['line'])
            sock = udp_socket()
            try:
                echo_rtt(sock)
                n, nbytes = echo_test(sock)
            finally:
                sock.close()
            for size in (56, 1472):
                m = command('ping 10.0.2.2 20 %d' % size, ping_re)
                if m and (m.group(3) != '20' or m.group(4) != '0' or m.group(10) != 'none'):
                    problems.append('guest ping of 10.0.2.2 (%d B): %s' % (size, m.group(0)))
                elif m:
                    notes.append('guest ping 10.0.2.2, %d B: rtt min %s avg %s max %s us'
                                 % (size, m.group(7), m.group(8), m.group(9)))
            src_bytes = 1 << 20
            m = command('udp send 10.0.2.2 %d %d 1472' % (sink_port, src_bytes), send_re, 120)
            time.sleep(1.0)                 # what is on its way to the sink
            if m:
                got = sum(sink_got.values())
                if m.group(8) != 'none' or int(m.group(2)) != src_bytes:
                    problems.append('guest source: %s' % m.group(0))
                if got != src_bytes or sink_bad[0]:
                    problems.append('host sink: %d of %d bytes, %d datagrams wrong'
                                    % (got, src_bytes, sink_bad[0]))
                notes.append('guest source: %s bytes to a host socket in %s us = %s kbit/s '
                             '(%s waits for ring space); host got %d bytes intact'
                             % (m.group(2), m.group(5), m.group(6), m.group(4), got))
            # Paced (make bench's paced run): the source must hold the rate, not exceed it.
            pace = PACED_SEND_KBIT_S
            sink_got.clear()                # offsets start at 0 again
            m = command('udp send 10.0.2.2 %d %d 1472 %d' % (sink_port, src_bytes // 2, pace),
                        send_re, 120)
            time.sleep(1.0)
            if m:
                got = sum(sink_got.values())
                if m.group(8) != 'none' or int(m.group(7)) != pace or \
                        int(m.group(6)) > pace * 1.05:
                    problems.append('guest source paced at %d kbit/s: %s' % (pace, m.group(0)))
                if got != src_bytes // 2 or sink_bad[0]:
                    problems.append('host sink, paced: %d of %d bytes, %d datagrams wrong'
                                    % (got, src_bytes // 2, sink_bad[0]))
                notes.append('guest source paced at %d kbit/s: %s kbit/s in %s us; host got %d '
                             'bytes' % (pace, m.group(6), m.group(5), got))
            m = command('net', svc_re)
            if m and int(m.group(1)) < n:
                problems.append('echo service counted %s datagrams, %d were echoed'
                                % (m.group(1), n))
        proc.stdin.write(b'poweroff\n')
        proc.stdin.flush()
        status = proc.wait(timeout=60)
    except (subprocess.TimeoutExpired, BrokenPipeError, OSError) as e:
        problems.append('QEMU: %s' % e)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sink_stop.set()
        sink_thread.join(5)
        sink.close()
    with cond:
        text = '\n'.join(l for l in lines if l is not None)
    with open(log, 'w') as f:
        f.write('$ %s\n%s\n' % (' '.join(cmd), text))
        f.write(''.join('# %s\n' % n for n in notes))
        f.write('# status %s after %.1f s\n' % (status, time.monotonic() - t0))
    rep = harness.parse_console(text)
    disk, net = harness.native_devices(cmd, append)    # the interface is given: net tests test
    problems = harness.judge(rep, entry='pvh', env='native', disk=disk, net=net) + \
        harness.judge_qemu_exit(status) + problems
    for label, bad in harness.test_results(rep, disk, net):
        r.record('boot/%s: guest: %s' % (name, label), bad, log)
    m = net_re.search(text)
    if not m:
        problems.append('no "pvkit: net eth0 mac=..." line')
    elif m.group(2) != '52:54:00:12:34:56' or m.group(3) != '1500' or m.group(6) != '1':
        problems.append('interface line: %s' % m.group(0))
    for n in notes:
        print('      %s' % n, flush=True)
    r.record('boot/%s: virtio-net, UDP echo of %g MiB from the host intact (md5), guest '
             'ping and UDP source' % (name, mib), problems, log)


def suite_boot(r):
    elf = os.path.join(r.build, 'pvkit.elf')
    iso = os.path.join(r.build, 'pvkit.iso')
    boot_native(r, 'pvh', 'pvh', elf, 'pvh', cpus=4)       # both boot paths with 4 CPUs
    boot_native(r, 'grub', 'cdrom', iso, 'multiboot2', cpus=4)
    boot_native(r, 'pvh-fail-on-purpose', 'pvh', elf, 'pvh',
                append='%s=2' % harness.FAIL_TEST_PARAM, expect_fail_test=2)
    boot_serve(r, elf)
    boot_virtio(r, elf)     # issue 6: PCI + virtio-blk
    boot_virtio_undescribed(r, elf)     # issue 12: a disk nobody described is only read
    boot_virtio_net(r, elf)     # issue 7: virtio-net, UDP echo from the host


# ---- build ------------------------------------------------------------------------------

def make(args, log, timeout=900):
    """A make of its own, not a child of the make that runs us (no jobserver inheritance,
    whose warnings would look like the build doing something)."""
    jobs = str(os.cpu_count() or 2)
    env = {k: v for k, v in os.environ.items()
           if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES')}
    return run_logged(['make', '--no-print-directory', '-j' + jobs] + args, log, timeout,
                      env=env)


def build_installs_first(r):
    """A fresh machine: `make run`, `make check` and `make bench` run scripts/install-deps.sh
    before anything looks for the compiler or Debian's `conf` (both missing here), so the
    first line a newcomer sees is the install's, not an error. The install step is a stand-in
    that says so and fails (make must stop there, having created nothing)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        fake = os.path.join(tmp, 'install-deps')
        with open(fake, 'w') as f:
            f.write('#!/bin/sh\necho "install-deps: stand-in ran first"\nexit 1\n')
        os.chmod(fake, 0o755)
        for target in ('run', 'check', 'bench'):
            out = os.path.join(tmp, 'build-' + target)
            log = r.log_path('build', 'fresh-make-' + target)
            status, text = make([target, 'O=' + out, 'KCONFIG_CONF=' + os.path.join(tmp, 'conf'),
                                 'CC=' + os.path.join(tmp, 'gcc'), 'INSTALL_DEPS=' + fake], log)
            lines = [l for l in text.splitlines() if l.strip()]
            problems = []
            if not lines or lines[0] != 'install-deps: stand-in ran first':
                problems.append('first line %r' % (lines[0] if lines else None))
            if status == 0:
                problems.append('make went on after the install failed')
            if os.path.exists(out):
                problems.append('%s created before the install' % out)
            r.record('build: on a fresh machine `make %s` installs before anything else '
                     '(no error first)' % target, problems, log)


def install_deps_quiet(r):
    """scripts/install-deps.sh with dpkg-query, apt-get and id faked on PATH: packages missing
    and apt-get working -> one line naming them, nothing else; apt-get failing -> an error
    with apt's own last lines, status 1; nothing missing -> silence."""
    import tempfile
    script = os.path.join(SRC, 'scripts', 'install-deps.sh')
    cases = [('missing', 'echo "Reading package lists..."; exit 0', 0),
             ('failing', 'echo "Reading package lists..."; [ "$1" = update ] && exit 0; '
              'echo "E: Unable to locate package gcc" >&2; exit 100', 1),
             ('installed', 'exit 0', 0)]
    for what, apt, want_rc in cases:
        with tempfile.TemporaryDirectory() as tmp:
            status_line = 'install ok installed' if what == 'installed' else 'unknown'
            for name, body in (('dpkg-query', 'printf "%s"' % status_line),
                               ('apt-get', apt), ('id', 'echo 0')):
                with open(os.path.join(tmp, name), 'w') as f:
                    f.write('#!/bin/sh\n%s\n' % body)
                os.chmod(os.path.join(tmp, name), 0o755)
            env = dict(os.environ, PATH=tmp + ':' + os.environ.get('PATH', ''))
            log = r.log_path('build', 'install-deps-' + what)
            status, text = run_logged(['sh', script], log, 60, env=env)
            lines = [l for l in text.splitlines() if l.strip()]
            problems = [] if status == want_rc else ['exit status %s, expected %d'
                                                       % (status, want_rc)]
            if what == 'missing' and (len(lines) != 1 or
                                      not lines[0].startswith('install-deps: installing')):
                problems.append('printed %r, expected one "installing" line' % lines)
            if what == 'failing' and not ('install-deps: error:' in text and
                                          'E: Unable to locate package gcc' in text):
                problems.append('no error with apt\'s own words: %r' % lines)
            if what == 'installed' and lines:
                problems.append('printed %r with nothing missing' % lines)
            r.record('build: install-deps.sh, packages %s: %s' % (what, {
                'missing': 'one line, quiet install', 'failing': 'error with apt\'s words',
                'installed': 'silent'}[what]), problems, log)


def suite_build(r):
    build_installs_first(r)
    install_deps_quiet(r)
    cfgdir = os.path.join(SRC, 'configs')
    for cfg in sorted(os.listdir(cfgdir)):
        out = os.path.join(r.build, 'cfg', cfg)
        subprocess.run(['rm', '-rf', out])      # from scratch, as a fresh checkout would
        log = r.log_path('build', 'config-' + cfg)
        target = 'defconfig' if cfg == 'defconfig' else cfg + '_defconfig'
        status, _ = make(['O=' + out, target], log)
        if status == 0:
            status, _ = make(['O=' + out, 'all'], log + '.all')
        r.record('build/%s: configures and builds' % cfg,
                 [] if status == 0 else ['make exited %s' % status], log)
        if status != 0:
            continue
        conf = open(os.path.join(out, '.config')).read()
        if 'CONFIG_NATIVE=y' in conf and 'CONFIG_BOOT_PVH=y' in conf:
            boot_native(r, 'config-' + cfg, 'pvh', os.path.join(out, 'pvkit.elf'), 'pvh')

    # A second make does nothing; touching a header rebuilds exactly its includers.
    out = os.path.join(r.build, 'cfg', 'defconfig')
    log = r.log_path('build', 'incremental')
    status, text = make(['O=' + out, 'all'], log)
    did = [l for l in text.splitlines() if l.strip() and 'Nothing to be done' not in l]
    r.record('build: make twice does nothing the second time',
             [] if status == 0 and not did else
             ['second make printed: %s' % ' | '.join(did)[:300]], log)
    header = 'include/pvkit/cmdline.h'
    includers = set()
    for root, _, files in os.walk(out):
        for f in files:
            if f.endswith('.d') and not root.startswith(os.path.join(out, 'tests', 'unit')):
                deps = open(os.path.join(root, f)).read()
                if re.search(r'(^|\s)%s(\s|\\|$)' % re.escape(header), deps):
                    includers.add(os.path.join(root, f[:-2] + '.o'))
    os.utime(os.path.join(SRC, header))
    log = r.log_path('build', 'touch-header')
    status, text = make(['O=' + out, 'all'], log)
    rebuilt = set(os.path.join(SRC, m.group(1)) if not os.path.isabs(m.group(1)) else m.group(1)
                  for m in re.finditer(r'^\s+(?:CC|AS)\s+(\S+\.o)$', text, re.M))
    includers = set(os.path.join(SRC, os.path.relpath(p, SRC)) for p in includers)
    problems = []
    if status != 0:
        problems.append('make exited %s' % status)
    if not includers:
        problems.append('no object includes %s (dependency files missing?)' % header)
    if rebuilt != includers:
        problems.append('rebuilt %d objects, %d include the header; extra %s, missing %s' % (
            len(rebuilt), len(includers), sorted(rebuilt - includers)[:5],
            sorted(includers - rebuilt)[:5]))
    r.record('build: touching %s rebuilds exactly the %d objects that include it'
             % (header, len(includers)), problems, log)


# ---- xen --------------------------------------------------------------------------------

def suite_xen(r):
    sys.path.insert(0, os.path.join(SRC, 'scripts', 'xenhost'))
    try:
        import xentests
    except ImportError as e:
        r.record('xen: harness available', ['cannot import scripts/xenhost/xentests: %s' % e])
        return
    xentests.run(r, SRC)


# The lifecycle soak at full size (make soak; not part of make check): tests/xen/soak.plan on its
# own host boot. docs/suspend.md "Soak" has its time.
SOAK_TIMEOUT_S = 5400


def suite_library(r):
    """Issue 14: pvkit as a library (scripts/test_library.py)."""
    import test_library
    test_library.suite_library(r, SRC, r.build, run_logged, make, qemu_native, BOOT_TIMEOUT)


def suite_soak(r):
    sys.path.insert(0, os.path.join(SRC, 'scripts', 'xenhost'))
    import xentests
    xentests.run(r, SRC, plan=os.path.join(SRC, 'tests', 'xen', 'soak.plan'), logs_name='soak',
                 timeout=SOAK_TIMEOUT_S)


SUITES = {
    'unit': suite_unit,
    'fuzz': suite_fuzz,
    'harness': suite_harness,
    'boot': suite_boot,
    'build': suite_build,
    'library': suite_library,
    'xen': suite_xen,
    'soak': suite_soak,
}
DEFAULT = ['unit', 'fuzz', 'harness', 'boot', 'build', 'library', 'xen']


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build', default='build')
    ap.add_argument('--suite', action='append', choices=sorted(SUITES),
                    help='run only these suites (repeatable); default: all')
    ap.add_argument('suites', nargs='*', help='same as --suite')
    args = ap.parse_args()
    suites = (args.suite or []) + args.suites or DEFAULT
    for s in suites:
        if s not in SUITES:
            ap.error('unknown suite %s' % s)
    r = Runner(os.path.abspath(args.build))
    start = time.monotonic()
    for s in suites:
        print('== %s' % s, flush=True)
        t0 = time.monotonic()
        SUITES[s](r)
        print('== %s: %.0f s' % (s, time.monotonic() - t0), flush=True)
    print('== total %.0f s' % (time.monotonic() - start))
    if r.failed:
        print('failed:')
        for name in r.failed:
            print('  ' + name)
    print('%d passed, %d failed' % (r.passed, len(r.failed)))
    return 1 if r.failed else 0


if __name__ == '__main__':
    sys.exit(main())
