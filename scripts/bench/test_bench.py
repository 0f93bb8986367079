#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of scripts/bench/bench.py's aggregation (`bench.py --parse-only`) on canned logs
generated here: the lines both guests and the dom0 hook print (tests/bench/bench.sh), three runs
per guest, then broken the ways a real run breaks. A bench that prints a median of two runs, a
boot time without a disk, a loss figure from a receiver whose buffer was cut, or a traceback for
a missing field is what this checks against. Run by `make check` (the harness suite)."""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "bench.py")
RCVBUF = 16777216        # tests/bench/sizes.env BENCH_UDP_RCVBUF
PACE = 10000

BLK = [("seq-read", 1, 1048576), ("seq-write", 1, 1048576), ("rand-read", 1, 4096),
       ("rand-read", 32, 4096), ("rand-write", 1, 4096), ("rand-write", 32, 4096),
       ("seq-read", 8, 131072)]
PVOPS = ("irq_save_restore", "irq_disable_enable", "set_pte", "flush_tlb_one", "clock_read")


def blk_line(op, qd, req, r):
    return ("bench blk dev=xvda op=%s qd=%d req=%d bytes=67108864 ops=64 time_us=500000 "
            "MBps=%d iops=%d error=none" % (op, qd, req, 100 + r, 1000 + r))


def udp_recv(rate, lost, rcvbuf=2 * RCVBUF, asked=RCVBUF, err="none"):
    return ("bench udp-recv port=5001 bytes=8388608 datagrams=5699 time_us=3000000 kbit_s=%d "
            "lost_pct=%d rcvbuf_asked=%d rcvbuf=%d rcvbuf_errors=0 error=%s"
            % (rate, lost, asked, rcvbuf, err))


def udp_send(rate, pace):
    return ("bench udp-send dst=10.0.0.1:5001 bytes=8388608 datagrams=5699 time_us=3000000 "
            "kbit_s=%d pace_kbit_s=%d error=none" % (rate, pace))


def pvkit_case(r):
    con = ["pvkit: boot entry=xen-pv env=xen-pv", "pvkit: net eth0 addr=10.0.0.2/24 gw=none",
           "pvkit: ready disk=xvda net=eth0 addr=10.0.0.2/24",
           "pvkit: bench mem text=200000 rodata=3000 data=42000 bss=1000000 used_kib=7000 "
           "total_kib=250000",
           "pvkit: bench lazy ptes=1000 hypercalls_lazy=6 hypercalls_eager=1006"]
    for op in PVOPS:
        con.append("pvkit: bench pvops op=%s pv_cycles=%d direct_cycles=%d indirect_cycles=%s "
                   "patched=1" % (op, 50 + r, 30, "250" if op.startswith("irq") else "-"))
    n = 1000
    con.append("pvkit: hypercalls total=%d: sched_op=%d" % (n, n))
    for op, qd, req in BLK:
        con.append("pvkit: " + blk_line(op, qd, req, r))
        n += 100
        con.append("pvkit: hypercalls total=%d: sched_op=%d" % (n, n))
    for pace in (0, PACE):
        con.append("pvkit: udp send 10.0.0.1:5001 bytes=8388608 datagrams=5699 waits=3 "
                   "time_us=2000000 kbit_s=%d pace_kbit_s=%d error=none"
                   % (pace or 40000 + r, pace))
    con.append("pvkit: bench udp-recv port=5001 bytes=8388608 datagrams=5699 time_us=4000000 "
               "kbit_s=%d lost_pct=0 error=none" % (14000 + r))
    hook = {"pre": ["bench dom0 " + blk_line(op, qd, req, 300) for op, qd, req in BLK],
            "running": ["bench dom0 rx-from-guest bench udp-recv listening port=5001 "
                        "rcvbuf=%d" % (2 * RCVBUF),
                        "bench dom0 rx-from-guest " + udp_recv(30000 + r, 1),
                        "bench dom0 rx-from-guest-paced " + udp_recv(PACE, 0),
                        "bench dom0 tx-to-guest " + udp_send(50000, 0),
                        "bench dom0 ping 50 packets transmitted, 50 received, round-trip "
                        "min/avg/max = 0.5/1.%d/3.0 ms" % r],
            "post": ["bench boot guest=pvkit first_output_ms=%d ready_ms=%d"
                     % (9000 + r, 11000 + r)]}
    return {"name": "pvkit-%d" % r, "end": "poweroff", "console_lines": con,
            "hook_output": hook}


def linux_case(r):
    con = ["bench: linux ready disk=xvda net=eth0 addr=10.0.0.3/24 sectors=131072 kernel=6.1",
           "bench mem total_kib=230000 avail_kib=200000 used_kib=30000",
           "[    0.000000] Memory: 200000K/262144K available (12000K kernel code, 2000K rwdata, "
           "9000K rodata, 3000K init, 5000K bss, 50000K reserved)"]
    con += [blk_line(op, qd, req, r) for op, qd, req in BLK]
    con += [udp_send(35000 + r, 0), udp_send(PACE, PACE), udp_recv(14000 + r, 2)]
    hook = {"running": ["bench dom0 rx-from-guest " + udp_recv(30000 + r, 3),
                        "bench dom0 rx-from-guest-paced " + udp_recv(PACE, 0),
                        "bench dom0 tx-to-guest " + udp_send(50000, 0),
                        "bench dom0 ping 50 packets transmitted, 50 received, round-trip "
                        "min/avg/max = 0.6/1.8/3.0 ms"],
            "post": ["bench boot guest=linux first_output_ms=%d ready_ms=%d"
                     % (19000 + r, 19000 + r)]}
    return {"name": "linux-%d" % r, "end": "poweroff", "console_lines": con,
            "hook_output": hook}


def life_case(guest, r):
    """A lifecycle run (tests/bench/bench-life.sh): its hook's lines."""
    gap = ("ping-gap: sent=500 replies=400 lost=100 max_gap_ms=%d last_before_ms=1000 "
           "first_after_ms=3000 first_reply_ms=%d result=ok")
    hook = {"running": ["bench life-restore " + gap % (20, 1500 + r),
                        "bench life-migrate " + gap % (2000 + r, 20),
                        "bench life guest=%s save_ms=%d image_bytes=142000000 restore_ms=%d "
                        "answer_ms=%d migrate_ms=%d downtime_ms=%d"
                        % (guest, 5000 + r, 2000 + r, 1500 + r, 40000 + r, 2000 + r)]}
    return {"name": "%s-life-%d" % (guest, r), "end": "poweroff", "console_lines": [],
            "hook_output": hook}


# The vCPUs group (issue 15): what each guest gives with 1 and 2 vCPUs in run r.
VCPU_BLK = {("pvkit", 1): 18000, ("pvkit", 2): 18180, ("linux", 1): 10000, ("linux", 2): 15000}
VCPU_UDP = {("pvkit", 1): 40000, ("pvkit", 2): 40000, ("linux", 1): 20000, ("linux", 2): 30000}


def smp_line(n, r):
    """pvkit's bench smp line with @n CPUs online ("-" for the call figures with one)."""
    call = ("call_ns=%d call_flush_ns=%d flush_others_ns=%d" % (74000 + r, 90000 + r, 300)
            if n > 1 else "call_ns=- call_flush_ns=- flush_others_ns=-")
    return ("pvkit: bench smp cpus=%d online=%d target=%s n=200 clock_ns=40 map_unmap_ns=%d "
            "%s error=none" % (n, n, "1" if n > 1 else "-", 12000 if n == 1 else 12600, call))


def vcpus_case(guest, n, r, pvh=False):
    """A vCPUs run (tests/bench/bench.sh, bench-work vcpus) of @guest with @n vCPUs."""
    blk = ("bench blk dev=xvda op=rand-read qd=32 req=4096 bytes=16777216 ops=4096 "
           "time_us=200000 MBps=80 iops=%d error=none" % (VCPU_BLK[guest, n] + r))
    rate = VCPU_UDP[guest, n] + r
    if guest == "pvkit":
        con = ["pvkit: smp cpus=%d online=%d" % (n, n),
               "pvkit: ready disk=xvda net=eth0 addr=10.0.0.2/24", smp_line(n, r),
               "pvkit: hypercalls total=100: sched_op=100", "pvkit: " + blk,
               "pvkit: hypercalls total=200: sched_op=200",
               "pvkit: bench udp-recv port=5001 bytes=8388608 datagrams=5699 time_us=4000000 "
               "kbit_s=%d lost_pct=0 error=none" % rate]
    else:
        con = ["bench: linux ready disk=xvda net=eth0 addr=10.0.0.3/24 sectors=131072 "
               "kernel=6.1", "bench cpus online=%d list=0%s" % (n, "-1" if n > 1 else ""),
               blk, udp_recv(rate, 0)]
    hook = {"running": ["bench dom0 tx-to-guest " + udp_send(50000, 0)],
            "post": ["bench boot guest=%s first_output_ms=900 ready_ms=1000" % guest]}
    return {"name": "%s-%svcpus%d-%d" % (guest, "pvh-" if pvh else "", n, r), "end": "poweroff",
            "console_lines": con, "hook_output": hook}


def good_run(runs=3, vcpus=False, main=True):
    cases = []
    for r in range(1, runs + 1):
        cases += [pvkit_case(r), linux_case(r)] if main else []
    for r in range(1, min(runs, 3) + 1):
        cases += [life_case("pvkit", r), life_case("linux", r)] if main else []
    for r in range(1, min(runs, 3) + 1):
        if vcpus:
            cases += [vcpus_case(g, n, r) for g in ("pvkit", "linux") for n in (1, 2)]
    return {"harness_ok": True, "host": {}, "cases": cases}


def tiny_elf(path):
    """An ELF64 header and one PT_LOAD of 4096 bytes: all bench.py reads of the image."""
    hdr = bytearray(64)
    hdr[0:4] = b"\x7fELF"
    struct.pack_into("<Q", hdr, 0x20, 64)
    struct.pack_into("<HH", hdr, 0x36, 56, 1)
    ph = bytearray(56)
    struct.pack_into("<I", ph, 0, 1)
    struct.pack_into("<Q", ph, 0x20, 4096)
    with open(path, "wb") as f:
        f.write(bytes(hdr + ph))


def bench(run, guest_env=True, args=()):
    """bench.py --parse-only over @run: (exit status, its output, its results.json or None)."""
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "bench", "logs"))
        os.makedirs(os.path.join(d, "bench", "linux"))
        with open(os.path.join(d, "bench", "logs", "results.json"), "w") as f:
            json.dump(run, f)
        if guest_env:
            with open(os.path.join(d, "bench", "linux", "guest.env"), "w") as f:
                f.write("KERNEL_PKG=linux-image-test\nVMLINUZ_BYTES=1000\nINITRD_BYTES=2000\n")
        tiny_elf(os.path.join(d, "pvkit.elf"))
        cases = run.get("cases") if isinstance(run.get("cases"), list) else []
        runs = sum(1 for c in cases
                   if isinstance(c, dict) and re.match(r"pvkit-\d+$", str(c.get("name"))))
        p = subprocess.run([sys.executable, BENCH, "--build", d, "--runs", str(runs or 3),
                            "--parse-only"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        try:
            with open(os.path.join(d, "bench", "results.json")) as f:
                res = json.load(f)
        except (OSError, ValueError):
            res = None
        return p.returncode, out, res


def no_traceback(out):
    assert "Traceback" not in out, out[-2000:]


def na(res, key, guest):
    f = res["figures"][key]
    assert f[guest] is None, "%s %s has a median: %s" % (guest, key, f[guest])
    return f.get(guest + "_na") or ""


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def three_runs_pass():
    """three good runs per guest: every figure has its median, exit 0"""
    rc, out, res = bench(good_run())
    no_traceback(out)
    assert rc == 0, out[-2000:]
    assert res["missing"] == [], res["missing"]
    f = res["figures"]
    assert f["boot_ready_ms"]["pvkit"]["median"] == 11002, f["boot_ready_ms"]
    assert f["udp_guest_to_dom0_send_mbit_s"]["pvkit"]["median"] == 40.002
    assert f["udp_guest_to_dom0_paced_lost_pct"]["linux"]["median"] == 0
    assert f["udp_rcvbuf_dom0_bytes"]["linux"]["median"] == 2 * RCVBUF
    assert f["blk_seq_read_MBps"]["dom0"]["median"] == 400
    assert "pvkit counts" in f["udp_rcvbuf_guest_bytes"]["pvkit_na"]


@case
def two_successes_fail():
    """a figure with 2 successful runs of 3 is n/a (not a 2-run median) and bench exits 1"""
    run = good_run()
    c = run["cases"][4]                 # pvkit-3: its sequential read failed
    c["console_lines"] = [l.replace("op=seq-read qd=1 req=1048576 bytes=67108864 ops=64 "
                                    "time_us=500000 MBps=103 iops=1003 error=none",
                                    "op=seq-read error=EIO") for l in c["console_lines"]]
    rc, out, res = bench(run)
    no_traceback(out)
    assert rc != 0, "exit status 0 with a 2-run figure"
    why = na(res, "blk_seq_read_MBps", "pvkit")
    assert "only 2 successful runs of 3" in why and "error EIO" in why, why
    assert res["figures"]["blk_seq_read_MBps"]["pvkit_partial_runs"] == [101, 102]
    assert res["figures"]["blk_seq_read_MBps"]["linux"]["median"] == 102
    assert {"guest": "pvkit", "figure": "blk_seq_read_MBps", "why": why} in res["missing"]


@case
def two_cases_fail():
    """a run with only 2 cases per guest: every measured figure n/a, exit 1"""
    rc, out, res = bench(good_run(runs=2))
    no_traceback(out)
    assert rc != 0
    assert "only 2 successful runs" in na(res, "mem_used_kib", "linux")


@case
def missing_fields_no_crash():
    """lines missing their fields give n/a naming the field, never a traceback"""
    run = good_run()
    strip = ("kbit_s=", "lost_pct=", "ready_ms=", "used_kib=", "pv_cycles=", "ptes=",
             "MBps=", "rcvbuf=", "error=", "text=")
    for c in run["cases"]:
        cut = lambda l: " ".join(w for w in l.split() if not w.startswith(strip))
        c["console_lines"] = [cut(l) for l in c["console_lines"]]
        c["hook_output"] = {k: [cut(l) for l in v] for k, v in c["hook_output"].items()}
    rc, out, res = bench(run)
    no_traceback(out)
    assert rc != 0
    assert res is not None, out[-2000:]
    for key, guest, want in (("boot_ready_ms", "pvkit", "lacks ready_ms"),
                             ("mem_used_kib", "linux", "lacks used_kib"),
                             ("udp_guest_to_dom0_mbit_s", "pvkit", "lacks error"),
                             ("pvops_set_pte_pv_cycles", "pvkit", "lacks pv_cycles"),
                             ("hypercalls_per_1000_ptes_lazy", "pvkit", "lacks ptes")):
        why = na(res, key, guest)
        assert "not measured in any of 3 runs" in why and want in why, (key, why)


@case
def broken_structure_no_crash():
    """cases without names, lines, hook output; a missing guest.env; junk values: no crash"""
    run = good_run()
    run["cases"] += [{}, {"name": "pvkit-9", "console_lines": None, "hook_output": None},
                     {"name": "linux-9", "console_lines": [None, 7, "bench mem used_kib=x"],
                      "hook_output": {"post": ["bench boot ready_ms=none first_output_ms="]}},
                     "not a case"]
    rc, out, res = bench(run, guest_env=False)
    no_traceback(out)
    assert rc != 0 and res is not None
    assert "guest.env" in na(res, "image_file_bytes", "linux")
    rc, out, res = bench({"cases": "nonsense"})
    no_traceback(out)
    assert rc != 0


@case
def lifecycle_runs_apart():
    """lifecycle figures from the lifecycle runs only; those runs are no runs of the others"""
    run = good_run()
    rc, out, res = bench(run)
    no_traceback(out)
    assert rc == 0, out[-2000:]
    f = res["figures"]
    assert f["life_migrate_downtime_ms"]["pvkit"]["median"] == 2002
    assert f["life_restore_answer_ms"]["linux"]["median"] == 1502
    assert len(f["boot_ready_ms"]["pvkit"]["runs"]) == 3
    run["cases"] = [c for c in run["cases"] if c["name"] != "pvkit-life-2"]
    rc, out, res = bench(run)
    assert rc != 0
    why = na(res, "life_save_ms", "pvkit")
    assert "only 2 successful runs of 2" in why, why
    assert res["figures"]["blk_seq_read_MBps"]["pvkit"]["median"] == 102


@case
def ready_line_checked():
    """a boot time whose ready line lacks the disk or the interface is refused"""
    run = good_run()
    for r, c in enumerate(run["cases"]):
        if c["name"] == "pvkit-2":
            c["console_lines"] = [l.replace("disk=xvda", "disk=none") for l in c["console_lines"]]
        if c["name"] == "linux-1":
            c["console_lines"] = [l.replace("net=eth0", "net=none") for l in c["console_lines"]]
    rc, out, res = bench(run)
    no_traceback(out)
    assert rc != 0
    why = na(res, "boot_ready_ms", "pvkit")
    assert "only 2 successful runs" in why and "lacks disk xvda" in why, why
    why = na(res, "boot_ready_ms", "linux")
    assert "lacks interface eth0" in why, why
    assert res["figures"]["boot_first_output_ms"]["pvkit"]["median"] == 9002


@case
def receive_buffer_checked():
    """a receiver whose socket buffer was cut (rmem_max) or left default gives no UDP figure"""
    run = good_run()
    for c in run["cases"]:
        if c["name"] == "linux-1":
            c["hook_output"]["running"][0] = "bench dom0 rx-from-guest " + udp_recv(
                12000, 68, rcvbuf=425984, err="No-buffer-space-available")
        if c["name"] == "linux-2":
            c["hook_output"]["running"][0] = "bench dom0 rx-from-guest " + udp_recv(
                12000, 68, rcvbuf=212992, asked=0)
    rc, out, res = bench(run)
    no_traceback(out)
    assert rc != 0
    why = na(res, "udp_guest_to_dom0_lost_pct", "linux")
    assert "only 1 successful run of 3" in why and "not granted" in why, why
    assert "default socket buffer" in why, why


def vrow(res, figure, group="vcpus"):
    """The vCPUs summary row of @figure in results.json."""
    return next(r for r in res["vcpus"][group]["rows"] if r["figure"] == figure)


def vline(out, label):
    """The row @label of the printed vCPUs table."""
    section = out[out.index("vCPUs, Xen PV"):]
    return next(l for l in section.splitlines() if l.startswith(label + "  "))


@case
def vcpus_scaling():
    """vCPUs group: 1 and 2 vCPUs side by side, the 2/1 ratio per guest, pvkit's smp costs"""
    rc, out, res = bench(good_run(vcpus=True))
    no_traceback(out)
    assert rc == 0, out[-3000:]
    assert res["groups"] == ["main", "life", "vcpus"], res["groups"]
    f = res["figures"]
    assert f["vcpus1_blk_rand_read_qd32_iops"]["pvkit"]["median"] == 18002
    assert f["vcpus2_blk_rand_read_qd32_iops"]["linux"]["median"] == 15002
    assert f["vcpus2_smp_call_ns"]["pvkit"]["median"] == 74002
    assert f["vcpus1_smp_map_unmap_ns"]["pvkit"]["median"] == 12000
    assert "vcpus1_smp_call_ns" not in f        # no call figure with one CPU
    assert "kernel module" in f["vcpus2_smp_call_ns"]["linux_na"]
    blk = vrow(res, "blk_rand_read_qd32_iops")
    assert abs(blk["pvkit"]["scaling"] - 18182 / 18002) < 1e-9, blk
    assert abs(blk["linux"]["scaling"] - 15002 / 10002) < 1e-9, blk
    udp = vrow(res, "udp_dom0_to_guest_mbit_s")
    assert abs(udp["linux"]["scaling"] - 30002 / 20002) < 1e-9, udp
    m = vrow(res, "smp_map_unmap_ns")
    assert abs(m["pvkit"]["scaling"] - 1.05) < 1e-9 and m["linux"]["scaling"] is None, m
    assert "kernel module" in m["linux"]["scaling_na"], m
    assert "scaling" not in vrow(res, "smp_call_ns")["pvkit"]
    # the table: both guests side by side, with the ratios
    assert "vCPUs, Xen PV" in out and "pvkit 2/1" in out and "Linux 2/1" in out, out[-3000:]
    line = vline(out, "blk rand read 4K QD32")
    assert "1.01" in line and "1.50" in line, line
    # the main table does not repeat the vCPUs rows
    assert "vCPUs PV, 2 vCPUs" not in out, out[-3000:]


@case
def vcpus_missing_fields():
    """vCPUs group: lines without their fields give n/a ratios with the reason, no crash"""
    run = good_run(vcpus=True)
    for c in run["cases"]:
        if c["name"].startswith("pvkit-vcpus2-"):
            c["console_lines"] = [" ".join(w for w in l.split() if not w.startswith(
                ("call_ns=", "map_unmap_ns=", "iops="))) for l in c["console_lines"]]
        if c["name"].startswith("linux-vcpus1-"):
            c["console_lines"] = [l for l in c["console_lines"] if "udp-recv" not in l]
    rc, out, res = bench(run)
    no_traceback(out)
    assert rc != 0, "exit 0 with figures missing"
    f = res["figures"]
    why = na(res, "vcpus2_smp_call_ns", "pvkit")
    assert "lacks call_ns" in why, why
    blk = vrow(res, "blk_rand_read_qd32_iops")["pvkit"]
    assert blk["scaling"] is None and "2 vCPUs" in blk["scaling_na"] and "lacks iops" in \
        blk["scaling_na"], blk
    udp = vrow(res, "udp_dom0_to_guest_mbit_s")["linux"]
    assert udp["scaling"] is None and udp["scaling_na"].startswith("1 vCPU:"), udp
    assert f["vcpus2_blk_rand_read_qd32_iops"]["linux"]["median"] == 15002
    line = vline(out, "blk rand read 4K QD32")
    assert "n/a" in line, line
    # an error in bench smp costs its figures, with the error named
    run = good_run(vcpus=True)
    for c in run["cases"]:
        if c["name"].startswith("pvkit-vcpus2-"):
            c["console_lines"] = [l.replace("call_flush_ns=%d" % (90000 + int(c["name"][-1])),
                                            "call_flush_ns=-").replace("error=none",
                                                                       "error=ETIMEDOUT")
                                  if "bench smp" in l else l for l in c["console_lines"]]
    rc, out, res = bench(run)
    no_traceback(out)
    assert rc != 0
    assert "error ETIMEDOUT" in na(res, "vcpus2_smp_call_flush_ns", "pvkit")
    assert res["figures"]["vcpus2_smp_call_ns"]["pvkit"]["median"] == 74002


@case
def vcpus_online_checked():
    """vCPUs group: a run whose guest had fewer CPUs online than the case gave is refused"""
    run = good_run(vcpus=True)
    for c in run["cases"]:
        if c["name"] == "linux-vcpus2-2":
            c["console_lines"] = [l.replace("online=2", "online=1") for l in c["console_lines"]]
        if c["name"] == "pvkit-vcpus2-3":
            c["console_lines"] = [l for l in c["console_lines"] if "bench smp" not in l]
    rc, out, res = bench(run)
    no_traceback(out)
    assert rc != 0
    why = na(res, "vcpus2_blk_rand_read_qd32_iops", "linux")
    assert "only 2 successful runs of 3" in why and "had 1 CPU online, the case gave it 2" \
        in why, why
    why = na(res, "vcpus2_udp_dom0_to_guest_mbit_s", "pvkit")
    assert "did not say how many CPUs" in why, why
    assert res["figures"]["vcpus1_blk_rand_read_qd32_iops"]["linux"]["median"] == 10002


@case
def groups_selected():
    """--groups: only the groups run count; plan.txt is the default plan; bad names refused"""
    sys.path.insert(0, HERE)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts",
                                    "xenhost"))
    import bench as b            # noqa: E402
    import xenhost               # noqa: E402
    got = [(c["name"], c["cfg"], c["timeout"], c["hook"], c["vars"])
           for c in xenhost.parse_plan(os.path.join(b.PLAN_DIR, "plan.txt"))]
    with tempfile.TemporaryDirectory() as d:
        plan = b.make_plan(b.DEFAULT_RUNS, d, ("main", "life", "vcpus", "vcpus-pvh"))
        want = [(c["name"], c["cfg"], c["timeout"], c["hook"], c["vars"])
                for c in xenhost.parse_plan(plan)]
    assert got == [w for w in want if "-pvh-vcpus" not in w[0]], "plan.txt != plan_lines()"
    assert any(w[0] == "linux-pvh-vcpus2-3" and w[4]["CPUS"] == '"1"' for w in want), want
    assert b.parse_groups("vcpus,main") == ("main", "vcpus")
    for bad in ("vcpu", "", "main,nope"):
        try:
            b.parse_groups(bad)
            raise AssertionError("parse_groups(%r) accepted" % bad)
        except ValueError:
            pass
    # a run of the vCPUs group alone: its figures, nothing of the others required
    run = good_run(vcpus=True, main=False)
    rc, out, res = bench(run)
    no_traceback(out)
    assert rc == 0, out[-3000:]
    assert res["groups"] == ["vcpus"] and "boot_ready_ms" not in res["figures"], res["groups"]
    rc, out, res = bench(run, args=("--groups", "main,vcpus"))
    assert rc != 0 and "boot_ready_ms" in res["figures"], "a group asked for but not run"
    rc, out, res = bench(run, args=("--groups", "nonsense"))
    no_traceback(out)
    assert rc == 2 and "unknown group" in out, out


@case
def scaling_never_raises():
    """the scaling ratio: n/a with a reason for whatever is missing or broken, never a crash"""
    sys.path.insert(0, HERE)
    import bench as b            # noqa: E402
    k1, k2 = (b.vcpu_key("vcpus", n, "blk_rand_read_qd32_iops") for n in (1, 2))
    med = lambda v: {"pvkit": {"median": v}}
    for figures, want in (({}, "no 1-vCPU figure"),
                          ({k1: med(10)}, "no 2-vCPU figure"),
                          ({k1: med(0), k2: med(5)}, "1-vCPU median is 0"),
                          ({k1: {"pvkit": None, "pvkit_na": "why"}, k2: med(5)}, "1 vCPU: why"),
                          ({k1: med(10), k2: {"pvkit": "junk"}}, "2 vCPUs: no median"),
                          ({k1: "junk", k2: med(5)}, "no 1-vCPU figure"),
                          ({k1: med(None), k2: med(5)}, "1 vCPU: no median")):
        r, why = b.scaling(figures, "vcpus", "blk_rand_read_qd32_iops", "pvkit")
        assert r is None and want in why, (figures, r, why)
    assert b.scaling({k1: med(10), k2: med(15)}, "vcpus", "blk_rand_read_qd32_iops",
                     "pvkit") == (1.5, None)
    rows = b.vcpus_summary({}, "vcpus")
    assert rows[0]["pvkit"]["1"] is None and rows[0]["pvkit"]["scaling"] is None
    assert "n/a" in b.vcpus_table({"vcpus": {"vcpus": {"config": "x", "rows": rows}}}, "vcpus")


def main():
    failed = 0
    for n, fn in enumerate(CASES, 1):
        try:
            fn()
            print("ok %d - bench.py: %s" % (n, fn.__doc__))
        except Exception as e:          # an assertion, or results without a field
            failed += 1
            print("not ok %d - bench.py: %s" % (n, fn.__doc__))
            print("#   %s: %s" % (type(e).__name__, str(e).replace("\n", "\n#   ")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
