#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of scripts/harness.py: canned guest consoles, each with the verdict it must get.
A harness that passes a failing guest is worse than none, so most cases here are failures."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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
