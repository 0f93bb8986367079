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
    # A case booting another image (image=hello) runs no self-tests: pvkit.xen_blk= means
    # nothing to it; its config must give it a writable disk and a vif (xentests judges them).
    import xentests
    xen = os.path.join(SRC, 'tests', 'xen')
    attach_re = re.compile(r'vdev=(xvd[a-z]),access=(rw|ro)')
    seen_undescribed = set()
    for c in plan_cases():
        text = xentests.config_text(xen, c['cfg'])      # derived from its example, if any
        cfg = '\n'.join(re.sub(r'#.*', '', l) for l in text.splitlines())
        # The plan's command line is the guest's whole command line.
        assert re.search(r'^extra = "@EXTRA@"$', cfg, re.M), c['cfg']
        if c['image']:
            disks, vifs = xentests.config_devices(text)
            assert ('xvda', 'rw') in disks and vifs, (c['name'], disks, vifs)
            continue
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


# ---- hello (examples/hello) on the example configs (examples/xen) ---------------------------

# hello as a Xen PV DomU, as tests/xen/plan.txt's hello-pv printed it on the test host
# (abridged: pvkit's boot lines between the first and the greeting).
HELLO_PV = """pvkit: boot entry=xen-pv env=xen-pv
pvkit: cmdline "ip=10.0.0.2/24 gw=10.0.0.1"
pvkit: pv_ops cpu=xen-pv irq=xen-pv mmu=xen-pv time=xen
pvkit: evtchn abi=fifo
pvkit: blk xvda sectors=32768 sector-size=512 ro=0 features: ring-pages=16 indirect=256
pvkit: net eth0 mac=00:16:3e:00:07:20 mtu=1500 features: sg=1 csum=1 queues=1 split-evtchn=1
pvkit: net eth0 addr=10.0.0.2/24 gw=10.0.0.1
hello: greetings from a kernel on pvkit 0.14.0 (entry=xen-pv env=xen-pv)
hello: disk xvda: 32768 sectors of 512 bytes
hello: iface eth0: mac 00:16:3e:00:07:20 mtu 1500 carrier up
hello: disk xvda: wrote, read back and restored sector 1: ok
hello: ok disks=1 ifaces=1 checked=1 failed=0
pvkit: shutdown ok
pvkit: hypercalls total=1470: set_trap_table=1 mmu_update=132 sched_op=353
"""

# hello-pvh-serve: PVH, pvkit.serve=1, a console line from dom0, xl shutdown.
HELLO_PVH_SERVE = HELLO_PV.replace('entry=xen-pv env=xen-pv', 'entry=pvh env=xen-pvh').replace(
    'cpu=xen-pv irq=xen-pv mmu=xen-pv', 'cpu=native irq=xen-pvh mmu=native').replace(
    '00:07:20', '00:07:23').replace('"ip=', '"pvkit.serve=1 ip=').replace(
    'failed=0\npvkit: shutdown ok', 'failed=0\n'
    'hello: serving: UDP echo on port 7 until asked to stop\n'
    'hello: console: "hi from dom0" (poweroff, reboot)\n'
    'pvkit: control: poweroff requested\n'
    'hello: stopping (poweroff)\n'
    'pvkit: shutdown ok')


def xen_case_verdict(case_name, console, **case):
    """xen_verdict with the case's result fields (end, hook_rc, ...) as given."""
    import xentests
    plan = os.path.join(SRC, 'tests', 'xen', 'plan.txt')
    spec = {c['name']: c for c in xentests.xenhost.parse_plan(plan)}[case_name]
    res = dict({'name': case_name, 'console_lines': console.splitlines(), 'end': 'poweroff',
                'console_complete': True, 'create_rc': 0, 'hook_rc': {}}, **case)
    rec = Recorder()
    xentests.judge_case(rec, res, spec, os.path.dirname(plan), '/nonexistent')
    assert len(rec.records) == 1, rec.records
    return rec.records[0][1]


@case
def hello_judged_by_its_lines():
    """Xen judge: hello passes on its own lines; FAIL, no disk, no lines, the wrong image fail"""
    assert xen_case_verdict('hello-pv', HELLO_PV) == []
    assert xen_case_verdict('hello-pvh-serve', HELLO_PVH_SERVE) == []
    pvh = HELLO_PV.replace('entry=xen-pv env=xen-pv', 'entry=pvh env=xen-pvh').replace(
        '00:07:20', '00:07:21')
    assert xen_case_verdict('hello-pvh', pvh) == []

    def fails(case_name, console, want, **res):
        p = xen_case_verdict(case_name, console, **res)
        assert any(want in x for x in p), (want, p)

    # hello says FAIL (a disk that did not read back)
    fails('hello-pv', HELLO_PV.replace(
        'hello: disk xvda: wrote, read back and restored sector 1: ok',
        'hello: disk xvda: read back differs').replace('hello: ok disks=1 ifaces=1 checked=1 '
                                                       'failed=0', 'hello: FAIL disks=1 '
                                                       'ifaces=1 checked=1 failed=1'),
          'hello says FAIL')
    fails('hello-pv', HELLO_PV.replace('ok disks=1', 'FAIL disks=1'), 'hello says FAIL')
    # no disk found (blkfront connected nothing): the case gives one
    no_disk = '\n'.join(l for l in HELLO_PV.splitlines() if 'xvda' not in l).replace(
        'disks=1 ifaces=1 checked=1', 'disks=0 ifaces=1 checked=0') + '\n'
    fails('hello-pv', no_disk, '0 disks listed, the case gives 1')
    fails('hello-pv', no_disk, 'summary disks=0')
    # no interface found
    fails('hello-pv', HELLO_PV.replace('hello: iface eth0: mac 00:16:3e:00:07:20 mtu 1500 carrier '
                                       'up\n', ''), '0 interfaces listed')
    fails('hello-pv', HELLO_PV.replace('carrier up', 'carrier down'), 'carrier down')
    fails('hello-pv', HELLO_PV.replace('mac 00:16:3e:00:07:20', 'mac 00:16:3e:00:07:99'),
          'interface MACs')
    # never printed its lines: pvkit's boot lines only, or nothing at all
    pvkit_only = '\n'.join(l for l in HELLO_PV.splitlines() if not l.startswith('hello:'))
    fails('hello-pv', pvkit_only, 'no line from hello at all')
    fails('hello-pv', pvkit_only, 'hello summary lines')
    fails('hello-pv', '', 'no boot line')
    # the reference kernel booted instead (its self-tests, no hello lines)
    fails('hello-pv', XEN_BLK_SKIPPED, 'this is not hello')
    # through the wrong door; stopped early; no shutdown line
    fails('hello-pvh', HELLO_PV, 'entered through xen-pv, expected pvh')
    fails('hello-pv', HELLO_PV.replace('pvkit: shutdown ok', 'pvkit: shutdown fail'),
          'no "pvkit: shutdown ok"')
    fails('hello-pv', HELLO_PV + 'pvkit: panic: unhandled #PF\n', 'guest panic')
    # serve: never served, never stopped; a non-serve case that served
    fails('hello-pvh-serve', HELLO_PVH_SERVE.replace('hello: stopping (poweroff)\n', ''),
          'never said "hello: stopping (poweroff)"')
    fails('hello-pvh-serve', pvh.replace('00:07:21', '00:07:23'), 'never said "hello: serving')
    fails('hello-pvh', HELLO_PVH_SERVE.replace('00:07:23', '00:07:21'), 'served or stopped')
    # how the domain ended, the hook
    fails('hello-pv', HELLO_PV, 'domain ended by crash', end='crash')
    fails('hello-pv', HELLO_PV, 'hook post: rc 1: FAIL: xvda: the image changed',
          hook_rc={'post': 1}, hook_output={'post': ['FAIL: xvda: the image changed']})


def example_settings(text):
    import xenhost
    return {(k, s): v for _, k, s, v in xenhost._settings('x', text, dotted=True)}


@case
def hello_configs_are_the_examples():
    """Xen plan: hello-pv.cfg, hello-pvh.cfg are examples/xen's configs but for the listed keys"""
    import xenhost
    import xentests
    xen = os.path.join(SRC, 'tests', 'xen')
    derived = {}
    for c in plan_cases():
        if c['image'] != 'hello':
            continue
        with open(os.path.join(xen, c['cfg'])) as f:
            ex = xenhost.FROM_EXAMPLE_RE.search(f.read()).group(1)
        derived[c['cfg']] = ex
        with open(os.path.join(SRC, ex)) as f:
            example = example_settings(f.read())
        got = example_settings(xentests.config_text(xen, c['cfg']))
        for (k, s), v in example.items():
            if k in xenhost.DERIVE_KEYS:
                continue
            if k in xenhost.DERIVE_SUBKEYS:       # the spec's other keys as the example's
                drop = xenhost.DERIVE_SUBKEYS[k]

                def rest(val):
                    spec = re.findall(r"'([^']*)'", val)[0]
                    spec = spec.split(',target=')[0]
                    return sorted(t for t in spec.split(',') if t.partition('=')[0] not in drop)
                assert rest(got[(k, s)]) == rest(v), (c['cfg'], k, got[(k, s)], v)
                continue
            assert got.get((k, s)) == v, (c['cfg'], k, got.get((k, s)), v)
        assert set(k for k, _ in got) - set(k for k, _ in example) <= set(xenhost.DERIVE_KEYS)
        assert got[('type', None)] == example[('type', None)]
    assert derived == {'hello-pv.cfg': 'examples/xen/pvkit-pv.cfg',
                       'hello-pvh.cfg': 'examples/xen/pvkit-pvh.cfg'}, derived
    # The examples' own command line is what the serve cases boot.
    for cfg, ex in derived.items():
        with open(os.path.join(SRC, ex)) as f:
            extra = example_settings(f.read())[('extra', None)].strip('"')
        assert any(c['cfg'] == cfg and c['extra'] == extra for c in plan_cases()), (cfg, extra)


@case
def derived_config_rules():
    """Xen plan: a derived config may set only the listed keys; the example one line a setting"""
    import tempfile
    import xenhost
    ex_rel = 'examples/xen/pvkit-pv.cfg'
    with tempfile.TemporaryDirectory() as d:
        def derive(body):
            t = os.path.join(d, 't.cfg')
            with open(t, 'w') as f:
                f.write('# from-example: %s\n%s' % (ex_rel, body))
            return xenhost.config_template(d, 't.cfg')

        def refused(body, want):
            try:
                derive(body)
                raise AssertionError('accepted: %r' % body)
            except xenhost.PlanError as e:
                assert want in str(e), (body, str(e))
        text = derive('name = "x"\nvif.mac = "00:16:3e:00:00:01"\ndisk.target = "/a b.img"\n'
                      'tsc_mode = "native"\n')
        assert re.search(r'^name = "x"$', text, re.M), text
        assert "vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:01' ]" in text, text
        assert "disk = [ 'format=raw,vdev=xvda,access=rw,target=/a b.img' ]" in text, text
        assert re.search(r'adds \(not in the example\):\ntsc_mode = "native"$', text, re.M), text
        refused('memory = 64\n', 'may set only')
        refused('disk.vdev = "xvdb"\n', 'may set only')
        refused('usb.x = "1"\n', 'may set only')
        refused('name = \n', "one 'key = value'")
        # an example with two disks, or a list over several lines
        ex = os.path.join(d, 'ex.cfg')
        for body, want in (("disk = [ 'vdev=xvda,target=/a', 'vdev=xvdb,target=/b' ]\n",
                            'exactly one disk'),
                           ("disk = [ 'vdev=xvda,target=/a',\n 'vdev=xvdb,target=/b' ]\n",
                            "one 'key = value'")):
            with open(ex, 'w') as f:
                f.write('name = "e"\n' + body)
            t = os.path.join(d, 't.cfg')
            with open(t, 'w') as f:
                f.write('# from-example: ex.cfg\ndisk.target = "/c"\n')
            try:
                xenhost.config_template(d, 't.cfg', src=d)
                raise AssertionError('accepted example %r' % body)
            except xenhost.PlanError as e:
                assert want in str(e), (body, str(e))


@case
def hello_image_reaches_dom0():
    """xenhost: image=hello boots build/examples/hello/hello.elf, /pvkit/images/hello.elf in dom0"""
    import tempfile
    import xenhost
    xh = xenhost
    cases = [c for c in plan_cases() if c['image'] == 'hello']
    assert len(cases) >= 3, cases
    with tempfile.TemporaryDirectory() as d:
        image = os.path.join(d, 'pvkit.elf')
        try:
            xh.resolve_images(image, cases)
            raise AssertionError('a missing hello.elf was accepted')
        except xh.XenHostError as e:
            assert 'make examples' in str(e), str(e)
        hello = os.path.join(d, 'examples', 'hello', 'hello.elf')
        os.makedirs(os.path.dirname(hello))
        for p in (image, hello):
            with open(p, 'wb') as f:
                f.write(b'\x7fELF' + os.path.basename(p).encode())
        assert xh.resolve_images(image, cases) == {'hello': hello}
        other = os.path.join(d, 'other.elf')
        open(other, 'wb').close()
        assert xh.resolve_images(image, cases, {'hello': other}) == {'hello': other}
        try:
            xh.resolve_images(image, [dict(cases[0], image='nosuch')])
            raise AssertionError('an unknown image was accepted')
        except xh.XenHostError as e:
            assert 'no such image' in str(e), str(e)
        plan = os.path.join(SRC, 'tests', 'xen', 'plan.txt')
        text, _ = xh.render_config(cases[0], os.path.dirname(plan), 'pvkit.elf')
        assert re.search(r'^kernel = "/pvkit/images/hello.elf"$', text, re.M), text
        cpio = xh.make_overlay(image, plan, [dict(c) for c in cases], 60,
                               images={'hello': hello})
        assert b'pvkit/images/hello.elf\0' in cpio and b'\x7fELFhello.elf' in cpio
        assert b'pvkit/image/hello.elf' not in cpio     # the reference kernel's directory


@case
def libvirt_example_is_the_pv_example():
    """examples/xen/pvkit.xml: well-formed libvirt XML (libxl, PV) saying what pvkit-pv.cfg says"""
    import xml.etree.ElementTree as ET
    ex = os.path.join(SRC, 'examples', 'xen')
    root = ET.parse(os.path.join(ex, 'pvkit.xml')).getroot()
    with open(os.path.join(ex, 'pvkit-pv.cfg')) as f:
        cfg = {k: v.strip('"\'') for (k, s), v in example_settings(f.read()).items()}
    assert root.tag == 'domain' and root.get('type') == 'xen', root.attrib
    t = root.find('os/type')
    assert (t.get('arch'), t.get('machine'), t.text) == ('x86_64', 'xenpv', 'linux'), t.attrib
    assert root.findtext('os/kernel') == cfg['kernel'], root.findtext('os/kernel')
    assert root.findtext('os/cmdline') == cfg['extra'], root.findtext('os/cmdline')
    mem = root.find('memory')
    assert (mem.get('unit'), mem.text) == ('MiB', cfg['memory']), (mem.attrib, mem.text)
    assert root.findtext('vcpu') == cfg['vcpus']
    for action in ('on_poweroff', 'on_reboot', 'on_crash'):
        assert root.findtext(action) == cfg[action], action
    disks = root.findall('devices/disk')
    spec = dict(t.partition('=')[::2] for t in cfg['disk'].strip("[ ']").split(','))
    assert len(disks) == 1 and disks[0].get('device') == 'disk', disks
    assert disks[0].find('source').get('file') == spec['target']
    assert disks[0].find('target').attrib == {'dev': spec['vdev'], 'bus': 'xen'}
    assert (disks[0].find('readonly') is None) == (spec['access'] == 'rw')
    ifs = root.findall('devices/interface')
    vif = dict(t.partition('=')[::2] for t in cfg['vif'].strip("[ ']").split(','))
    assert len(ifs) == 1 and ifs[0].get('type') == 'bridge', ifs
    assert ifs[0].find('source').get('bridge') == vif['bridge']


# ---- the guest's command-line options -----------------------------------------------------

KERNEL_DIRS = ('arch', 'paravirt', 'xen-guest', 'drivers', 'kernel', 'init', 'lib',
               'tests/guest', 'include')
FILE_NAMES = {'elf', 'iso', 'lds', 'map', 'cfg', 'results', 'pc', 'xml'}  # pvkit.elf: no options


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
