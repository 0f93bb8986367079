#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Mutation check of tests/unit/test_xenstore.c (docs/xenstore.md): each mutant below breaks
one check of xs_proto.c, xenstore.c or xenbus.c; it is built out of tree (copies in a temp
directory, the tree is never touched) with the hosted test and must make a case fail (or ASan
abort). `python3 tests/unit/xenstore_mutants.py [N...]` after `make unit-build`. Exit 1 when a
mutant survives."""
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = ['xen-guest/xs_proto.c', 'xen-guest/xenstore.c', 'xen-guest/xenbus.c']
MUTANTS = [
  ('xen-guest/xs_proto.c', 'if (avail > XENSTORE_RING_SIZE) {', 'if (0 && avail > XENSTORE_RING_SIZE) {', 'rsp index jump unchecked'),
  ('xen-guest/xs_proto.c', 'c->rx_hdr.len > XENSTORE_PAYLOAD_MAX) {', 'c->rx_hdr.len > 0xffffffffu) {', 'payload length unchecked'),
  ('xen-guest/xs_proto.c', '&& h->req_id == c->pend.req_id;', ';', 'req_id not matched'),
  ('xen-guest/xs_proto.c', 'if (!len || p[len - 1])\n\t\treturn -EBADMSG;\n\treturn len == 3', 'if (!len)\n\t\treturn -EBADMSG;\n\treturn len >= 2', 'ack NUL not required'),
  ('xen-guest/xs_proto.c', 'if (len && p[len - 1])\n\t\treturn -EBADMSG;\n\tfor', 'if (0)\n\t\treturn -EBADMSG;\n\tfor', 'directory NUL not required'),
  ('xen-guest/xs_proto.c', 'if (plen == 0 || plen + 2 > len - 1 ||', 'if (plen == 0 ||', 'event needs no token'),
  ('xen-guest/xs_proto.c', 'return type < XS_TYPE_COUNT && type != XS_SET_TARGET + 1;', 'return true;', 'unknown types accepted'),
  ('xen-guest/xs_proto.c', 'if (used > XENSTORE_RING_SIZE) {\t/* consumer', 'if (0) {\t/* consumer', 'req_cons unchecked'),
  ('xen-guest/xs_proto.c', 'uint32_t first = MIN(n, XENSTORE_RING_SIZE - off);\n\n\tmemcpy(dst', 'uint32_t first = n;\n\n\tmemcpy(dst', 'rx ignores the ring end'),
  ('xen-guest/xs_proto.c', 'uint32_t first = MIN(n, XENSTORE_RING_SIZE - off);\n\n\tmemcpy(ring', 'uint32_t first = n;\n\n\tmemcpy(ring', 'tx ignores the ring end'),
  ('xen-guest/xs_proto.c', 'return -xsd_errors[i].errnum;\n\treturn -EIO;', 'return -xsd_errors[i].errnum;\n\treturn -EINVAL;', 'unknown error string -EINVAL'),
  ('xen-guest/xs_proto.c', 'c->evq_overflow = true;', '(void)0;', 'overflow not flagged'),
  ('xen-guest/xs_proto.c', 'if (poisoned) {\t\t/* skip', 'if (0) {\t\t/* skip', 'no skip after a bad header'),
  ('xen-guest/xs_proto.c', 'c->pend = (struct xs_pending){ 0 };', 'c->pend = (struct xs_pending){ 0 }; c->tx_len = c->tx_off = 0;', 'half-written request dropped on timeout'),
  ('xen-guest/xs_proto.c', 'if (xs_parse_ulong(p, len - 1, &id) || id == 0', 'if (0', 'txn id unchecked'),
  ('xen-guest/xenstore.c', '\tif (in || out > 0)\n\t\tevtchn_send(xs.port);', '', 'never kicks the daemon'),
  ('xen-guest/xenstore.c', 'static void xs_event(evtchn_port_t port, void *ctx)\n{\n\txs_pump();', 'static void xs_event(evtchn_port_t port, void *ctx)\n{\n\txs_pump();\n\txs_poll();', 'callbacks in the upcall'),
  ('xen-guest/xenstore.c', 'if (!strcmp(w->token, token))', 'if (1)', 'token ignored'),
  ('xen-guest/xenstore.c', '\t\t\tif (err != -EAGAIN)\n\t\t\t\treturn err;\n\t\t}\n', '\t\t\treturn err;\n\t\t}\n', 'no retry on commit EAGAIN'),
  ('xen-guest/xenstore.c', 'if (retries++ == XS_TXN_RETRIES)', 'if (retries++ == 1000)', 'retries unbounded'),
  ('xen-guest/xenstore.c', 'if (n >= size)\n\t\treturn -E2BIG;', 'if (n > size)\n\t\treturn -E2BIG;', 'read off by one'),
  ('xen-guest/xenstore.c', 'if (xs.polling)\n\t\treturn -EDEADLK;', '', 'wait from callback'),
  ('xen-guest/xenstore.c', '"pvk%u", xs.next_token++);', '"pvk%u", xs.next_token);', 'tokens reused'),
  ('xen-guest/xenstore.c', 'if (lost)\n\t\t\tran += xs_rerun_all();', '', 'overflow ignored'),
  ('xen-guest/xenstore.c', 'if (!value)\n\t\treturn -EINVAL;', '', 'NULL value sent'),
  ('xen-guest/xenbus.c', '\tsnprintf(want, sizeof(want), "/%u/%s", domid, id);\n\treturn strcmp(p, want) ? -EPROTO : 0;', '\treturn 0;', 'backend tail unchecked'),
  ('xen-guest/xenbus.c', 'if (strncmp(path, want, n))', 'if (0)', 'backend prefix unchecked'),
  ('xen-guest/xenbus.c', 'if (err)\n\t\treturn err;\t\t/* -ENOENT', 'if (err && err != -ENOENT)\n\t\treturn err;\t\t/* -ENOENT', 'switch recreates state'),
  ('xen-guest/xenbus.c', 'if (cur == sw->state)\n\t\treturn 0;', '', 'switch always writes'),
  ('xen-guest/xenbus.c', '\t\treturn -EPIPE;\n\treturn 1;', '\t\treturn 1;\n\treturn 1;', 'no early -EPIPE'),
  ('xen-guest/xenbus.c', '&& !(mask & XENBUS_CLOSING_BITS))', ')', 'closing while waiting for Closed'),
  ('xen-guest/xenbus.c', '\tif (own)\n\t\txenbus_unwatch_otherend(dev);', '', 'wait leaks its watch'),
  ('xen-guest/xenbus.c', 'if (v > XenbusStateReconfigured)', 'if (0)', 'state range unchecked'),
]
CFLAGS = ('-std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined '
          '-fno-sanitize-recover=all -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare '
          '-Iinclude -Ibuild/include -Itests/unit -D__XEN_INTERFACE_VERSION__=0x00040e00').split()


def write_mutant(tmp, path, old, new):
    """Copies of FILES in tmp, @path with @old replaced by @new. False if @old is not unique."""
    for f in FILES:
        text = open(os.path.join(SRC, f)).read()
        if f == path:
            if text.count(old) != 1:
                return False
            text = text.replace(old, new)
        text = text.replace('#include "xs_proto.h"', '#include "%s/xen-guest/xs_proto.h"' % SRC)
        with open(os.path.join(tmp, os.path.basename(f)), 'w') as out:
            out.write(text)
    return True


def run_mutant(tmp):
    """Build and run the test against the copies: (verdict, failed case names)."""
    exe = os.path.join(tmp, 'test')
    cmd = ['gcc'] + CFLAGS + ['-I' + os.path.join(SRC, 'xen-guest'), '-o', exe,
                              'tests/unit/test_xenstore.c', 'tests/unit/unit_main.c',
                              'tests/unit/fake_xenstored.c'] + \
        [os.path.join(tmp, os.path.basename(f)) for f in FILES]
    p = subprocess.run(cmd, cwd=SRC, capture_output=True, text=True)
    if p.returncode:
        return 'does not build: ' + p.stderr[:200], []
    try:
        p = subprocess.run([exe], capture_output=True, text=True, timeout=120)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired:
        return 'killed (timeout)', []
    fails = [line[7:] for line in out.splitlines() if line.startswith('not ok')]
    if fails:
        return 'killed by %d cases' % len(fails), fails
    return ('killed (sanitizer or crash, status %d)' % rc if rc else 'SURVIVED'), []


def main():
    only = sys.argv[1:]
    bad = 0
    for i, (path, old, new, what) in enumerate(MUTANTS):
        if only and str(i) not in only:
            continue
        tmp = tempfile.mkdtemp(prefix='xs-mutant-%d-' % i)
        if write_mutant(tmp, path, old, new):
            verdict, fails = run_mutant(tmp)
        else:
            verdict, fails = 'BAD MUTANT: pattern not found exactly once', []
        shutil.rmtree(tmp, ignore_errors=True)
        bad += not verdict.startswith('killed')
        print('%2d %-40s %s %s' % (i, what, verdict, '; '.join(fails[:2])[:120]), flush=True)
    print('%d mutants not killed' % bad)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
