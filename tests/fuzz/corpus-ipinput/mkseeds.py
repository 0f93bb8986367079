#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of tests/fuzz/fuzz_ipinput.c next to this script (committed). Each
seed is a script in the target's format: a flags byte, then operations (opcode % 10 and its
arguments; see fz_step() there). libFuzzer also reads this file as an input: harmless."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
US_MAC = bytes.fromhex('525400123456')
GW_MAC = bytes.fromhex('52550a000202')
BC = b'\xff' * 6
US, GW, H9 = bytes([10, 0, 2, 15]), bytes([10, 0, 2, 2]), bytes([10, 0, 2, 9])


def csum(b, s=0):
    if len(b) % 2:
        b += b'\0'
    for i in range(0, len(b), 2):
        s += (b[i] << 8) | b[i + 1]
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(dst, typ, payload):
    return dst + GW_MAC + struct.pack('>H', typ) + payload


def ip(src, dst, proto, l4, ihl=5, frag=0, ttl=64):
    opts = b'\x01' * (ihl * 4 - 20)
    h = struct.pack('>BBHHHBBH4s4s', 0x40 | ihl, 0, ihl * 4 + len(l4), 1, frag, ttl, proto, 0,
                    src, dst) + opts
    h = h[:10] + struct.pack('>H', csum(h)) + h[12:]
    return h + l4


def icmp(typ, ident, seq, data):
    m = struct.pack('>BBHHH', typ, 0, 0, ident, seq) + data
    return m[:2] + struct.pack('>H', csum(m)) + m[4:]


def udp(src, dst, sp, dp, data):
    ln = 8 + len(data)
    m = struct.pack('>HHHH', sp, dp, ln, 0) + data
    ps = struct.pack('>4s4sBBH', src, dst, 0, 17, ln)
    c = csum(ps + m) or 0xffff
    return m[:6] + struct.pack('>H', c) + m[8:]


def arp(op, sha, spa, tha, tpa):
    return struct.pack('>HHBBH', 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa


def raw(frame):                 # op 0: a frame as is
    return bytes([0]) + struct.pack('<H', len(frame)) + frame


def cooked(frame, ctl=4):       # op 1: MAC/type/checksum fixed up per ctl
    return bytes([1, ctl]) + struct.pack('<H', len(frame)) + frame


def wait(ticks):                # op 2: time passes (10 ms ticks)
    return bytes([2]) + struct.pack('<H', ticks)


def send(last, n, local=1, port=9):     # op 3: the guest sends UDP
    return bytes([3, last]) + struct.pack('<H', n) + bytes([local, port])


def ping(last, count, size):    # op 4
    return bytes([4, last, count]) + struct.pack('<H', size)


POLL = bytes([5])


def busy(k):                    # op 6: 0 ok, 1 -EBUSY, 2 -ENETDOWN
    return bytes([6, k])


def recv(n):                    # op 7
    return bytes([7, n])


def nomem(k):                   # op 8
    return bytes([8, k])


def flap(how):                  # op 9: 1 carrier, 0 remove and add again
    return bytes([9, how])


def echo_req(size, seq=1, **kw):
    return eth(US_MAC, 0x0800, ip(GW, US, 1, icmp(8, 0x1234, seq, bytes(range(size % 256)) *
                                                 (size // 256) + bytes(range(size % 256))), **kw))


def seeds():
    arp_req = eth(BC, 0x0806, arp(1, GW_MAC, GW, b'\0' * 6, US))
    arp_rep_h9 = eth(US_MAC, 0x0806, arp(2, bytes.fromhex('52550a000209'), H9, US_MAC, US))
    u7 = eth(US_MAC, 0x0800, ip(GW, US, 17, udp(GW, US, 40000, 7, b'hello echo' * 20)))
    u_q = eth(US_MAC, 0x0800, ip(GW, US, 17, udp(GW, US, 40001, 5000, b'queued')))
    u_closed = eth(US_MAC, 0x0800, ip(GW, US, 17, udp(GW, US, 40001, 4444, b'nobody')))
    yield 'ping', b'\0' + raw(arp_req) + raw(echo_req(56))
    yield 'ping-mtu', b'\0' + raw(arp_req) + raw(echo_req(1472))
    yield 'ping-unknown-sender', b'\0' + raw(echo_req(100)) + raw(arp_req)
    yield 'ping-options', b'\0' + raw(arp_req) + raw(echo_req(8, ihl=8))
    yield 'ping-cooked', b'\0' + cooked(arp_req, 2) + cooked(echo_req(64), 4)
    yield 'udp-echo', b'\0' + raw(arp_req) + raw(u7) + raw(u7)
    yield 'udp-echo-offload', b'\1' + raw(arp_req) + raw(u7)
    yield 'udp-queue', b'\0' + raw(u_q) * 3 + recv(1) + recv(0) + recv(255)
    yield 'udp-closed', b'\0' + raw(arp_req) + raw(u_closed) * 3
    yield 'fragment', b'\0' + raw(echo_req(56, frag=0x2000)) + raw(echo_req(56, frag=0x10))
    yield 'ttl0', b'\0' + raw(echo_req(56, ttl=0))
    yield 'arp-resolve', b'\0' + send(9, 100) + send(9, 0) + raw(arp_rep_h9) + POLL
    yield 'arp-timeout', b'\0' + send(9, 10) + wait(100) + wait(100) + wait(100) + \
        send(9, 10) + wait(400) + send(9, 10)
    yield 'arp-expiry', b'\0' + raw(arp_req) + wait(5100) + send(2, 10) + wait(1000) + \
        send(2, 10)
    yield 'guest-ping', b'\0' + raw(arp_req) + ping(2, 3, 56) + \
        raw(eth(US_MAC, 0x0800, ip(GW, US, 1, icmp(0, 0, 1, b'x' * 56)))) + wait(100) + POLL
    yield 'busy', b'\0' + raw(arp_req) + busy(1) + send(2, 50) * 5 + busy(0) + POLL + \
        busy(2) + send(2, 50)
    yield 'nomem', b'\0' + raw(arp_req) + nomem(2) + raw(echo_req(56)) + raw(u7) + \
        send(2, 20)
    yield 'flap', b'\0' + raw(arp_req) + send(9, 10) + flap(1) + flap(1) + flap(0) + \
        raw(arp_req) + raw(echo_req(56))
    yield 'storm', b'\0' + b''.join(
        raw(eth(BC, 0x0806, arp(1, bytes([0x52, 0, 0, 0, 0, i]), bytes([10, 0, 2, i]),
                                b'\0' * 6, US))) for i in range(20, 60))
    yield 'hostile', b'\0' + raw(b'') + raw(US_MAC + GW_MAC + b'\x86\xdd' + b'\0' * 40) + \
        raw(echo_req(56)[:30]) + raw(eth(US_MAC, 0x0800, b'\x4f' + b'\0' * 30))


if __name__ == '__main__':
    for name, data in seeds():
        with open(os.path.join(HERE, name), 'wb') as f:
            f.write(data)
