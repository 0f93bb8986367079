#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of scripts/harness.py: canned guest consoles, each with the verdict it must get.
A harness that passes a failing guest is worse than none, so most cases here are failures."""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, 'xenhost'))
import harness  # noqa: E402

GOOD = """\x1b[2J\x1b[1;1H  Booting `pvkit'\r
pvkit: boot entry=multiboot2 env=native\r
pvkit: cmdline ""\r
pvkit: pv_ops cpu=native irq=native mmu=native time=native\r
ok 1 - boot: a\r
ok 2 - boot: b\r
ok 3 - traps: c # SKIP not in xen-pv\r
ok 4 - traps: d\r
ok 5 - traps: e\r
ok 6 - traps: f\r
ok 7 - traps: g\r
pvkit: selftest 1 skipped\r
pvkit: selftest 6 passed, 0 failed\r
pvkit: shutdown ok\r
"""


def verdict(text, **kw):
    return harness.judge(harness.parse_console(text), **kw)


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def good_run_passes():
    """a clean run with a skipped test passes"""
    p = verdict(GOOD, entry='multiboot2', env='native')
    assert p == [], p


@case
def wrong_entry_fails():
    """a run through the wrong door fails"""
    p = verdict(GOOD, entry='pvh')
    assert any('expected pvh' in x for x in p), p


@case
def failed_test_fails():
    """one 'not ok' line fails the run and names the test"""
    text = GOOD.replace('ok 4 - traps: d', 'not ok 4 - traps: d').replace(
        '6 passed, 0 failed', '5 passed, 1 failed')
    p = verdict(text)
    assert 'test 4 failed: traps: d' in p and 'summary: 1 failed' in p, p


@case
def lying_summary_fails():
    """a summary that disagrees with the test lines fails"""
    text = GOOD.replace('ok 4 - traps: d', 'not ok 4 - traps: d')
    p = verdict(text)
    assert any('lines say' in x for x in p), p


@case
def missing_summary_fails():
    """a guest that stops before its summary fails"""
    text = GOOD.split('pvkit: selftest 1 skipped')[0]
    p = verdict(text)
    assert 'no selftest summary' in p, p


@case
def missing_boot_line_fails():
    """no boot line, no pass"""
    p = verdict(GOOD.replace('pvkit: boot entry=multiboot2 env=native', ''))
    assert 'no boot line' in p, p


@case
def panic_fails():
    """a panic fails the run even when a summary was printed"""
    p = verdict(GOOD + 'pvkit: panic: unhandled #GP general protection at rip 0x1\n')
    assert any(x.startswith('guest panic') for x in p), p


@case
def too_few_tests_fail():
    """fewer than the minimum number of tests fails"""
    p = verdict(GOOD, min_tests=7)
    assert any('only 6 tests passed' in x for x in p), p


@case
def out_of_sequence_fails():
    """missing test numbers are noticed"""
    text = GOOD.replace('ok 2 - boot: b\r\n', '').replace('6 passed', '5 passed')
    p = verdict(text)
    assert any('out of sequence' in x for x in p), p


@case
def wrong_backends_fail():
    """a guest that chose the wrong pv_ops backends fails, and so does one that never says"""
    p = verdict(GOOD.replace('mmu=native', 'mmu=xen-pv'))
    assert any(x.startswith('pv_ops cpu=native irq=native mmu=xen-pv') for x in p), p
    p = verdict(GOOD.replace('pvkit: pv_ops cpu=native irq=native mmu=native time=native', ''))
    assert 'no pv_ops line' in p, p


@case
def exit_status_judged():
    """QEMU status 1 passes, 3 fails, a timeout and anything else fail"""
    assert harness.judge_qemu_exit(1) == []
    assert harness.judge_qemu_exit(3)
    assert harness.judge_qemu_exit(None) == ['timed out']
    assert harness.judge_qemu_exit(0)


# ---- the skip policy (one for the native and the Xen judge) -------------------------------

# A Xen PV guest's console: two disk tests, one that skipped for lack of a disk, and tests
# that do not apply to Xen (skipped "not in xen-pv").
XEN_BLK_SKIPPED = """pvkit: boot entry=xen-pv env=xen-pv
pvkit: pv_ops cpu=xen-pv irq=xen-pv mmu=xen-pv time=xen
pvkit: evtchn abi=fifo
ok 1 - boot: a
ok 2 - traps: b
ok 3 - pv: c
ok 4 - virtio-blk: reads what the host wrote, on every disk # SKIP not in xen-pv
ok 5 - mm: d
ok 6 - xen: e
#   no writable disk
ok 7 - blk: 64 MiB pattern written in mixed requests, flushed, verified # SKIP nothing to test here
ok 8 - net: the interface has ip='s address # SKIP nothing to test here
ok 9 - blkfront: throughput and latency (measured)
pvkit: selftest 3 skipped
pvkit: selftest 6 passed, 0 failed
pvkit: shutdown ok
"""


class Recorder:
    """Stands in for testrun.Runner: keeps every record."""
    def __init__(self):
        self.records = []

    def record(self, name, problems, log=None):
        self.records.append((name, problems))


def xen_verdict(case_name, console, extra=None):
    """What scripts/xenhost/xentests.py says of tests/xen/plan.txt's case @case_name when its
    domain printed @console and powered off (booted with command line @extra instead of the
    plan's, if given): the records that failed."""
    import xentests
    plan = os.path.join(SRC, 'tests', 'xen', 'plan.txt')
    spec = dict({c['name']: c for c in xentests.xenhost.parse_plan(plan)}[case_name])
    if extra is not None:
        spec['extra'] = extra
    case = {'name': case_name, 'console_lines': console.splitlines(), 'end': 'poweroff',
            'console_complete': True, 'create_rc': 0, 'hook_rc': {}}
    rec = Recorder()
    xentests.judge_case(rec, case, spec, os.path.dirname(plan), '/nonexistent')
    return [(n, p) for n, p in rec.records if p]


@case
def xen_disk_case_fails_skipped_blk_test():
    """Xen judge: pv-blk (cfg has a disk) fails a skipped blk test; pv-selftest passes it"""
    bad = xen_verdict('pv-blk', XEN_BLK_SKIPPED)
    assert any('blk: 64 MiB pattern' in n and 'skipped' in ' '.join(p) for n, p in bad), bad
    assert any('test 7 skipped although the case gives the guest a disk' in ' '.join(p)
               for n, p in bad), bad
    assert not any('virtio-blk' in n for n, p in bad), bad      # "not in xen-pv" is no failure
    assert not any('net: the interface' in n for n, p in bad), bad  # pv-blk has no vif
    assert xen_verdict('pv-selftest', XEN_BLK_SKIPPED) == []


@case
def xen_undescribed_disk_not_given():
    """Xen judge: a disk= case booted without pvkit.xen_blk= does not fail a skipped blk test"""
    plan_extra = [c['extra'] for c in plan_cases() if c['name'] == 'pv-blk'][0]
    assert 'pvkit.xen_blk=rw,ro' in plan_extra.split(), plan_extra
    for extra in ('', 'pvkit.blk_split_kb=0', 'pvkit.xen_blk='):
        bad = xen_verdict('pv-blk', XEN_BLK_SKIPPED, extra=extra)
        assert bad == [], 'command line %r: %s' % (extra, bad)
    bad = xen_verdict('pv-blk', XEN_BLK_SKIPPED, extra='pvkit.xen_blk=ro')
    assert any('test 7 skipped although' in ' '.join(p) for n, p in bad), bad


def plan_cases():
    import xentests
    return xentests.xenhost.parse_plan(os.path.join(SRC, 'tests', 'xen', 'plan.txt'))


@case
def xen_plan_own():
    """Xen plan: own=1 (a lifecycle case owns its domain) needs a hook, reaches dom0's plan"""
    import tempfile
    import xentests
    xh = xentests.xenhost
    with tempfile.TemporaryDirectory() as d:
        for f in ('a.cfg', 'h.sh'):
            open(os.path.join(d, f), 'w').close()
        plan = os.path.join(d, 'plan.txt')
        for line, err in (('c a.cfg 10 own=1 --', 'needs a hook'),
                          ('c a.cfg 10 hook=h.sh own=2 --', 'want 0 or 1'),
                          ('c a.cfg 10 hook=h.sh own=yes --', 'want 0 or 1')):
            with open(plan, 'w') as f:
                f.write(line + '\n')
            try:
                xh.parse_plan(plan)
                raise AssertionError('accepted: %s' % line)
            except xh.PlanError as e:
                assert err in str(e), (line, str(e))
        with open(plan, 'w') as f:
            f.write('a a.cfg 10 hook=h.sh own=1 --\nb a.cfg 10 hook=h.sh --\n')
        cases = xh.parse_plan(plan)
        assert [c['own'] for c in cases] == [True, False], cases
        assert 'OWN' not in cases[0]['vars'], cases[0]['vars']
    # The lifecycle cases of the real plan own their domains.
    owners = [c['name'] for c in plan_cases() if c['own']]
    assert 'pv-save-c' in owners and 'pvh-save-c-xs' in owners, owners


@case
def xen_plan_describes_its_disks():
    """Xen plan: every case with disks describes them as its config and hook attach them"""
    # ... and xvdc of pv-blk.cfg and pvh-blk.cfg, someone's disk, is the one left undescribed.
    xen = os.path.join(SRC, 'tests', 'xen')
    attach_re = re.compile(r'vdev=(xvd[a-z]),access=(rw|ro)')
    seen_undescribed = set()
    for c in plan_cases():
        with open(os.path.join(xen, c['cfg'])) as f:
            cfg = '\n'.join(re.sub(r'#.*', '', l) for l in f.read().splitlines())
        # The plan's command line is the guest's whole command line.
        assert re.search(r'^extra = "@EXTRA@"$', cfg, re.M), c['cfg']
        disks = dict(attach_re.findall(cfg))
        hooked = {}
        if c['hook']:
            with open(os.path.join(xen, c['hook'])) as f:
                hooked = dict(re.findall(r'block-attach .*%s' % attach_re.pattern, f.read()))
        m = re.search(r'(?:^|\s)%s=(\S*)' % re.escape(harness.XEN_DISKS_PARAM), c['extra'])
        if not disks:
            assert not m and not hooked, c['name']
            continue
        assert m, '%s: disks %s, no %s=' % (c['name'], disks, harness.XEN_DISKS_PARAM)
        described = {'xvd' + chr(ord('a') + i): mode
                     for i, mode in enumerate(m.group(1).split(',')) if mode in ('rw', 'ro')}
        for vdev, mode in described.items():
            assert disks.get(vdev, hooked.get(vdev)) == mode, \
                '%s: %s described %s, attached %s' % (c['name'], vdev, mode,
                                                      disks.get(vdev, hooked.get(vdev)))
        for vdev in set(disks) | set(hooked):
            if vdev not in described:
                seen_undescribed.add((c['cfg'], vdev))
        assert harness.xen_devices(cfg, c['extra'])[0], c['name']
    assert seen_undescribed == {('pv-blk.cfg', 'xvdc'), ('pvh-blk.cfg', 'xvdc')}, \
        seen_undescribed


@case
def xen_vif_case_fails_skipped_net_test():
    """Xen judge: pv-net fails a skipped net test; pv-xenstore (pvkit.netfront=0) does not"""
    bad = xen_verdict('pv-net', XEN_BLK_SKIPPED.replace('blk: 64 MiB', 'blk:x 64 MiB'))
    assert any('net: the interface' in n for n, p in bad), bad
    assert not any('blk' in n for n, p in bad), bad
    assert xen_verdict('pv-xenstore', XEN_BLK_SKIPPED) == []


@case
def native_skip_policy():
    """native judge: a skipped blk test fails with a described disk; undescribed: reported"""
    text = XEN_BLK_SKIPPED.replace('xen-pv', 'native').replace('mmu=native time=xen',
                                                                 'mmu=native time=native')
    text = text.replace('entry=native', 'entry=pvh').replace('pvkit: evtchn abi=fifo\n', '')
    qemu = ['qemu-system-x86_64', '-kernel', 'pvkit.elf', '-drive', 'file=d.img,if=virtio']
    disk, net = harness.native_devices(qemu, 'pvkit.virtio_blk=rw')
    assert (disk, net) == (True, False)
    p = verdict(text, entry='pvh', env='native', disk=disk, net=net)
    assert any('test 7 skipped although' in x for x in p), p
    for cmdline in ('', 'pvkit.serve=1'):           # attached, not described
        disk, net = harness.native_devices(qemu, cmdline)
        assert (disk, net) == (False, False)
        p = verdict(text, entry='pvh', env='native', disk=disk, net=net)
        assert p == [], p
        res = dict(harness.test_results(harness.parse_console(text), disk, net))
        label = 'blk: 64 MiB pattern written in mixed requests, flushed, verified ' \
            '(skipped: nothing to test here)'
        assert res.get(label) == [], res
    assert harness.native_devices(qemu[:3] + ['-device', 'virtio-net-pci,netdev=n0'],
                                  'ip=10.0.2.15/24') == (False, True)


@case
def busy_timing_skip_reported():
    """a native timing test skipped 'host too busy to judge' is reported, not failed"""
    busy = 'ok 4 - native: LAPIC one-shot timer fires once at the vector # SKIP %s' \
        % harness.SKIP_BUSY
    text = GOOD.replace('ok 4 - traps: d', busy).replace('selftest 6 passed', 'selftest 5 '
                                                           'passed').replace('1 skipped',
                                                                             '2 skipped')
    p = verdict(text, entry='multiboot2', env='native', disk=True, net=True)
    assert p == [], p
    res = dict(harness.test_results(harness.parse_console(text), True, True))
    label = 'native: LAPIC one-shot timer fires once at the vector (skipped: %s)' \
        % harness.SKIP_BUSY
    assert res.get(label) == [], res
    # The same reason on a disk test, in a case that gives a disk: still a failure.
    text = text.replace('native: LAPIC one-shot timer fires once at the vector',
                        'blk: 64 MiB pattern written')
    p = verdict(text, entry='multiboot2', env='native', disk=True)
    assert any('test 4 skipped although the case gives the guest a disk' in x for x in p), p


@case
def xen_devices_from_configs():
    """Xen configs: a described disk= gives a disk; vif= with ip= and netfront on a network"""
    def cfg(name):
        with open(os.path.join(SRC, 'tests', 'xen', name)) as f:
            return f.read()
    assert harness.xen_devices(cfg('pv-blk.cfg'), 'pvkit.xen_blk=rw,ro') == (True, False)
    assert harness.xen_devices(cfg('pv-blk.cfg'), '') == (False, False)   # not described
    assert harness.xen_devices(cfg('pvh-blk-silent.cfg'),
                               'pvkit.serve=1 pvkit.xen_blk=rw,ro,rw') == (True, False)
    assert harness.xen_devices(cfg('pvh-blk-silent.cfg'), 'pvkit.serve=1') == (False, False)
    assert harness.xen_devices(cfg('pv.cfg'), 'pvkit.xen_blk=rw') == (False, False)
    assert harness.xen_devices(cfg('pv.cfg'), 'ip=10.0.0.2/24') == (False, False)
    assert harness.xen_devices(cfg('pv-net.cfg'), 'pvkit.serve=1 ip=10.0.0.2/24') == \
        (False, True)
    assert harness.xen_devices(cfg('pv-net.cfg'), 'pvkit.serve=1') == (False, False)
    assert harness.xen_devices(cfg('pv-xenstore.cfg'),
                               'pvkit.netfront=0 ip=10.0.0.2/24') == (False, False)
    assert harness.xen_devices('# disk = [ "x" ]\nvif = []\n', 'ip=1.2.3.4/8') == \
        (False, False)


# ---- the guest's command-line options -----------------------------------------------------

KERNEL_DIRS = ('arch', 'paravirt', 'xen-guest', 'drivers', 'kernel', 'init', 'lib',
               'tests/guest', 'include')
FILE_NAMES = {'elf', 'iso', 'lds', 'map', 'cfg', 'results', 'pc'}     # pvkit.elf, not options


def files_under(tops, exts):
    for top in tops:
        path = os.path.join(SRC, top)
        if os.path.isfile(path):
            yield path
            continue
        for root, _, files in os.walk(path):
            for f in files:
                if f.endswith(exts) or f == 'run.plan':
                    yield os.path.join(root, f)


def options_in(paths, pattern, code=False):
    """{option: first file} of the pvkit.<name> matches of @pattern; @code: C, comments out."""
    found = {}
    for p in paths:
        with open(p, errors='replace') as f:
            text = f.read()
        if code:
            text = re.sub(r'/\*.*?\*/|//[^\n]*', ' ', text, flags=re.S)
        for m in re.finditer(pattern, text):
                if m.group(1) not in FILE_NAMES:
                    found.setdefault('pvkit.' + m.group(1), os.path.relpath(p, SRC))
    return found


@case
def every_option_given_is_read():
    """every pvkit.* option scripts, plans, configs and docs give is read by the kernel"""
    read = options_in(files_under(KERNEL_DIRS, ('.c', '.h', '.S')),
                      r'"pvkit\.([a-z][a-z0-9_]*)', code=True)
    # docs/testing.md is left out: its issue-12 record names the dead options it removed.
    given = options_in((p for p in files_under(('scripts', 'tests/xen', 'tests/bench', 'docs',
                                                'README.md', 'Makefile'),
                                               ('.py', '.sh', '.txt', '.cfg', '.md'))
                        if not p.endswith(os.path.join('docs', 'testing.md'))),
                       r'(?<![\w/.-])pvkit\.([a-z][a-z0-9_]*)\b(?!\.\w)')
    assert len(read) >= 10, read
    dead = {o: where for o, where in given.items() if o not in read}
    assert not dead, 'given but read by nothing: %s' % dead


@case
def readme_option_table_is_true():
    """README's table of boot options names exactly the pvkit.* options the kernel reads"""
    read = set(options_in(files_under(KERNEL_DIRS, ('.c', '.h', '.S')),
                          r'"pvkit\.([a-z][a-z0-9_]*)', code=True))
    with open(os.path.join(SRC, 'README.md')) as f:
        rows = [l for l in f.read().splitlines() if l.startswith('| `')]
    table = set(re.findall(r'`(pvkit\.[a-z0-9_]+)', ' '.join(r.split('|')[1] for r in rows)))
    assert table == read, 'README only: %s; kernel only: %s' % (sorted(table - read),
                                                               sorted(read - table))


@case
def ready_line_parsed():
    """the ready line says which disks and interfaces are up; other lines are not it"""
    r = harness.ready_line(['pvkit: net eth0 addr=10.0.0.2/24 gw=none',
                            'pvkit: ready disk=xvda,xvdb net=eth0 addr=10.0.0.2/24\r'])
    assert r['disk'] == ['xvda', 'xvdb'] and r['net'] == ['eth0'], r
    assert r['addr'] == ['10.0.0.2/24'], r
    r = harness.ready_line(['pvkit: ready disk=none net=none addr=none'])
    assert r['disk'] == [] and r['net'] == [] and r['addr'] == [], r
    assert harness.ready_line(['pvkit: ready'])['disk'] == []
    assert harness.ready_line(['pvkit: readying', 'pvkit: echo pvkit: ready']) is None
    assert harness.ready_line([]) is None


def save_image(entries, pages_for=None, truncate=0, bad_len=False, dtype=1):
    """An xl save image: xl header, libxl header, LIBXC_CONTEXT, libxc headers, one
    PAGE_DATA record of @entries (type, pfn), END records."""
    import struct
    cfg = b'{"c_info": {}}'
    img = b'Xen saved domain, xl format\n \0 \r'
    img += struct.pack('<IIII', 0x01020304, 0, 0, len(cfg)) + cfg
    img += struct.pack('>QII', 0x4c6962786c466d74, 2, 0) + struct.pack('<II', 1, 0)
    img += b'\xff' * 8 + struct.pack('>IIHHI', 0x58454E46, 3, 0, 0, 0)
    img += struct.pack('<IHHII', dtype, 12, 0, 4, 17)
    data = [e for e in entries if e[0] not in (0xf, 0xe, 0xd)]
    body = struct.pack('<II', len(entries), 0)
    body += b''.join(struct.pack('<Q', (t << 28) << 32 | pfn) for t, pfn in entries)
    body += b'\x5a' * 4096 * len(data)
    img += struct.pack('<II', 1, len(body) + (8 if bad_len else 0)) + body
    img += struct.pack('<II', 0, 0) + struct.pack('<II', 0, 0)
    return img[:len(img) - truncate] if truncate else img


@case
def save_check_tool():
    """dom0's save-check: a complete PV image passes, one with a page left out fails -n"""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        tool = os.path.join(d, 'save-check')
        subprocess.run(['gcc', '-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror',
                        '-D_GNU_SOURCE', '-o', tool,
                        os.path.join(SRC, 'tests', 'dom0-tools', 'save-check.c')], check=True)

        def run(img, *opts):
            f = os.path.join(d, 'img')
            with open(f, 'wb') as fh:
                fh.write(img)
            p = subprocess.run([tool] + list(opts) + [f], stdout=subprocess.PIPE)
            return p.returncode, p.stdout.decode()

        good = [(0, 0), (1, 1), (4 | 8, 2), (0, 3)]     # data, an L1, a pinned L4, data
        rc, out = run(save_image(good), '-n')
        assert rc == 0 and '4 pfns (up to 4) sent 4 times: 4 with data (2 page tables)' in out, out
        holed = [(0, 0), (0xf, 1), (0, 2)]              # pfn 1 left out (XTAB)
        rc, out = run(save_image(holed), '-n')
        assert rc == 1 and '1 xtab' in out and '1 pages left out' in out, out
        rc, out = run(save_image(holed))               # PVH: holes are normal
        assert rc == 0, out
        for img, what in ((save_image(good, truncate=5), 'truncated'),
                          (save_image(good, bad_len=True), 'PAGE_DATA length'),
                          (b'Xen saved domain, xl format', 'no header'),
                          (save_image([(0, 1 << 24)]), 'pfn past')):
            rc, out = run(img, '-n')
            assert rc == 2 and 'bad image' in out, (what, rc, out)


def main():
    failed = 0
    for n, fn in enumerate(CASES, 1):
        try:
            fn()
            print('ok %d - %s' % (n, fn.__doc__))
        except AssertionError as e:
            failed += 1
            print('not ok %d - %s' % (n, fn.__doc__))
            print('#   %s' % e)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
