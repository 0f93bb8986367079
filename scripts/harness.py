# SPDX-License-Identifier: MIT
"""The host side of the guest <-> harness contract (DESIGN.md §5; the guest side is
include/pvkit/harness.h: change both together).

parse_console() turns a console stream into a GuestReport; judge() says what is wrong with it,
as a list of problems (empty: the run passed). Used by the native boots, the Xen DomU tests and
the benchmarks, so that one definition of "passed" exists.
"""
import re
from dataclasses import dataclass, field

BOOT_RE = re.compile(r'pvkit: boot entry=(\S+) env=(\S+)')
TEST_RE = re.compile(r'^(not ok|ok) (\d+) - (.*?)(?: # SKIP (.*))?$')
SUMMARY_RE = re.compile(r'pvkit: selftest (\d+) passed, (\d+) failed')
EVTCHN_ABI_RE = re.compile(r'pvkit: evtchn abi=(\S+)')
EVTCHN_2L_PARAM = 'pvkit.evtchn=2l'    # forces the 2-level event-channel ABI
PV_OPS_RE = re.compile(r'pvkit: pv_ops cpu=(\S+) irq=(\S+) mmu=(\S+) time=(\S+)')

# The pv_ops backends each environment must choose (docs/pv_ops.md).
PV_OPS_BY_ENV = {
    'native': ('native', 'native', 'native', 'native'),
    'xen-pv': ('xen-pv', 'xen-pv', 'xen-pv', 'xen'),
    'xen-pvh': ('native', 'xen-pvh', 'native', 'xen'),
}
SKIPPED_RE = re.compile(r'pvkit: selftest (\d+) skipped')
PANIC_RE = re.compile(r'pvkit: panic: (.*)')
ERROR_RE = re.compile(r'pvkit: error: (.*)')
ANSI_RE = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]')

FAIL_TEST_PARAM = 'pvkit.fail_test'   # =N: the guest reports test N failed after it ran
DISKS_PARAM = 'pvkit.virtio_blk'      # =rw,ro: natively, the disks attached for the tests
XEN_DISKS_PARAM = 'pvkit.xen_blk'     # =rw,ro,...: under Xen, xvda, xvdb, ... given the tests
NETFRONT_PARAM = 'pvkit.netfront'     # =0: the guest leaves every Xen vif alone
IP_PARAM_RE = re.compile(r'(^|\s)ip(\.\w+)?=')    # ip= / ip.<if>=: an interface to configure
SKIP_ENV_PREFIX = 'not in '           # HARNESS_SKIP_ENV: a test that does not apply here
SKIP_BUSY = 'host too busy to judge'  # HARNESS_SKIP_BUSY: every timing try was disturbed
SERVE_PARAM = 'pvkit.serve'           # =1: stay up after the tests ("pvkit: ready")
READY_LINE = 'pvkit: ready'           # the prefix; then disk=... net=... addr=... (serve.c)
READY_RE = re.compile(r'^pvkit: ready(?: (.*))?$')
ECHO_FMT = 'pvkit: echo %s'           # every console input line comes back like this

# The skip policy, one for every judge: in a case that gives the guest a disk (or a network
# interface) for its tests, a disk (network) test that skipped because it found nothing to test
# is a failure. Elsewhere a skip is reported, not failed; and hardware the case did not give the
# tests (a disk the command line does not describe, a vif netfront is told to leave alone, an
# interface without an address) is no reason to fail. A timing test the host kept too busy
# to judge (SKIP_BUSY: init/selftest.h, ST_BUSY) is reported like any other skip.
DISK_AREAS = ('blk', 'blkfront', 'virtio-blk')
NET_AREAS = ('net', 'netfront', 'virtio-net')

# QEMU isa-debug-exit: status (v << 1) | 1.
QEMU_EXIT_PASS = 1
QEMU_EXIT_FAIL = 3


@dataclass
class GuestTest:
    number: int
    name: str
    ok: bool
    skip: str = None            # why it was skipped, or None


@dataclass
class GuestReport:
    entry: str = None           # from the boot line
    env: str = None
    pv_ops: tuple = None        # (cpu, irq, mmu, time) backend names
    evtchn_abi: str = None      # Xen: "fifo" or "2l"
    tests: list = field(default_factory=list)       # GuestTest, in order seen
    summary: tuple = None       # (passed, failed) from the summary line
    skipped: int = 0
    panics: list = field(default_factory=list)      # panic messages
    errors: list = field(default_factory=list)      # "pvkit: error:" messages
    lines: list = field(default_factory=list)       # the cleaned console lines


def clean_lines(text):
    """Console text -> lines without CR and terminal escapes (GRUB draws a menu)."""
    text = ANSI_RE.sub('', text)
    return [line.rstrip('\r') for line in text.replace('\r\n', '\n').split('\n')]


def parse_console(text):
    rep = GuestReport()
    for line in clean_lines(text):
        rep.lines.append(line)
        m = BOOT_RE.search(line)
        if m and rep.entry is None:
            rep.entry, rep.env = m.group(1), m.group(2)
            continue
        m = TEST_RE.match(line.strip())
        if m:
            rep.tests.append(GuestTest(int(m.group(2)), m.group(3), m.group(1) == 'ok',
                                       m.group(4)))
            continue
        m = PV_OPS_RE.search(line)
        if m and rep.pv_ops is None:
            rep.pv_ops = m.groups()
            continue
        m = EVTCHN_ABI_RE.search(line)
        if m and rep.evtchn_abi is None:
            rep.evtchn_abi = m.group(1)
            continue
        m = SUMMARY_RE.search(line)
        if m:
            rep.summary = (int(m.group(1)), int(m.group(2)))
            continue
        m = SKIPPED_RE.search(line)
        if m:
            rep.skipped = int(m.group(1))
            continue
        m = PANIC_RE.search(line)
        if m:
            rep.panics.append(m.group(1))
        m = ERROR_RE.search(line)
        if m:
            rep.errors.append(m.group(1))
    return rep


def native_devices(qemu_args, cmdline):
    """(disk, net): what a native QEMU case gives the guest's tests. A disk: a virtio drive
    the command line describes (pvkit.virtio_blk=); a network: a NIC with an address (ip=)."""
    args = ' '.join(qemu_args)
    disk = bool(re.search(r'if=virtio|virtio-blk', args)) and \
        bool(re.search(r'(^|\s)%s=\S' % re.escape(DISKS_PARAM), cmdline))
    net = bool(re.search(r'virtio-net|-nic\b', args)) and bool(IP_PARAM_RE.search(cmdline))
    return disk, net


def xen_devices(cfg_text, cmdline):
    """(disk, net): what a Xen case gives the guest's tests. A disk: a disk= line in the xl
    config that the command line describes (pvkit.xen_blk=); a network: a vif= line, an
    address (ip=) and netfront not switched off."""
    cfg = '\n'.join(re.sub(r'#.*', '', l) for l in cfg_text.splitlines())
    disk = bool(re.search(r'^\s*disk\s*=\s*\[\s*[\'"]', cfg, re.M)) and \
        bool(re.search(r'(^|\s)%s=\S' % re.escape(XEN_DISKS_PARAM), cmdline))
    net = bool(re.search(r'^\s*vif\s*=\s*\[\s*[\'"]', cfg, re.M)) and \
        bool(IP_PARAM_RE.search(cmdline)) and '%s=0' % NETFRONT_PARAM not in cmdline.split()
    return disk, net


def skipped_but_given(rep, disk=False, net=False):
    """The tests that skipped for lack of something to test although the case gave the guest
    a disk (@disk) or a network interface (@net): the skip policy above."""
    bad = []
    for t in rep.tests:
        if not t.ok or t.skip is None or t.skip.startswith(SKIP_ENV_PREFIX):
            continue
        area = t.name.split(':')[0]
        if (disk and area in DISK_AREAS) or (net and area in NET_AREAS):
            bad.append(t)
    return bad


def test_results(rep, disk=False, net=False):
    """Each test line as (label, problems) for a per-test record: its name (and why it
    skipped), and [] or why it failed, the skip policy included."""
    idle = skipped_but_given(rep, disk, net)
    out = []
    for t in rep.tests:
        label = t.name + (' (skipped: %s)' % t.skip if t.skip else '')
        out.append((label, ['failed'] if not t.ok else
                    ['skipped although the case gives the guest a disk or a network '
                     'interface'] if t in idle else []))
    return out


def ready_line(lines):
    """Serve mode's first ready line, 'pvkit: ready disk=xvda,xvdb net=eth0 addr=10.0.0.2/24',
    as {'disk': ['xvda', 'xvdb'], 'net': ['eth0'], 'addr': [...], 'line': the line} ("none" and
    a missing field: []); None when no line says ready."""
    for line in lines:
        m = READY_RE.match(line.strip())
        if m:
            kv = dict(w.partition('=')[::2] for w in (m.group(1) or '').split() if '=' in w)
            out = {k: [x for x in kv.get(k, '').split(',') if x and x != 'none']
                   for k in ('disk', 'net', 'addr')}
            out['line'] = line.strip()
            return out
    return None


def judge(rep, entry=None, env=None, min_tests=5, disk=False, net=False):
    """Problems with a guest run, [] when it passed. Checks the boot line, the tests, the
    summary and that they agree with each other, and the skip policy (@disk, @net: the case
    gives the guest a disk, a network interface); the caller adds how the run ended."""
    problems = []
    if rep.entry is None:
        problems.append('no boot line')
    else:
        if entry and rep.entry != entry:
            problems.append('entered through %s, expected %s' % (rep.entry, entry))
        if env and rep.env != env:
            problems.append('environment %s, expected %s' % (rep.env, env))
    want_ops = PV_OPS_BY_ENV.get(env or rep.env)
    if rep.pv_ops is None:
        problems.append('no pv_ops line')
    elif want_ops and tuple(rep.pv_ops) != want_ops:
        problems.append('pv_ops cpu=%s irq=%s mmu=%s time=%s, expected %s'
                        % (rep.pv_ops + (' '.join(want_ops),)))
    for msg in rep.errors:
        problems.append('guest error: %s' % msg)
    for msg in rep.panics:
        problems.append('guest panic: %s' % msg)
    failed = [t for t in rep.tests if not t.ok]
    for t in failed:
        problems.append('test %d failed: %s' % (t.number, t.name))
    for t in skipped_but_given(rep, disk, net):
        problems.append('test %d skipped although the case gives the guest a %s: %s (%s)'
                        % (t.number, 'disk' if t.name.split(':')[0] in DISK_AREAS else
                           'network interface', t.name, t.skip))
    if rep.summary is None:
        problems.append('no selftest summary')
        return problems
    passed_n, failed_n = rep.summary
    ran_ok = len([t for t in rep.tests if t.ok and not t.skip])
    if passed_n != ran_ok or failed_n != len(failed):
        problems.append('summary says %d passed, %d failed; lines say %d and %d'
                        % (passed_n, failed_n, ran_ok, len(failed)))
    if failed_n:
        problems.append('summary: %d failed' % failed_n)
    if passed_n < min_tests:
        problems.append('only %d tests passed, expected at least %d' % (passed_n, min_tests))
    numbers = [t.number for t in rep.tests]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append('test numbers out of sequence: %s' % numbers)
    return problems


def judge_qemu_exit(status):
    """Problems with a native QEMU exit status (isa-debug-exit)."""
    if status == QEMU_EXIT_PASS:
        return []
    if status == QEMU_EXIT_FAIL:
        return ['guest exited with failure (QEMU status 3)']
    if status is None:
        return ['timed out']
    return ['QEMU exit status %s: the guest did not exit through isa-debug-exit' % status]


# ---- hello (examples/hello): a kernel of its own on libpvkit --------------------------------
# It runs none of the reference kernel's self-tests; after pvkit's boot lines it prints its
# own (examples/hello/hello.c): a greeting, a line per disk and per interface, a line per
# writable disk it wrote, read back and restored, and a summary; then it powers off, or with
# pvkit.serve=1 it serves (UDP echo) until asked to stop.
HELLO_GREETING_RE = re.compile(r'^hello: greetings from a kernel on pvkit (\S+) '
                               r'\(entry=(\S+) env=(\S+)\)$')
HELLO_DISK_RE = re.compile(r'^hello: disk (\S+): (\d+) sectors of (\d+) bytes(, read-only)?$')
HELLO_CHECKED_RE = re.compile(r'^hello: disk (\S+): wrote, read back and restored sector '
                              r'(\d+): ok$')
HELLO_DISK_LINE_RE = re.compile(r'^hello: disk (\S+): ')
HELLO_IFACE_RE = re.compile(r'^hello: iface (\S+): mac (\S+) mtu (\d+) carrier (up|down)$')
HELLO_SUMMARY_RE = re.compile(r'^hello: (ok|FAIL) disks=(\d+) ifaces=(\d+) checked=(\d+) '
                              r'failed=(\d+)$')
HELLO_SERVING = 'hello: serving: UDP echo on port 7 until asked to stop'
HELLO_STOPPING_RE = re.compile(r'^hello: stopping \((poweroff|reboot)\)$')
SHUTDOWN_OK = 'pvkit: shutdown ok'


def judge_hello(text, entry=None, env=None, disks=0, ifaces=0, checked=0, macs=None,
                serve=False):
    """Problems with a run of hello, [] when it passed: pvkit's boot line (through @entry
    into @env) before hello's first line; the greeting saying the same; exactly @disks disk
    lines, @ifaces interface lines (carrier up; their MACs @macs, if given), @checked disks
    written, read back and restored; a summary "hello: ok" with those numbers and failed=0;
    no panic, no error, none of the reference kernel's self-test lines (the case booted the
    wrong image); with @serve its serving line after the summary, then "hello: stopping
    (poweroff)"; without, neither; and "pvkit: shutdown ok" at the end. The caller adds how
    the domain ended."""
    rep = parse_console(text)
    lines = [l.strip() for l in rep.lines]
    problems = []
    hello_at = [i for i, l in enumerate(lines) if l.startswith('hello: ')]
    boot_at = [i for i, l in enumerate(lines) if BOOT_RE.search(l)]
    if not boot_at:
        problems.append('no boot line')
    else:
        if entry and rep.entry != entry:
            problems.append('entered through %s, expected %s' % (rep.entry, entry))
        if env and rep.env != env:
            problems.append('environment %s, expected %s' % (rep.env, env))
        if hello_at and hello_at[0] < boot_at[0]:
            problems.append('hello spoke before pvkit\'s boot line')
    if not hello_at:
        problems.append('no line from hello at all')
    for msg in rep.errors:
        problems.append('guest error: %s' % msg)
    for msg in rep.panics:
        problems.append('guest panic: %s' % msg)
    if rep.tests or rep.summary or ready_line(lines):
        problems.append('the reference kernel\'s self-test or ready lines: this is not hello')

    greet = [HELLO_GREETING_RE.match(l) for l in lines]
    greet = [m for m in greet if m]
    if len(greet) != 1:
        problems.append('%d greeting lines, expected 1' % len(greet))
    elif rep.entry and greet[0].group(2, 3) != (rep.entry, rep.env):
        problems.append('hello says entry=%s env=%s, the boot line %s %s'
                        % (greet[0].group(2), greet[0].group(3), rep.entry, rep.env))

    disk_lines = [m for m in map(HELLO_DISK_RE.match, lines) if m]
    done = [m for m in map(HELLO_CHECKED_RE.match, lines) if m]
    for l in lines:
        if HELLO_DISK_LINE_RE.match(l) and not (HELLO_DISK_RE.match(l) or
                                                HELLO_CHECKED_RE.match(l)):
            problems.append('hello: %s' % l[len('hello: '):])
    if len(disk_lines) != disks:
        problems.append('%d disks listed, the case gives %d' % (len(disk_lines), disks))
    if len(done) != checked:
        problems.append('%d disks written, read back and restored, the case gives %d '
                        'writable' % (len(done), checked))
    iface_lines = [m for m in map(HELLO_IFACE_RE.match, lines) if m]
    if len(iface_lines) != ifaces:
        problems.append('%d interfaces listed, the case gives %d' % (len(iface_lines), ifaces))
    for m in iface_lines:
        if m.group(4) != 'up':
            problems.append('interface %s: carrier down' % m.group(1))
    if macs is not None and sorted(m.group(2).lower() for m in iface_lines) != \
            sorted(x.lower() for x in macs):
        problems.append('interface MACs %s, the case gives %s'
                        % (' '.join(m.group(2) for m in iface_lines) or 'none', ' '.join(macs)))

    summary_at = [i for i, l in enumerate(lines) if HELLO_SUMMARY_RE.match(l)]
    if len(summary_at) != 1:
        problems.append('%d hello summary lines ("hello: ok|FAIL disks=..."), expected 1'
                        % len(summary_at))
    else:
        m = HELLO_SUMMARY_RE.match(lines[summary_at[0]])
        if m.group(1) != 'ok':
            problems.append('hello says FAIL: %s' % lines[summary_at[0]])
        got = tuple(int(x) for x in m.group(2, 3, 4, 5))
        if got != (disks, ifaces, checked, 0):
            problems.append('summary disks=%d ifaces=%d checked=%d failed=%d, expected '
                            'disks=%d ifaces=%d checked=%d failed=0' % (got + (disks, ifaces,
                                                                               checked)))
    after = summary_at[0] if len(summary_at) == 1 else len(lines)
    serving = [i for i, l in enumerate(lines) if l == HELLO_SERVING]
    stopping = [i for i, l in enumerate(lines) if HELLO_STOPPING_RE.match(l)]
    if serve:
        if not serving or serving[0] < after:
            problems.append('never said "%s" after its summary' % HELLO_SERVING)
        else:
            after = serving[0]
            stop = [i for i in stopping if i > after]
            if not stop:
                problems.append('never said "hello: stopping (poweroff)" after serving')
            else:
                after = stop[0]
                if lines[after] != 'hello: stopping (poweroff)':
                    problems.append('stopped with "%s", expected poweroff' % lines[after])
    elif serving or stopping:
        problems.append('served or stopped without pvkit.serve=1')
    if not any(i > after for i, l in enumerate(lines) if l == SHUTDOWN_OK):
        problems.append('no "%s" at the end' % SHUTDOWN_OK)
    return problems
