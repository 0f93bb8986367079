#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make run`: boot build/pvkit.elf natively under QEMU with its console on this terminal
(PVH through -kernel, then multiboot2 through the GRUB ISO), then as a Xen DomU (PV and PVH)
on the test host of scripts/xenhost/. Each boot ends by itself: the guest runs its self-tests
and powers off."""
import argparse
import os
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU = os.environ.get('QEMU', 'qemu-system-x86_64')


def native(args, what, media):
    print('\n=== pvkit natively under QEMU (%s) ===' % what, flush=True)
    cmd = [QEMU, '-machine', 'q35', '-m', '256', '-display', 'none', '-serial', 'stdio',
           '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'] + media
    status = subprocess.call(cmd, stdin=subprocess.DEVNULL, timeout=300)
    verdict = {1: 'all tests passed', 3: 'a test failed'}.get(status, 'QEMU status %d' % status)
    print('=== %s: %s ===' % (what, verdict), flush=True)
    return status == 1


def xen(args):
    sys.path.insert(0, os.path.join(SRC, 'scripts', 'xenhost'))
    try:
        import xenhost
    except ImportError:
        print('=== Xen host scripts not available: skipping the DomU boots ===')
        return True
    print('\n=== pvkit as Xen DomUs (PV and PVH) on Xen 4.17 under QEMU ===', flush=True)
    print('(building the test host from Debian packages the first time takes a minute)')
    res = xenhost.run_plan(args.image, os.path.join(SRC, "tests", "xen", "run.plan"),
                           os.path.join(os.path.dirname(args.image), 'run-logs', 'xen'),
                           interactive=True)
    ok = bool(res.get('dom0_booted'))
    for c in res.get('cases', []):
        print('=== DomU %s: ended by %s ===' % (c['name'], c['end']))
        ok = ok and c['end'] == 'poweroff'
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--image', default=os.path.join(SRC, 'build', 'pvkit.elf'))
    ap.add_argument('--no-xen', action='store_true', help='only the native boots')
    args = ap.parse_args()
    iso = os.path.splitext(args.image)[0] + '.iso'
    ok = native(args, 'PVH entry, qemu -kernel', ['-kernel', args.image])
    ok = native(args, 'multiboot2 entry, GRUB ISO', ['-cdrom', iso]) and ok
    if not args.no_xen:
        ok = xen(args) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
