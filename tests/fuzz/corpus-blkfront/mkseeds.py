#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of tests/fuzz/fuzz_blkfront.c next to this script (committed). Each
seed: 3 bytes of offer and a split byte (% 4: 128 KiB, never, 16 KiB, 44 KiB), then steps: a queue byte (while the disk is up),
an opcode byte (% 8) and its arguments; see fz_step() there. libFuzzer also reads this file
as an input: harmless."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
READ, WRITE, FLUSH, BARRIER, DISCARD, DISCARD_SECURE = 0, 1, 4, 5, 6, 7
INDIRECT = 0x80                         # submit: 1..64 pages instead of 1..12


def offer(order=3, queues=4, indirect=256, persistent=1, flush=1, barrier=1, discard=1,
          secure=1, split=0):
    o0 = order | ((queues - 1) << 2 if queues > 1 else 0)
    o1 = (1 | (indirect // 4) << 1) if indirect else 0
    o2 = persistent | flush << 1 | barrier << 2 | discard << 3 | secure << 4
    return bytes([o0, o1 & 0xff, o2, split])


def submit(i, op, pages=0, sector=0, q=0):
    return bytes([q, 0, i, op, pages, sector])


def serve(hold=0, q=0):
    return bytes([q, 5, hold])


def idle(q=0):
    return bytes([q, 6, 1])


def poll(q=0):
    return bytes([q, 6, 0])


def response(q, slot, publish=True, raw_id=None, stale=False, op=None, data_op=False,
             status=None, status_sel=0):
    how = 0
    tail = b''
    if raw_id is not None:
        how |= 1
        tail += struct.pack('<Q', raw_id)
    if stale:
        how |= 2
    if op is not None:
        how |= 3 << 2
        tail += bytes([op])
    elif data_op:
        how |= 2 << 2
    if status is not None:
        how |= 0x10
        tail += struct.pack('<h', status)
    how |= status_sel << 5
    return bytes([q, 2 if publish else 3, how, slot]) + tail


def prod(q, delta):
    return bytes([q, 4, delta & 0xff])


def close(q=0):
    return bytes([q, 7, 0])


def wait(secs, q=0):
    """secs (even, up to 126) seconds pass; due timers (the request watchdog) run."""
    return bytes([q, 7, 1 | (secs // 2) << 2])


def held(n, op=WRITE, pages=1):
    """n requests, taken by the backend and held (one per ring, round robin)."""
    return b''.join(submit(i, op, pages, 8 * i) for i in range(n)) + serve(hold=1)


SEEDS = {
    'honest-mixed': offer() + submit(0, WRITE, 3, 0) + submit(1, READ | INDIRECT, 40, 16) +
    submit(2, FLUSH) + submit(3, DISCARD, 2, 64) + submit(4, BARRIER, 2, 80) +
    serve() + idle() + submit(5, DISCARD_SECURE, 1, 96) + serve() + poll(),
    'honest-nothing-offered': bytes([0, 0, 0, 0]) + submit(0, WRITE | INDIRECT, 30, 0) +
    submit(1, READ, 11, 0) + submit(2, FLUSH) + serve() + idle(),
    'not-persistent': offer(persistent=0, queues=1, order=0) + submit(0, WRITE, 5, 0) +
    serve() + submit(1, READ, 5, 0) + serve() + idle(),
    'ok-by-hand': offer() + held(4) + response(0, 0) + response(1, 0) + response(2, 0) +
    response(3, 0) + idle(),
    'indirect-by-hand': offer(queues=1) + submit(0, READ | INDIRECT, 20, 0) + serve(hold=1) +
    response(0, 0) + response(0, 1) + idle(),
    'indirect-data-op': offer(queues=1) + submit(0, WRITE | INDIRECT, 20, 0) +
    serve(hold=1) + response(0, 0, data_op=True) + idle(),
    'bad-id': offer() + held(4) + response(1, 0, raw_id=0xffff) + idle(),
    'duplicate': offer(queues=1) + held(2) + response(0, 0) + response(0, 0) + idle(),
    'stale': offer(queues=2) + held(2) + response(0, 0, stale=True) + idle(),
    'wrong-op': offer() + held(2) + response(0, 0, op=READ) + idle(),
    'bad-status': offer() + held(3) + response(2, 0, status=7) + idle(),
    'eopnotsupp-flush': offer() + submit(0, FLUSH) + serve(hold=1) +
    response(0, 0, status_sel=3) + submit(1, FLUSH) + serve() + idle(),
    'error': offer() + held(2) + response(1, 0, status_sel=2) + idle(),
    'prod-jump': offer() + held(3) + prod(0, 100) + idle(),
    'prod-back': offer() + held(3) + prod(1, -3) + idle(),
    'unpublished': offer() + held(1) + response(0, 0, publish=False) + prod(0, 1) + idle(),
    'close-in-flight': offer() + held(6) + close() + idle(),
    'storm': offer(queues=1) + held(1) + b''.join(prod(0, 0) for _ in range(40)) +
    response(0, 0) + idle(),
    'timeout': offer() + held(3) + wait(30) + submit(3, READ, 2, 0) + serve(hold=1) +
    wait(32) + response(0, 0) + response(1, 0) + submit(0, WRITE, 1, 0) + wait(120) +
    serve() + idle(),
    # 41 pages in 4-page parts: 11 ring requests, slots 0-2 of rings 0-2 and 0-1 of ring 3;
    # the second answer is an error, the request fails with -EIO once, after the last one.
    'split-parts': offer(split=2) + submit(0, READ | INDIRECT, 40, 0) + serve(hold=1) +
    response(0, 0) + response(1, 0, status_sel=2) +
    b''.join(response(q, s) for q, s in [(2, 0), (3, 0), (0, 1), (1, 1), (2, 1), (3, 1),
                                          (0, 2), (1, 2), (2, 2)]) + idle() +
    submit(1, READ | INDIRECT, 63, 0) + serve() + poll(),
    # One part answered, then the deadline: the request fails with -ETIMEDOUT once; the
    # late answers of its other parts complete nothing.
    'split-timeout': offer(split=2) + submit(0, READ | INDIRECT, 40, 0) + serve(hold=1) +
    response(0, 0) + wait(62) + response(1, 0) + response(2, 0) + idle(),
    'ring-full': offer(order=0, queues=1, indirect=0) +
    b''.join(submit(i, WRITE, 11, 0) for i in range(24)) + serve(hold=1) +
    b''.join(response(0, s) for s in range(24)) + idle(),
}


def main():
    for name, data in SEEDS.items():
        with open(os.path.join(HERE, name), 'wb') as f:
            f.write(data)
    print('%d seeds in %s' % (len(SEEDS), HERE))


if __name__ == '__main__':
    main()
