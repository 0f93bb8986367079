#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of tests/fuzz/longrun.sh with a fake fuzzer (a shell script that prints what
libFuzzer prints): chunked runs (-c) add up to -r, a second call goes on from the count in the
run's directory, a chunk that crashed or has no Done line (killed) is not counted and fails
the run, and the plain -r / -t runs still report as before. Run by `make check` (the harness
suite)."""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
LONGRUN = os.path.join(HERE, "longrun.sh")

# The fake: -runs=N (else 100), -artifact_prefix=P; $B/calls gets one line per call with its
# -runs; $B/crash makes it leave a finding and exit 1, $B/nodone makes it stop without its
# Done line (a killed run); each trigger is used once.
FAKE = r"""#!/bin/sh
runs=100 prefix=
for a in "$@"; do
	case $a in
	-runs=*) runs=${a#-runs=} ;;
	-artifact_prefix=*) prefix=${a#-artifact_prefix=} ;;
	esac
done
here=$(dirname "$0")/../..
echo "$runs" >>"$here/calls"
echo "#$runs	pulse  cov: 11 ft: 22 corp: 3/1Kb lim: 4 exec/s: 500 rss: 30Mb"
if [ -e "$here/crash" ]; then
	rm "$here/crash"
	echo "==1==ERROR: AddressSanitizer: fake"
	echo x >"${prefix}crash-0001"
	exit 1
fi
if [ -e "$here/nodone" ]; then
	rm "$here/nodone"
	exit 0
fi
echo "Done $runs runs in 2 second(s)"
echo "stat::average_exec_per_sec: 500"
exit 0
"""


class Tree:
    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.b = self.tmp.name
        os.makedirs(os.path.join(self.b, "tests", "fuzz"))
        fake = os.path.join(self.b, "tests", "fuzz", "fuzz_fake")
        with open(fake, "w") as f:
            f.write(FAKE)
        os.chmod(fake, 0o755)
        self.seeds = os.path.join(self.b, "seeds")
        os.makedirs(self.seeds)
        with open(os.path.join(self.seeds, "seed1"), "w") as f:
            f.write("x")
        self.dir = os.path.join(self.b, "run")

    def longrun(self, *args):
        p = subprocess.run(["sh", LONGRUN, "-B", self.b, "-s", self.seeds, "-d", self.dir,
                            "-n"] + list(args) + ["fake"], capture_output=True, text=True,
                           timeout=60)
        return p.returncode, p.stdout + p.stderr

    def calls(self):
        try:
            with open(os.path.join(self.b, "calls")) as f:
                return [int(x) for x in f.read().split()]
        except FileNotFoundError:
            return []

    def touch(self, name):
        open(os.path.join(self.b, name), "w").close()

    def chunks(self):
        with open(os.path.join(self.dir, "chunks")) as f:
            return [line.split()[:2] for line in f]


def chunks_add_up():
    """-r 2500 -c 1000: chunks of 1000, 1000, 500; one line with the totals; logs kept"""
    t = Tree()
    rc, out = t.longrun("-r", "2500", "-c", "1000")
    assert rc == 0, out
    assert t.calls() == [1000, 1000, 500], t.calls()
    assert t.chunks() == [["1000", "2"], ["1000", "2"], ["500", "2"]], t.chunks()
    assert re.search(r"^fake: 2500 runs in 6 s \(3 chunks, 417 exec/s\), last chunk: cov 11, "
                     r"ft 22, kept 3$", out, re.M), out
    for n in (1, 2, 3):
        assert os.path.exists(os.path.join(t.dir, "fuzz.log.%d" % n)), n


def second_call_goes_on():
    """a second call with the same directory runs only what is left of -r"""
    t = Tree()
    assert t.longrun("-r", "2000", "-c", "1000")[0] == 0
    rc, out = t.longrun("-r", "2000", "-c", "1000")
    assert rc == 0 and t.calls() == [1000, 1000], (out, t.calls())
    assert "fake: 2000 runs in 4 s (2 chunks" in out, out
    rc, out = t.longrun("-r", "3500", "-c", "1000")
    assert rc == 0 and t.calls() == [1000, 1000, 1000, 500], (out, t.calls())
    assert "fake: 3500 runs in 8 s (4 chunks" in out, out


def crash_not_counted():
    """a chunk that crashed fails the run, is not counted, and the next call runs it again"""
    t = Tree()
    t.touch("crash")
    rc, out = t.longrun("-r", "2000", "-c", "1000")
    assert rc == 1, out
    assert "0 runs in earlier chunks; this chunk FAILED: exit 1, findings: fake-crash-0001" \
        in out, out
    assert not os.path.exists(os.path.join(t.dir, "chunks")), t.chunks()
    os.remove(os.path.join(t.dir, "fake-crash-0001"))
    rc, out = t.longrun("-r", "2000", "-c", "1000")
    assert rc == 0 and t.calls() == [1000, 1000, 1000], (out, t.calls())


def killed_not_counted():
    """a chunk without libFuzzer's Done line (killed) fails the run and is not counted"""
    t = Tree()
    assert t.longrun("-r", "1000", "-c", "1000")[0] == 0
    t.touch("nodone")
    rc, out = t.longrun("-r", "3000", "-c", "1000")
    assert rc == 1 and "1000 runs in earlier chunks; this chunk FAILED: exit 0" in out, out
    assert t.chunks() == [["1000", "2"]], t.chunks()


def plain_runs_unchanged():
    """without -c: one run to -r (or -t); -c without -r, or a count not > 0, is a usage error"""
    t = Tree()
    rc, out = t.longrun("-r", "700")
    assert rc == 0 and t.calls() == [700], (out, t.calls())
    assert re.search(r"^fake: 700 runs in 2 s \(500 exec/s\), cov 11, ft 22, kept 3$", out,
                     re.M), out
    assert not os.path.exists(os.path.join(t.dir, "chunks"))
    rc, out = t.longrun("-c", "10")
    assert rc == 2 and "-c needs -r" in out, out
    for bad in (("-r", "100", "-c", "0"), ("-r", "1e6"), ("-t", "-5"), ("-r", "10", "-c", "x")):
        rc, out = t.longrun(*bad)
        assert rc == 2 and "wants a positive number" in out, (bad, out)
    assert t.calls() == [700], t.calls()


CASES = [chunks_add_up, second_call_goes_on, crash_not_counted, killed_not_counted,
         plain_runs_unchanged]


def main():
    failed = 0
    for n, fn in enumerate(CASES, 1):
        try:
            fn()
            print("ok %d - longrun.sh: %s" % (n, fn.__doc__))
        except Exception as e:          # an assertion, or a timeout
            failed += 1
            print("not ok %d - longrun.sh: %s" % (n, fn.__doc__))
            print("#   %s: %s" % (type(e).__name__, str(e).replace("\n", "\n#   ")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
