#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# make bench: pvkit against a Linux DomU (Debian's cloud kernel + busybox), side by side on one
# boot of the Xen test host (scripts/xenhost/xenhost.py), N runs each; prints a table (median,
# pvkit/Linux ratio, dom0 bound) and writes <build>/bench/results.json with every run, min and
# max, and the host description. What each figure means: docs/benchmarks.md.
#
#   bench.py --build DIR [--runs N] [--groups main,life,vcpus,vcpus-pvh] [--timeout S]
#            [--parse-only]
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PLAN_DIR = os.path.join(TOP, "tests", "bench")
sys.path.insert(0, os.path.join(TOP, "scripts", "xenhost"))
import xenhost  # noqa: E402

GUESTS = ("pvkit", "linux")
DEFAULT_RUNS = 5         # runs per guest in tests/bench/plan.txt
LIFE_RUNS = 3            # lifecycle runs per guest (PVH save/restore/migrate; at most this)
PVOPS = ("irq_save_restore", "irq_disable_enable", "set_pte", "flush_tlb_one", "clock_read")
BLK = (("seq-read", 1, "MBps", "blk seq read 1 MiB", "blk_seq_read_MBps"),
       ("seq-write", 1, "MBps", "blk seq write 1 MiB", "blk_seq_write_MBps"),
       ("rand-read", 1, "iops", "blk rand read 4K QD1", "blk_rand_read_qd1_iops"),
       ("rand-read", 32, "iops", "blk rand read 4K QD32", "blk_rand_read_qd32_iops"),
       ("rand-write", 1, "iops", "blk rand write 4K QD1", "blk_rand_write_qd1_iops"),
       ("rand-write", 32, "iops", "blk rand write 4K QD32", "blk_rand_write_qd32_iops"),
       ("seq-read", 8, "MBps", "blk seq read 128K QD8 (suppl.)", "blk_seq_read_128k_qd8_MBps"))


def kv(text):
    return {k: v for k, eq, v in (t.partition("=") for t in text.split()) if eq}


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def read_sizes():
    out = {}
    with open(os.path.join(PLAN_DIR, "sizes.env")) as f:
        for line in f:
            m = re.match(r"^([A-Z0-9_]+)=([0-9]+)", line)
            if m:
                out[m.group(1)] = int(m.group(2))
    return out


# One lifecycle case (tests/bench/bench-life.sh): guest, run, guest.
LIFE_LINE = ("%s-life-%d bench-%s-pvh.cfg 900 hook=bench-life.sh hook_timeout=120 own=1 "
             "dom0bound=0 --")

# The vCPUs groups (issue 15): each guest with 1 and with 2 vCPUs, the same reduced work
# (tests/bench/bench.sh, bench-work vcpus: CPUs online, pvkit's bench smp, blk random read
# QD32, UDP dom0 -> guest), VCPUS_RUNS runs of each. group -> (case-name infix, template
# suffix, {vCPUs: the xl cpus= value}, description). The host has 2 pCPUs and dom0 owns pCPU
# 0: a PV guest's second vCPU goes to pCPU 0 (a PV vCPU may share dom0's, as in
# pv-vcpus2-spread), a PVH guest's may not (docs/xen-host.md: it breaks dom0 under TCG), so
# there both take turns on pCPU 1.
VCPUS_RUNS = 3
VCPU_COUNTS = (1, 2)
VCPU_GROUPS = {
    "vcpus": ("", "", {1: '"1"', 2: '["1","0"]'},
              "vcpus=1 on pCPU 1 as the main cases; vcpus=2: vCPU 0 on pCPU 1, vCPU 1 on "
              "dom0's pCPU 0"),
    "vcpus-pvh": ("pvh-", "-pvh", {1: '"1"', 2: '"1"'},
                  "every vCPU on pCPU 1 (a PVH vCPU may not share dom0's pCPU under TCG): "
                  "2 vCPUs take turns on one pCPU"),
}
VCPUS_LINE = ("%s-%svcpus%d-%d bench-%s-vcpus%s.cfg %d hook=bench.sh hook_timeout=120 "
              "vcpus=%d cpus=%s --")
# Groups of cases make bench can run (--groups, BENCH_GROUPS); the default is the plan in
# tests/bench/plan.txt. vcpus-pvh is left out of it for time (docs/benchmarks.md).
GROUPS = ("main", "life", "vcpus", "vcpus-pvh")
DEFAULT_GROUPS = ("main", "life", "vcpus")


def plan_lines(runs, groups):
    """The plan's case lines for @runs runs per guest of the @groups."""
    lines = []
    if "main" in groups:
        for i in range(1, runs + 1):
            lines.append("pvkit-%d bench-pvkit.cfg 600 hook=bench.sh hook_timeout=300 "
                         "dom0bound=1 --" % i)
            lines.append("linux-%d bench-linux.cfg 900 hook=bench.sh hook_timeout=300 "
                         "dom0bound=0 --" % i)
    if "life" in groups:
        for i in range(1, min(runs, LIFE_RUNS) + 1):
            for g in GUESTS:
                lines.append(LIFE_LINE % (g, i, g))
    for group, (infix, suffix, cpus, _) in VCPU_GROUPS.items():
        if group not in groups:
            continue
        for i in range(1, min(runs, VCPUS_RUNS) + 1):     # interleaved, as the main cases
            for g in GUESTS:
                for n in VCPU_COUNTS:
                    lines.append(VCPUS_LINE % (g, infix, n, i, g, suffix,
                                               600 if g == "pvkit" else 900, n, cpus[n]))
    return lines


def make_plan(runs, build, groups=DEFAULT_GROUPS):
    """The plan to run: tests/bench/plan.txt for DEFAULT_RUNS of DEFAULT_GROUPS, else a
    generated copy."""
    if runs == DEFAULT_RUNS and tuple(groups) == DEFAULT_GROUPS:
        return os.path.join(PLAN_DIR, "plan.txt")
    d = os.path.join(build, "bench", "plan")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(PLAN_DIR, d)
    lines = ["# generated by scripts/bench/bench.py --runs %d --groups %s from "
             "tests/bench/plan.txt" % (runs, ",".join(groups))] + plan_lines(runs, groups)
    with open(os.path.join(d, "plan.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return os.path.join(d, "plan.txt")


def parse_groups(text):
    """The groups of a --groups / BENCH_GROUPS list ("main,vcpus"), in GROUPS' order;
    ValueError naming an unknown one."""
    want = [g.strip() for g in str(text).split(",") if g.strip()]
    bad = [g for g in want if g not in GROUPS]
    if bad or not want:
        raise ValueError("unknown group(s) %s: choose from %s" % (
            ", ".join(bad) or "(none given)", ", ".join(GROUPS)))
    return tuple(g for g in GROUPS if g in want)


# ---------------------------------------------------------------------------------------------
# One case's figures, from its console and its hook output

MIN_RUNS = 3             # successful runs a figure needs for a median (else n/a, exit 1)
BENCH_DISK = "xvda"      # what the ready line must name as up (tests/bench/*.cfg)
BENCH_NET = "eth0"
READY = {"pvkit": "pvkit: ready", "linux": "bench: linux ready"}


class CaseParse:
    """The figures of one run. Every value goes through num(): a missing or malformed field
    gives no figure and a note naming it, never an exception."""

    def __init__(self, name):
        self.name = name
        self.fig, self.dom0, self.notes = {}, {}, []
        self.na = {}         # figure -> why it does not apply (the guest said so)
        self.why = {}        # figure -> why this run has no value for it

    def note(self, text, keys=()):
        """Say why something is missing; @keys: the figures it cost."""
        if text not in self.notes:
            self.notes.append(text)
        for key in keys:
            self.why.setdefault(key, text)

    def nums(self, k, line, fields, keys):
        """The numbers of @fields in the key=value dict @k of @line, or None (and a note that
        figures @keys are missing for it)."""
        out = [num(k.get(f)) for f in fields]
        bad = [f for f, v in zip(fields, out) if v is None]
        if bad:
            self.note("line lacks %s: %s" % (", ".join(bad), line.strip()[:160]), keys)
            return None
        return out

    def set(self, key, k, line, field, scale=1.0):
        v = self.nums(k, line, (field,), (key,))
        if v is not None:
            self.fig[key] = v[0] * scale


def udp_error(k, line, p, what, keys, socket=False):
    """A UDP line's own verdict: its error= field and, for a receiving @socket, the buffer it
    asked for and was granted (items 7 and 8: a default or cut buffer measures the buffer, not
    the guest). Returns True when the line's figures can be used; else notes why."""
    err = k.get("error")
    if err is None:
        p.note("%s: line lacks error: %s" % (what, line.strip()[:160]), keys)
        return False
    if socket:
        asked, got = num(k.get("rcvbuf_asked")), num(k.get("rcvbuf"))
        if asked is None or got is None:
            p.note("%s: line lacks rcvbuf_asked, rcvbuf: %s" % (what, line.strip()[:160]),
                   keys)
            return False
        if not asked:
            p.note("%s: the receiver kept the default socket buffer (%d bytes)" % (what, got),
                   keys)
            return False
        if got < 2 * asked:     # Linux grants (and reports) twice the value set
            p.note("%s: socket buffer not granted: asked %d, got %d (rmem_max?)"
                   % (what, asked, got), keys)
            return False
    if err != "none":
        p.note("%s: error %s" % (what, err), keys)
        return False
    return True


# pvkit's bench smp line: field -> figure (the vCPUs groups; docs/benchmarks.md).
SMP_FIELDS = (("clock_ns", "smp_clock_ns"), ("map_unmap_ns", "smp_map_unmap_ns"),
              ("call_ns", "smp_call_ns"), ("call_flush_ns", "smp_call_flush_ns"),
              ("flush_others_ns", "smp_flush_others_ns"))


def smp_line(k, line, p):
    """pvkit's "bench smp" line: the CPUs online, and what a cross-call and the shootdown
    cost. "-" is a figure that needs another CPU online (n/a here, said so); an error costs
    the figures the line did not give."""
    p.set("cpus_online", k, line, "online")
    keys = [key for _, key in SMP_FIELDS]
    err = k.get("error")
    if err is None:
        p.note("bench smp: line lacks error: %s" % line.strip()[:160], keys)
        return
    for field, key in SMP_FIELDS:
        if k.get(field) == "-":
            if err == "none":
                p.na[key] = "needs a second CPU online (bench smp said \"-\")"
            else:
                p.note("bench smp: error %s" % err, (key,))
        else:
            p.set(key, k, line, field)


def ready_check(guest, con, p):
    """The ready line must name the bench's disk and interface as up (docs/benchmarks.md,
    item 10); a boot time whose ready line lacks either is not a boot of this DomU."""
    line = next((l.strip() for l in con if l.strip().startswith(READY.get(guest, "\0"))), None)
    if line is None:
        return "no ready line in the console"
    k = kv(line)
    lack = [what for what, key, want in (("disk", "disk", BENCH_DISK),
                                         ("interface", "net", BENCH_NET))
            if want not in (k.get(key) or "").split(",")]
    if lack:
        return "the ready line lacks %s: %s" % (" and ".join(
            "%s %s" % (w, BENCH_DISK if w == "disk" else BENCH_NET) for w in lack), line)
    return None


def parse_case(case):
    """(guest, {figure: value}, {dom0 figure: value}, notes, {figure: why not applicable},
    {figure: why missing}) of one run."""
    name = str(case.get("name") or "?")
    guest = name.split("-")[0]
    p = CaseParse(name)
    fig, dom0 = p.fig, p.dom0
    con = [l for l in (case.get("console_lines") or []) if isinstance(l, str)]
    hook = []
    for phase, lines in (case.get("hook_output") or {}).items():
        hook += [l for l in (lines or []) if isinstance(l, str)]
    hc, last_hc, pending = {}, None, None
    send_ok = {}          # pace -> the guest's sender line was sound
    for line in con:
        l = line.strip()
        if l.startswith("pvkit: "):
            l = l[len("pvkit: "):]
        # pvkit's hypercall counters between measurements (tests/bench/bench.sh: pstats)
        if l.startswith("hypercalls total="):
            cur = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", l)}
            if last_hc is not None and pending:
                hc[pending] = {k: v - last_hc.get(k, 0) for k, v in cur.items()
                               if v != last_hc.get(k, 0)}
            last_hc, pending = cur, None
            continue
        if l.startswith("echo stats ping"):
            pending = "ping_rtt_avg_us"
        elif l.startswith("bench blk "):
            k = kv(l)
            pending = next((key for op, qd, _, _, key in BLK
                            if k.get("op") == op and k.get("qd") == str(qd)), None)
        elif l.startswith("udp send "):
            pending = ("udp_guest_to_dom0_paced_mbit_s" if num(kv(l).get("pace_kbit_s"))
                       else "udp_guest_to_dom0_mbit_s")
        elif l.startswith("bench udp-recv port="):
            pending = "udp_dom0_to_guest_mbit_s"
        m = re.search(r"Memory: (\d+)K/(\d+)K available \((\d+)K kernel code, (\d+)K rwdata, "
                      r"(\d+)K rodata, (\d+)K init, (\d+)K bss", l)
        if m:
            code, rw, ro, init, bss = (int(x) * 1024 for x in m.groups()[2:])
            fig["image_text_bytes"] = code + ro
            fig["image_data_bytes"] = rw + init
            fig["image_bss_bytes"] = bss
            continue
        k = kv(l)
        if l.startswith("bench blk "):
            if k.get("error") != "none":
                p.note("blk %s qd%s: error %s" % (k.get("op"), k.get("qd"), k.get("error")),
                       [key for op, qd, _, _, key in BLK
                        if k.get("op") == op and k.get("qd") in (str(qd), None)])
                continue
            for op, qd, unit, _, key in BLK:
                if k.get("op") == op and k.get("qd") == str(qd):
                    p.set(key, k, l, unit)
            if "polled" in k and num(k["polled"]) is not None:  # pvkit: polled the ring
                fig["blk_polled_windows"] = fig.get("blk_polled_windows", 0) + num(k["polled"])
        elif l.startswith("bench mem "):
            p.set("mem_used_kib", k, l, "used_kib")
            if guest == "pvkit":
                v = p.nums(k, l, ("text", "rodata", "data", "bss"),
                           ("image_text_bytes", "image_data_bytes", "image_bss_bytes"))
                if v:
                    fig["image_text_bytes"] = v[0] + v[1]
                    fig["image_data_bytes"] = v[2]
                    fig["image_bss_bytes"] = v[3]
        elif l.startswith("bench lazy "):
            v = p.nums(k, l, ("ptes", "hypercalls_lazy", "hypercalls_eager"),
                       ("hypercalls_per_1000_ptes_lazy", "hypercalls_per_1000_ptes_eager"))
            if v and not v[0]:
                p.note("bench lazy mapped no PTEs: %s" % l[:160],
                       ("hypercalls_per_1000_ptes_lazy", "hypercalls_per_1000_ptes_eager"))
            elif v:
                fig["hypercalls_per_1000_ptes_lazy"] = v[1] * 1000 / v[0]
                fig["hypercalls_per_1000_ptes_eager"] = v[2] * 1000 / v[0]
        elif l.startswith("bench pvops "):
            op = k.get("op")
            if op not in PVOPS:
                p.note("bench pvops line without a known op: %s" % l[:160])
                continue
            p.set("pvops_%s_pv_cycles" % op, k, l, "pv_cycles")
            for field, kind in (("direct_cycles", "direct"), ("indirect_cycles", "indirect")):
                key = "pvops_%s_%s_cycles" % (op, kind)
                if k.get(field) == "-":
                    p.na[key] = ("no hard-wired variant in this mode: see bench pvops in "
                                 "docs/benchmarks.md" if kind == "direct" else
                                 "pvkit.pv_patch=0 or an image from before call-site patching")
                else:
                    p.set(key, k, l, field)
        elif l.startswith("bench smp "):                # pvkit: the CPUs, cross-call costs
            smp_line(k, l, p)
        elif l.startswith("bench cpus "):               # Linux: the CPUs it has online
            p.set("cpus_online", k, l, "online")
        elif l.startswith("bench udp-recv port="):      # the guest received (dom0 -> guest)
            keys = ("udp_dom0_to_guest_mbit_s", "udp_dom0_to_guest_lost_pct",
                    "udp_rcvbuf_guest_bytes")
            if udp_error(k, l, p, "udp dom0->guest, the guest's receiver", keys,
                         socket=guest != "pvkit"):
                v = p.nums(k, l, ("kbit_s", "lost_pct"), keys[:2])
                if v:
                    fig["udp_dom0_to_guest_mbit_s"] = v[0] / 1000
                    fig["udp_dom0_to_guest_lost_pct"] = v[1]
                if "rcvbuf" in k:
                    p.set("udp_rcvbuf_guest_bytes", k, l, "rcvbuf")
            if guest == "pvkit":
                p.na["udp_rcvbuf_guest_bytes"] = ("pvkit counts datagrams in its UDP callback: "
                                                  "no socket buffer")
        elif l.startswith("udp send ") or l.startswith("bench udp-send "):
            pace = num(k.get("pace_kbit_s")) or 0
            pre = "udp_guest_to_dom0_%s" % ("paced_" if pace else "")
            ok = udp_error(k, l, p, "udp guest->dom0%s, the guest's sender" %
                           (" paced" if pace else ""),
                           (pre + "send_mbit_s", pre + "mbit_s", pre + "lost_pct"))
            send_ok[pace > 0] = ok
            rate = num(k.get("kbit_s"))
            if ok and pace and rate is not None and rate < 0.95 * pace:
                p.note("the paced sender reached %.1f of %.1f Mbit/s: sender-limited"
                       % (rate / 1000, pace / 1000))
            if ok:
                p.set(pre + "send_mbit_s", k, l, "kbit_s", 1 / 1000)
            if ok and num(k.get("sndbuf_errors")) is not None and num(k["sndbuf_errors"]) >= 0:
                # Linux: datagrams sendto() took but the guest dropped (results.json only)
                fig[pre + "sndbuf_errors"] = num(k["sndbuf_errors"])
    for line in hook:
        l = line.strip()
        k = kv(l)
        if l.startswith("bench dom0 bench blk "):
            for op, qd, unit, _, key in BLK:
                if k.get("op") == op and k.get("qd") == str(qd) and k.get("error") == "none" \
                        and num(k.get(unit)) is not None:
                    dom0[key] = num(k.get(unit))
        elif re.match(r"bench dom0 rx-from-guest(-paced)? bench udp-recv port=", l):
            paced = l.startswith("bench dom0 rx-from-guest-paced ")
            pre = "udp_guest_to_dom0_%s" % ("paced_" if paced else "")
            what = "udp guest->dom0%s, dom0's receiver" % (" paced" if paced else "")
            keys = [pre + "mbit_s", pre + "lost_pct"] + (
                [] if paced else ["udp_rcvbuf_dom0_bytes", "udp_guest_to_dom0_rcvbuf_errors"])
            if not udp_error(k, l, p, what, keys, socket=True):
                continue
            if send_ok.get(paced) is False:
                p.note("%s: not counted, the guest's sender failed" % what, keys)
                continue
            v = p.nums(k, l, ("kbit_s", "lost_pct"), keys[:2])
            if v:
                fig[pre + "mbit_s"] = v[0] / 1000
                fig[pre + "lost_pct"] = v[1]
            if not paced:
                p.set("udp_rcvbuf_dom0_bytes", k, l, "rcvbuf")
                if num(k.get("rcvbuf_errors")) is not None and num(k["rcvbuf_errors"]) >= 0:
                    fig["udp_guest_to_dom0_rcvbuf_errors"] = num(k["rcvbuf_errors"])
        elif l.startswith("bench dom0 tx-to-guest bench udp-send "):
            if udp_error(k, l, p, "udp dom0->guest, dom0's sender",
                         ("udp_dom0_to_guest_send_mbit_s",)):
                p.set("udp_dom0_to_guest_send_mbit_s", k, l, "kbit_s", 1 / 1000)
        elif l.startswith("bench dom0 ping "):
            m = re.search(r"min/avg/max = ([0-9.]+)/([0-9.]+)/([0-9.]+) ms", l)
            if m:
                fig["ping_rtt_avg_us"] = float(m.group(2)) * 1000
                fig["ping_rtt_min_us"] = float(m.group(1)) * 1000
            else:
                p.note("ping: " + l[len("bench dom0 ping "):], ("ping_rtt_avg_us",))
        elif l.startswith("bench boot "):
            why = ready_check(guest, con, p)
            if why:
                p.note("boot time refused: %s" % why, ("boot_ready_ms",))
            else:
                p.set("boot_ready_ms", k, l, "ready_ms")
            p.set("boot_first_output_ms", k, l, "first_output_ms")
        elif l.startswith("bench life guest="):
            # tests/bench/bench-life.sh: xl save, xl restore (and the first ping answer after
            # its start), xl migrate and the longest gap between ping answers across it.
            for key, field in (("life_save_ms", "save_ms"), ("life_restore_ms", "restore_ms"),
                               ("life_restore_answer_ms", "answer_ms"),
                               ("life_migrate_ms", "migrate_ms"),
                               ("life_migrate_downtime_ms", "downtime_ms"),
                               ("life_image_bytes", "image_bytes")):
                p.set(key, k, l, field)
        elif l.startswith("bench net-skipped ") or l.startswith("bench error "):
            p.note(l[len("bench "):])
    if case.get("end") != "poweroff":
        p.note("the domain ended with %s" % case.get("end"))
    out = {k: v for k, v in fig.items() if v is not None}
    if hc:
        out["hypercalls_during"] = hc
    return guest, out, dom0, p.notes, p.na, p.why


# ---------------------------------------------------------------------------------------------
# Aggregation and the table

# (key, label, unit, which way is better); the order of the table.
FIGURES = [
    ("boot_ready_ms", "boot: xl create -> ready", "ms", "lower"),
    ("boot_first_output_ms", "boot: xl create -> 1st console line", "ms", "lower"),
] + [(key, label, unit if unit == "iops" else "MB/s", "higher") for _, _, unit, label, key in BLK] + [
    ("udp_guest_to_dom0_send_mbit_s", "udp guest->dom0 unpaced: guest sends", "Mbit/s", "higher"),
    ("udp_guest_to_dom0_mbit_s", "udp guest->dom0 unpaced: dom0 receives", "Mbit/s", "higher"),
    ("udp_guest_to_dom0_lost_pct", "udp guest->dom0 unpaced: lost", "%", "lower"),
    ("udp_guest_to_dom0_rcvbuf_errors", "udp guest->dom0 unpaced: dom0 socket drops",
     "dgrams", "lower"),
    ("udp_guest_to_dom0_paced_send_mbit_s", "udp guest->dom0 paced: guest sends", "Mbit/s",
     "higher"),
    ("udp_guest_to_dom0_paced_mbit_s", "udp guest->dom0 paced: dom0 receives", "Mbit/s",
     "higher"),
    ("udp_guest_to_dom0_paced_lost_pct", "udp guest->dom0 paced: lost", "%", "lower"),
    ("udp_dom0_to_guest_send_mbit_s", "udp dom0->guest: dom0 sends", "Mbit/s", "higher"),
    ("udp_dom0_to_guest_mbit_s", "udp dom0->guest: guest receives", "Mbit/s", "higher"),
    ("udp_dom0_to_guest_lost_pct", "udp dom0->guest: lost", "%", "lower"),
    ("udp_rcvbuf_dom0_bytes", "udp SO_RCVBUF granted: dom0", "bytes", "higher"),
    ("udp_rcvbuf_guest_bytes", "udp SO_RCVBUF granted: guest", "bytes", "higher"),
    ("ping_rtt_avg_us", "ping dom0->guest rtt avg", "us", "lower"),
] + [("pvops_%s_pv_cycles" % op, "pv_ops %s via pv_ops" % op, "cycles", "lower") for op in PVOPS] + [
    ("pvops_%s_indirect_cycles" % op, "pv_ops %s unpatched" % op, "cycles", "lower")
    for op in PVOPS[:2]] + [
    ("pvops_%s_direct_cycles" % op, "pv_ops %s hard-wired" % op, "cycles", "lower") for op in PVOPS] + [
    ("hypercalls_per_1000_ptes_lazy", "hypercalls/1000 PTEs lazy", "", "lower"),
    ("hypercalls_per_1000_ptes_eager", "hypercalls/1000 PTEs eager", "", "lower"),
    ("image_file_bytes", "image file(s)", "bytes", "lower"),
    ("image_text_bytes", "image text (+rodata)", "bytes", "lower"),
    ("image_data_bytes", "image data", "bytes", "lower"),
    ("image_bss_bytes", "image bss", "bytes", "lower"),
    ("mem_used_kib", "memory used after boot", "KiB", "lower"),
    ("life_save_ms", "lifecycle PVH: xl save", "ms", "lower"),
    ("life_image_bytes", "lifecycle PVH: saved image", "bytes", "lower"),
    ("life_restore_ms", "lifecycle PVH: xl restore", "ms", "lower"),
    ("life_restore_answer_ms", "lifecycle PVH: xl restore -> 1st ping answer", "ms", "lower"),
    ("life_migrate_ms", "lifecycle PVH: xl migrate (same host)", "ms", "lower"),
    ("life_migrate_downtime_ms", "lifecycle PVH: migration downtime (ping gap)", "ms", "lower"),
]

# The vCPUs groups' rows: (figure of one run, label, unit, better, the vCPU counts it exists
# for, whether the 2-vCPU / 1-vCPU ratio is shown). A run's figure becomes
# <prefix><vCPUs>_<figure> (vcpus2_blk_rand_read_qd32_iops), one figure per vCPU count.
VCPU_ROWS = [
    ("blk_rand_read_qd32_iops", "blk rand read 4K QD32", "iops", "higher", (1, 2), True),
    ("udp_dom0_to_guest_mbit_s", "udp dom0->guest: guest receives", "Mbit/s", "higher",
     (1, 2), True),
    ("udp_dom0_to_guest_lost_pct", "udp dom0->guest: lost", "%", "lower", (1, 2), False),
    ("udp_dom0_to_guest_send_mbit_s", "udp dom0->guest: dom0 sends", "Mbit/s", "higher",
     (1, 2), False),
    ("smp_map_unmap_ns", "vm_map+vm_unmap 1 page (+ shootdown if 2)", "ns", "lower",
     (1, 2), True),
    ("smp_call_ns", "cross-call round trip CPU 0 -> 1", "ns", "lower", (2,), False),
    ("smp_call_flush_ns", "cross-call right after an unmap (TLB flush)", "ns", "lower", (2,),
     False),
    ("smp_flush_others_ns", "smp_flush_tlb_others() itself", "ns", "lower", (2,), False),
    ("smp_clock_ns", "clock read (part of each sample above)", "ns", "lower", (1, 2), False),
]
VCPU_PREFIX = {"vcpus": "vcpus", "vcpus-pvh": "pvh_vcpus"}
VCPU_MODE = {"vcpus": "PV", "vcpus-pvh": "PVH"}


def vcpu_key(group, n, base):
    return "%s%d_%s" % (VCPU_PREFIX[group], n, base)


# figure -> (group, vCPU count or None, the figure of one run it is made of)
FIGURE_SOURCE = {key: ("life" if key.startswith("life_") else "main", None, key)
                 for key, _, _, _ in FIGURES}
for _group in VCPU_GROUPS:
    for _base, _label, _unit, _better, _counts, _ in VCPU_ROWS:
        for _n in _counts:
            _key = vcpu_key(_group, _n, _base)
            FIGURES.append((_key, "vCPUs %s, %d vCPU%s: %s" % (
                VCPU_MODE[_group], _n, "" if _n == 1 else "s", _label), _unit, _better))
            FIGURE_SOURCE[_key] = (_group, _n, _base)

NA_LINUX = {
    "pvops": "Linux has no in-guest counterpart of bench pvops here (it patches its pv_ops "
             "call sites at boot; no comparable per-op probe without a kernel module)",
    "hypercalls": "Linux's PTE batching is not observable from user space in this guest "
                  "(no per-hypercall counters exported)",
    "smp": "Linux exports no timing of its cross-calls or TLB shootdowns to user space (a "
           "probe would need a kernel module for the Debian kernel); pvkit's bench smp only",
}


def by_design_na(key, guest):
    """Why a figure never exists for @guest, or None when it must be measured."""
    if guest == "linux" and key.startswith("pvops_"):
        return NA_LINUX["pvops"]
    if guest == "linux" and key.startswith("hypercalls_"):
        return NA_LINUX["hypercalls"]
    if guest == "linux" and FIGURE_SOURCE.get(key, (0, 0, ""))[2].startswith("smp_"):
        return NA_LINUX["smp"]
    if guest == "pvkit" and key == "udp_rcvbuf_guest_bytes":
        return "pvkit counts datagrams in its UDP callback: no socket buffer"
    return None


def stats(values):
    """Median, min, max of the successful runs; None with fewer than MIN_RUNS of them."""
    v = [x for x in values if x is not None]
    if len(v) < MIN_RUNS:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v}


def na_reason(key, guest, runs, na):
    """Why @guest's figure @key has no median: by design, not applicable in every run, or too
    few successful runs, with each failed run's reason (@runs: [(case, figures, {figure: why},
    notes)])."""
    why = by_design_na(key, guest)
    if why:
        return why
    got = [f[key] for _, f, _, _ in runs if f.get(key) is not None]
    if not got and na:
        return sorted(set(na))[0]
    reasons = []
    for name, fig, whys, notes in runs:
        if fig.get(key) is not None:
            continue
        r = whys.get(key)
        if r is None and key.startswith(("udp_", "ping_")):
            r = next((n for n in notes if "net-skipped" in n), None)
        if r is None:
            r = next((n for n in notes if n.startswith(("error ", "the domain ended"))), None)
        reasons.append("%s: %s" % (name, r or "no line gave it"))
    if got:
        why = "only %d successful run%s of %d (at least %d needed)" % (
            len(got), "" if len(got) == 1 else "s", len(runs), MIN_RUNS)
    else:
        why = "not measured in any of %d runs" % len(runs)
    if reasons:
        why += "; " + "; ".join(reasons[:3]) + (" ..." if len(reasons) > 3 else "")
    return why


def fmt(v):
    if v is None:
        return "n/a"
    if abs(v) >= 100 or v == int(v):
        return "%d" % round(v)
    return "%.2f" % v


def table(res):
    rows = [("figure", "unit", "pvkit", "Linux", "pvkit/Linux", "dom0 bound")]
    for key, label, unit, better in FIGURES:
        if FIGURE_SOURCE[key][1] is not None or key not in res["figures"]:
            continue            # a vCPUs row (vcpus_table), or a group not run
        f = res["figures"][key]
        p = f["pvkit"]["median"] if f["pvkit"] else None
        l = f["linux"]["median"] if f["linux"] else None
        d = f.get("dom0")
        ratio = "%.2f" % (p / l) if p is not None and l else "n/a"
        rows.append((label, unit, fmt(p), fmt(l), ratio, fmt(d["median"]) if d else ""))
    return layout(rows) if len(rows) > 1 else ""


def layout(rows):
    """Rows of strings as columns: the first two left-aligned, the rest right-aligned."""
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, r in enumerate(rows):
        out.append("  ".join(c.ljust(w[j]) if j < 2 else c.rjust(w[j]) for j, c in enumerate(r)))
        if i == 0:
            out.append("  ".join("-" * x for x in w))
    return "\n".join(out)


def scaling(figures, group, base, guest):
    """@guest's 2-vCPU / 1-vCPU ratio of the medians of @base in @group: (ratio, None), or
    (None, why) when either median is missing or the 1-vCPU one is 0. Never raises: a figure
    absent from @figures (a group not run, a broken results file) is a reason too."""
    med = {}
    for n in VCPU_COUNTS:
        f = figures.get(vcpu_key(group, n, base))
        if not isinstance(f, dict):
            return None, "no %d-vCPU figure" % n
        st = f.get(guest)
        v = st.get("median") if isinstance(st, dict) else None
        if not isinstance(v, (int, float)):
            why = f.get(guest + "_na") or "no median"
            return None, "%d vCPU%s: %s" % (n, "" if n == 1 else "s", why)
        med[n] = v
    if not med[1]:
        return None, "the 1-vCPU median is 0"
    return med[2] / med[1], None


def vcpus_summary(figures, group):
    """The vCPUs group's rows for results.json: per row and guest the medians by vCPU count
    and, where shown, the scaling ratio (2 vCPUs / 1) or why it is n/a."""
    rows = []
    for base, label, unit, better, counts, ratio in VCPU_ROWS:
        row = {"figure": base, "label": label, "unit": unit, "better": better}
        for g in GUESTS:
            e = {}
            for n in counts:
                f = figures.get(vcpu_key(group, n, base)) or {}
                st = f.get(g)
                e[str(n)] = st.get("median") if isinstance(st, dict) else None
                if e[str(n)] is None:
                    e["%d_na" % n] = f.get(g + "_na") or "not measured"
            if ratio:
                e["scaling"], why = scaling(figures, group, base, g)
                if why:
                    e["scaling_na"] = why
            row[g] = e
        rows.append(row)
    return rows


def vcpus_table(res, group):
    """The vCPUs group side by side: each guest with 1 and 2 vCPUs and its scaling ratio."""
    v = (res.get("vcpus") or {}).get(group)
    if not v:
        return ""
    rows = [("figure", "unit", "pvkit 1", "pvkit 2", "pvkit 2/1", "Linux 1", "Linux 2",
             "Linux 2/1")]
    for r in v["rows"]:
        cells = [r["label"], r["unit"]]
        for g in GUESTS:
            e = r[g]
            cells += [fmt(e.get(str(n))) if str(n) in e else "-" for n in VCPU_COUNTS]
            cells.append("%.2f" % e["scaling"] if e.get("scaling") is not None else
                         "n/a" if "scaling" in e else "-")
        rows.append(tuple(cells))
    return "vCPUs, Xen %s (%s), medians of %s runs:\n%s" % (
        VCPU_MODE[group], v["config"], v.get("runs_per_count", "?"), layout(rows))


def host_description(run):
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    h = dict(run.get("host") or {})
    return {"cpu_model": cpu, "host_cpus": os.cpu_count(), "host_kernel": platform.release(),
            "qemu": h.get("qemu"), "accel": h.get("accel"), "xen": h.get("xen"),
            "xen_deb": h.get("xen_deb"), "dom0_kernel": h.get("kernel"),
            "dom0_kernel_deb": h.get("kernel_deb"),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "dom0_boot_s": h.get("boot_s")}


def load_bytes(elf):
    """Bytes of the ELF's PT_LOAD segments in the file: what the domain builder copies."""
    with open(elf, "rb") as f:
        d = f.read()
    phoff, = struct.unpack_from("<Q", d, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", d, 0x36)
    total = 0
    for i in range(phnum):
        p_type, = struct.unpack_from("<I", d, phoff + i * phentsize)
        if p_type == 1:
            total += struct.unpack_from("<Q", d, phoff + i * phentsize + 0x20)[0]
    return total


VCPU_CASE_RE = re.compile(r"^[a-z]+-(pvh-)?vcpus(\d+)-\d+$")


def case_group(name):
    """(group, vCPU count or None) of a case by its name (plan_lines): a lifecycle case
    (tests/bench/bench-life.sh), a vCPUs case, else a main one. Each is a run only of its
    own group's figures (FIGURE_SOURCE)."""
    m = VCPU_CASE_RE.match(str(name))
    if m:
        return ("vcpus-pvh" if m.group(1) else "vcpus"), int(m.group(2))
    return ("life" if "-life-" in str(name) else "main"), None


def vcpus_run(group, n, fig, why, na):
    """A vCPUs run's figures under their vCPU keys, with the reasons (@why, @na) moved along.
    The run counts only if the guest said it had @n CPUs online: a guest that did not get
    its vCPUs (or did not say) would give a 1-vCPU figure under a 2-vCPU name."""
    online = fig.get("cpus_online")
    refused = None
    if online is None:
        refused = why.get("cpus_online") or "the guest did not say how many CPUs were online"
    elif online != n:
        refused = "the guest had %d CPU%s online, the case gave it %d" % (
            online, "" if online == 1 else "s", n)
    out, out_why, out_na = {}, {}, {}
    for base, _, _, _, counts, _ in VCPU_ROWS:
        if n not in counts:
            continue
        key = vcpu_key(group, n, base)
        if refused:
            out_why[key] = refused
        elif fig.get(base) is not None:
            out[key] = fig[base]
        elif base in na:
            out_na[key] = na[base]
        elif base in why:
            out_why[key] = why[base]
    return out, out_why, out_na


def aggregate(run, elf, linux_env, runs, sizes, groups=DEFAULT_GROUPS):
    """The figures of the cases in @run (xenhost's results) for the @groups that ran."""
    # by (guest, group, vCPU count or None): each run's figures, and (case, figures,
    # {figure: why}, notes) of each run
    per_guest, runs_of = {}, {}
    dom0_runs, notes = [], {g: [] for g in GUESTS}
    na = {g: {} for g in GUESTS}            # figure -> reasons the guest gave in some run
    cases = []
    for c in run.get("cases") or []:
        if not isinstance(c, dict):
            continue
        guest, fig, dom0, n, case_na, why = parse_case(c)
        if guest not in GUESTS:
            continue
        group, vcpus = case_group(c.get("name"))
        run_fig = fig
        if vcpus is not None:
            run_fig, why, case_na = vcpus_run(group, vcpus, fig, why, case_na)
        per_guest.setdefault((guest, group, vcpus), []).append(run_fig)
        runs_of.setdefault((guest, group, vcpus), []).append((c.get("name"), run_fig, why, n))
        if dom0:
            dom0_runs.append(dom0)
        notes[guest] += ["%s: %s" % (c.get("name"), x) for x in n]
        for key, w in case_na.items():
            na[guest].setdefault(key, []).append(w)
        cases.append({"name": c.get("name"), "guest": guest, "group": group, "vcpus": vcpus,
                      "end": c.get("end"), "t_case_s": c.get("t_case_s"), "figures": fig,
                      "dom0": dom0, "notes": n})
    file_bytes = {"pvkit": None, "linux": None}
    try:
        file_bytes["pvkit"] = load_bytes(elf)
    except (OSError, struct.error, ValueError):
        pass
    if linux_env.get("VMLINUZ_BYTES") and linux_env.get("INITRD_BYTES"):
        v, i = num(linux_env["VMLINUZ_BYTES"]), num(linux_env["INITRD_BYTES"])
        file_bytes["linux"] = v + i if v is not None and i is not None else None
    figures, missing = {}, []
    for key, label, unit, better in FIGURES:
        group, vcpus, _ = FIGURE_SOURCE[key]
        if group not in groups:
            continue                    # not run (--groups): neither a figure nor missing
        e = {"label": label, "unit": unit, "better": better}
        for g in GUESTS:
            if key == "image_file_bytes":
                b = file_bytes[g]
                e[g] = {"median": b, "min": b, "max": b, "runs": [b]} if b is not None else None
                if b is None:
                    e[g + "_na"] = ("%s unreadable" % elf if g == "pvkit" else
                                    "no VMLINUZ_BYTES/INITRD_BYTES in the Linux guest's guest.env")
                    missing.append((g, key, e[g + "_na"]))
                continue
            values = [f.get(key) for f in per_guest.get((g, group, vcpus), [])]
            e[g] = stats(values)
            if e[g] is None:
                e[g + "_na"] = na_reason(key, g, runs_of.get((g, group, vcpus), []),
                                         na[g].get(key))
                got = [x for x in values if x is not None]
                if got:
                    e[g + "_partial_runs"] = got
                # required unless it never applies to this guest or every run said so
                if not by_design_na(key, g) and (got or not na[g].get(key)):
                    missing.append((g, key, e[g + "_na"]))
        if any(key == k for _, _, _, _, k in BLK):
            values = [r.get(key) for r in dom0_runs]
            d = stats(values)
            if d:
                e["dom0"] = d
            else:
                e["dom0_na"] = "dom0 bound: %d successful runs (at least %d needed)" % (
                    len([x for x in values if x is not None]), MIN_RUNS)
                missing.append(("dom0", key, e["dom0_na"]))
        h = stats([f.get("hypercalls_during", {}).get(key, {}).get("total")
                   for f in per_guest.get(("pvkit", "main", None), [])])
        if h:
            e["pvkit_hypercalls"] = h
        p, l = e["pvkit"], e["linux"]
        e["ratio_pvkit_linux"] = p["median"] / l["median"] if p and l and l["median"] else None
        figures[key] = e
    if "image_file_bytes" in figures:
        figures["image_file_bytes"]["detail"] = {
            "pvkit": "pvkit.elf's loaded segments (%s bytes as a file, debug info included)"
                     % (os.path.getsize(elf) if os.path.exists(elf) else "?"),
            "linux": "vmlinuz %s + initrd.gz %s (modules %s of it)" % (
                linux_env.get("VMLINUZ_BYTES"), linux_env.get("INITRD_BYTES"),
                linux_env.get("MODULES_BYTES"))}
    vcpus = {group: {"config": VCPU_GROUPS[group][3], "runs_per_count": min(runs, VCPUS_RUNS),
                     "rows": vcpus_summary(figures, group)}
             for group in VCPU_GROUPS if group in groups}
    return {
        "host": host_description(run), "runs_per_guest": runs, "min_runs": MIN_RUNS,
        "sizes": sizes,
        "guests": {"pvkit": {"image": os.path.abspath(elf), "type": "pv"},
                   "linux": {"kernel": linux_env.get("KERNEL_DEB"),
                             "busybox": linux_env.get("BUSYBOX_DEB"), "type": "pv"}},
        "groups": list(groups),
        "domu_config": "type=pv memory=256 vcpus=1 cpus=1, disk: blkback on a loop device over "
                       "a 64 MiB file in dom0's tmpfs, vif on xenbr0 (tests/bench/*.cfg); the "
                       "vCPUs groups: vcpus=1 and 2, see vcpus.<group>.config",
        "figures": figures, "vcpus": vcpus, "cases": cases, "notes": notes,
        "missing": [{"guest": g, "figure": k, "why": w} for g, k, w in missing],
        "harness_ok": run.get("harness_ok"), "harness_error": run.get("error"),
        "t_xenhost_s": run.get("t_total_s"),
    }


# Bounds of the Xen host run per group, s: 1750 s held the host's boot and 5 runs of each
# guest's main case on a loaded host; each lifecycle run (a PVH save, restore and migration
# under TCG) adds up to ~300 s; a vCPUs case (boot and the reduced work) up to ~150 s.
RUN_TIMEOUT_BASE_S = 300
GROUP_TIMEOUT_S = {"main": 1450, "life": LIFE_RUNS * 2 * 300,
                   "vcpus": VCPUS_RUNS * 2 * len(VCPU_COUNTS) * 150,
                   "vcpus-pvh": VCPUS_RUNS * 2 * len(VCPU_COUNTS) * 150}


def run_timeout(groups):
    return RUN_TIMEOUT_BASE_S + sum(GROUP_TIMEOUT_S[g] for g in groups)


def groups_of(run):
    """The groups a run's cases belong to (--parse-only without --groups), in GROUPS' order;
    DEFAULT_GROUPS when it has no case bench.py knows."""
    seen = {case_group(c.get("name"))[0] for c in (run.get("cases") or [])
            if isinstance(c, dict) and str(c.get("name") or "").split("-")[0] in GUESTS}
    return tuple(g for g in GROUPS if g in seen) or DEFAULT_GROUPS


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bench.py", description="pvkit vs Linux DomU on Xen")
    ap.add_argument("--build", default="build", help="the build directory (O=)")
    ap.add_argument("--image", help="the pvkit guest (default: BUILD/pvkit.elf)")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", DEFAULT_RUNS)))
    ap.add_argument("--groups", default=os.environ.get("BENCH_GROUPS"),
                    help="which cases to run, comma-separated of %s (default %s; with "
                         "--parse-only: the groups the last run's cases belong to)"
                         % (",".join(GROUPS), ",".join(DEFAULT_GROUPS)))
    ap.add_argument("--timeout", type=int,
                    help="bound of the Xen host boot, s (default: from the groups)")
    ap.add_argument("--parse-only", action="store_true",
                    help="re-aggregate the logs of the last run (no QEMU)")
    a = ap.parse_args(argv)
    groups = None
    if a.groups is not None:
        try:
            groups = parse_groups(a.groups)
        except ValueError as e:
            print("bench: --groups: %s" % e, file=sys.stderr)
            return 2
    if a.runs < MIN_RUNS:
        print("bench: every figure needs %d successful runs; with --runs %d all are n/a"
              % (MIN_RUNS, a.runs), file=sys.stderr)
    t0 = time.monotonic()
    image = a.image or os.path.join(a.build, "pvkit.elf")
    out_dir = os.path.join(a.build, "bench")
    logs = os.path.join(out_dir, "logs")
    os.makedirs(logs, exist_ok=True)
    linux_dir = os.path.join(out_dir, "linux")
    tools = os.path.join(a.build, "dom0-tools")
    if not a.parse_only:
        p = subprocess.run(["bash", os.path.join(HERE, "build-linux-guest.sh"), "--tools", tools,
                            "--out", linux_dir], check=False)
        if p.returncode:
            print("bench: building the Linux guest failed", file=sys.stderr)
            return 1
    linux_env = {}
    try:
        with open(os.path.join(linux_dir, "guest.env")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                linux_env[k] = v
    except OSError as e:
        print("bench: no Linux guest description (%s); its file sizes are n/a" % e,
              file=sys.stderr)
    if a.parse_only:
        try:
            with open(os.path.join(logs, "results.json")) as f:
                run = json.load(f)
        except (OSError, ValueError) as e:
            print("bench: --parse-only: cannot read the last run's results: %s" % e,
                  file=sys.stderr)
            return 1
        if not isinstance(run, dict):
            print("bench: --parse-only: %s is not a run's results" % logs, file=sys.stderr)
            return 1
        if groups is None:
            groups = groups_of(run)
    else:
        groups = groups or DEFAULT_GROUPS
        plan = make_plan(a.runs, a.build, groups)
        try:
            run = xenhost.run_plan(image, plan, logs,
                                   timeout=a.timeout or run_timeout(groups), tools_dir=tools,
                                   extra={"pvkit/linux/vmlinuz": os.path.join(linux_dir, "vmlinuz"),
                                          "pvkit/linux/initrd.gz": os.path.join(linux_dir, "initrd.gz")})
        except xenhost.XenHostError as e:
            print("bench: %s" % e, file=sys.stderr)
            return 1
    sizes = read_sizes()
    res = aggregate(run, image, linux_env, a.runs, sizes, groups)
    res["t_bench_s"] = round(time.monotonic() - t0, 1)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    h = res["host"]
    print("\nmake bench: pvkit vs Linux (%s), PV DomUs, median of %d runs (at least %d "
          "successful); %s" % (linux_env.get("KERNEL_PKG"), a.runs, MIN_RUNS, h["date"]))
    print("host: %s, %s (%s), Xen %s, dom0 %s" % (h["cpu_model"], h["qemu"], h["accel"],
                                                 h["xen"], h["dom0_kernel"]))
    print("udp: every receiving socket asks SO_RCVBUF=%s; the paced run sends at %s kbit/s\n"
          % (sizes.get("BENCH_UDP_RCVBUF"), sizes.get("BENCH_UDP_PACE_KBIT")))
    main_table = table(res)
    if main_table:
        print(main_table)
    for group in res["vcpus"]:
        print("\n" + vcpus_table(res, group))
    for g in GUESTS:
        for n in res["notes"][g]:
            print("note: %s" % n)
    seen = set()
    for key, f in res["figures"].items():
        for g in GUESTS:
            why = f.get(g + "_na")
            if why and by_design_na(key, g):       # the same reason for a group: once
                if (g, why) not in seen:
                    seen.add((g, why))
                    print("n/a (%s, %s...): %s" % (g, key, why))
            elif why:
                print("n/a (%s, %s): %s" % (g, key, why))
    print("\nresults: %s (logs: %s); %.0f s" % (os.path.join(out_dir, "results.json"), logs,
                                                res["t_bench_s"]))
    rc = 0
    if res["missing"]:
        names = ["%s %s" % (m["guest"], m["figure"]) for m in res["missing"]]
        print("bench: %d figure(s) without %d successful runs: %s%s" % (
            len(names), MIN_RUNS, ", ".join(names[:12]),
            " ... (all in results.json's missing)" if len(names) > 12 else ""), file=sys.stderr)
        rc = 1
    if not run.get("harness_ok"):
        print("bench: the Xen host run had a problem: %s" % run.get("error"), file=sys.stderr)
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
