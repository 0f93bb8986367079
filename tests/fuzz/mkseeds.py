#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of tests/fuzz/fuzz_xenstore.c into tests/fuzz/corpus/ (committed).
Each seed is a script in the target's format: 4 bytes of start index, then operations
(opcode byte % 11, then its arguments; see script() in fuzz_xenstore.c)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
XS_READ, XS_DIRECTORY, XS_TRANSACTION_START, XS_WATCH_EVENT, XS_ERROR = 2, 1, 6, 15, 16
T_READ, T_WRITE, T_DIRECTORY, T_TXN_START = 0, 1, 4, 5   # indexes into fz_types


def u32(v):
    return struct.pack('<I', v & 0xffffffff)


def start(t, length=5, tx=0):
    return bytes([3, t, length, tx])


TX, RX, ABANDON = bytes([4]), bytes([2]), bytes([6])


def tx_hostile(cons):
    return bytes([5]) + u32(cons)


def pop(n=16):
    return bytes([7, n])


def valid(how=0):
    return bytes([8, how])


def data(b):
    out = b''
    for i in range(0, len(b), 256):
        chunk = b[i:i + 256]
        out += bytes([0, len(chunk) - 1]) + chunk
    return out


def jump(delta):
    return bytes([1]) + u32(delta)


def header(typ, req_id=None, length=0, payload=b''):
    out = bytes([9])
    out += bytes([255]) + u32(typ) if typ >= 128 else bytes([typ])
    out += bytes([1]) if req_id is None else bytes([0]) + u32(req_id)
    out += bytes([1]) + u32(length) if length > 255 else bytes([0, length])
    return out + payload


def event(path, token):
    p = path + b'\0' + token + b'\0'
    return bytes([10, len(p)]) + p


def msg(typ, req_id, payload):
    return struct.pack('<IIII', typ, req_id, 0, len(payload)) + payload


SEEDS = {
    'read-ok': u32(0) + start(T_READ) + TX + valid() + RX + pop(),
    'directory-across-ring-end': u32(1008) + start(T_DIRECTORY) + TX + valid() + RX,
    'index-wrap-2p32': u32(0xfffffff0) + start(T_TXN_START) + TX + valid() + RX + start(T_WRITE) + TX + valid() + RX,
    'reply-in-pieces': u32(0) + start(T_READ) + TX + header(XS_READ, None, 3) + b''.join(
        data(bytes([c])) + RX for c in b'abc'),
    'watch-event': u32(0) + event(b'device/vif/0/state', b'pvk1') + RX + pop(),
    'watch-event-no-token': u32(0) + bytes([10, 7]) + b'data/k\0' + RX + pop(),
    'length-over-max': u32(0) + start(T_READ) + TX + header(XS_READ, None, 5000, b'xx') + RX + valid() + RX,
    'rsp-prod-jump': u32(0) + start(T_READ) + TX + jump(5000) + RX + ABANDON + start(T_READ) + TX + valid() + RX,
    'rsp-prod-backwards': u32(100) + start(T_READ) + TX + valid() + RX + ABANDON + jump(-8) + RX,
    'unknown-type': u32(0) + start(T_READ) + TX + header(200, None, 2, b'hi') + RX,
    'unmatched-id': u32(0) + start(T_READ) + TX + header(XS_READ, 77, 2, b'hi') + RX + valid() + RX,
    'late-reply': u32(0) + start(T_READ) + TX + ABANDON + data(msg(XS_READ, 1, b'late')) + start(T_READ) + TX + RX + valid() + RX,
    'error-reply': u32(0) + start(T_READ) + TX + valid(1) + RX,
    'error-no-nul': u32(0) + start(T_READ) + TX + header(XS_ERROR, None, 6, b'EINVAL') + RX,
    'directory-no-nul': u32(0) + start(T_DIRECTORY) + TX + header(XS_DIRECTORY, None, 3, b'a\0b') + RX,
    'req-cons-ahead': u32(0) + start(T_WRITE, 40) + tx_hostile(100) + TX + valid() + RX,
    'event-queue-full': u32(0) + b''.join(event(b'data/' + b'x' * (40 + i * 37 % 190), b'pvk%d' % i)
                                          + RX for i in range(120)) + pop(200),
    'half-header': u32(0) + data(b'\x02\x00\x00\x00\x01\x00') + RX + start(T_READ) + TX + valid() + RX,
}


def main():
    d = os.path.join(HERE, 'corpus')
    os.makedirs(d, exist_ok=True)
    for name, blob in SEEDS.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(blob)
    print('%d seeds in %s' % (len(SEEDS), d))


if __name__ == '__main__':
    main()
