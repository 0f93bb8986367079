#!/bin/sh
# SPDX-License-Identifier: MIT
# One long libFuzzer run per target, then what it found folded into the committed corpus
# (docs/testing.md "Fuzzing"). `make fuzz` and `make fuzz-long` call it; it also runs alone:
#
#   tests/fuzz/longrun.sh [-B build] [-r RUNS [-c CHUNK] | -t SECS] [-d DIR] [-s SEEDS] [-n | -M]
#                         NAME...
#
#   -B build    where the fuzzers are ($B/tests/fuzz/fuzz_<name>; `make fuzz-build` makes them)
#   -r RUNS     run to RUNS executions (libFuzzer -runs)
#   -c CHUNK    with -r: in libFuzzer runs of CHUNK executions each, counted in DIR/chunks, to
#               RUNS in all; a later call with the same DIR goes on from that count, so a run
#               killed (a reboot, a stopped machine) loses only its last chunk. The line then
#               gives the totals over every chunk. Remove DIR/chunks to count from 0 again.
#   -t SECONDS  run for SECONDS (-max_total_time; the default, 600, when -r is not given)
#   -d DIR      the run's directory (default $B/fuzz/long/<name>; several names: DIR/<name>):
#               fuzz.log (libFuzzer's output), corpus/ (what it keeps: a later run with the same
#               DIR goes on from it), <name>-crash-* etc. (findings), merge.log, summary (one
#               line added per run or merge)
#   -s SEEDS    the committed corpus (default: the one `make fuzz-list` names)
#   -n          do not merge into the committed corpus
#   -M          merge only, no run: fold DIR/corpus in (the lead, after a background run)
#
# The merge: the committed corpus is the hand-written seeds (files at the top of SEEDS) plus
# SEEDS/found/, the inputs earlier runs found. found/ is rebuilt as libFuzzer's -merge=1 of the
# old found/ and DIR/corpus into a copy of the seeds: only inputs that add coverage the seeds
# and the smaller inputs before them lack, so it stays small. libFuzzer reads SEEDS
# recursively: make check's short runs start from all of it.
#
# Output: one line per target (runs, seconds, exec/s, cov and ft of the last status line,
# found/'s size) on stdout and in DIR/summary. Exit status 1 if a target crashed, leaked, timed
# out or did not run (its line says where the finding is), 2 on a usage error.
set -u

usage() {
	sed -n '5,17s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

B=build RUNS= SECS= DIR= SEEDS= MERGE=1 RUN=1 CHUNK=
while getopts B:r:c:t:d:s:nMh o; do
	case $o in
	B) B=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	c) CHUNK=$OPTARG ;;
	t) SECS=$OPTARG ;;
	d) DIR=$OPTARG ;;
	s) SEEDS=$OPTARG ;;
	n) MERGE= ;;
	M) RUN= ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
[ -n "$SEEDS" ] && [ $# -gt 1 ] && { echo "longrun: -s with one target only" >&2; exit 2; }
# Counts are positive integers: a -c 0 would loop for ever, a word would break the arithmetic.
for v in "r:$RUNS" "c:$CHUNK" "t:$SECS"; do
	case ${v#?:} in
	'') ;;
	0* | *[!0-9]*) echo "longrun: -${v%%:*} wants a positive number, not '${v#?:}'" >&2; exit 2 ;;
	esac
done
[ -n "$CHUNK" ] && [ -z "$RUNS" ] && { echo "longrun: -c needs -r" >&2; exit 2; }
[ -z "$RUNS$SECS" ] && SECS=600
# As FUZZ_OPTS in tests/fuzz/Makefile and scripts/testrun.py: a 10 s hang or 1 GiB is a finding.
OPTS="-timeout=10 -rss_limit_mb=1024 -print_final_stats=1"
# ASan keeps 256 MB of freed heap in quarantine by default; over millions of runs its caches
# grew netfront's RSS by ~40 MB per 500 k runs towards that 1 GiB (docs/testing.md, issue 12
# item 13). 64 MB still holds thousands of inputs' frees; set ASAN_OPTIONS to choose.
case ${ASAN_OPTIONS:-} in
*quarantine_size_mb=*) ;;
*) export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=64" ;;
esac
SRC=$(cd "$(dirname "$0")/../.." && pwd)

# The committed corpus of target $1, as `make fuzz-list` says.
seeds_of() {
	(cd "$SRC" && make -s --no-print-directory O="$B" fuzz-list 2>/dev/null) |
		awk -v t="$1" '$1 == t { print $3 }'
}

# Files and bytes in directory $1 (not below).
size_of() {
	find "$1" -maxdepth 1 -type f -printf '%s\n' 2>/dev/null |
		awk '{ n++; b += $1 } END { printf "%d inputs, %d bytes", n, b }'
}

# Fold $dir/corpus into $seeds/found with fuzzer $bin (see the top of this file).
merge() {
	tmp=$(mktemp -d) || return 1
	find "$seeds" -maxdepth 1 -type f -exec cp {} "$tmp/" \;
	ls "$tmp" >"$tmp.seeds"
	mkdir -p "$seeds/found" "$tmp.run"
	# A copy: a fuzzer still running there deletes inputs it replaced (the merge then stops).
	cp -r "$dir/corpus/." "$tmp.run/" 2>/dev/null
	if ! "$bin" -merge=1 $OPTS "$tmp" "$seeds/found" "$tmp.run" >"$dir/merge.log" 2>&1; then
		echo "longrun: $name: merge failed (see $dir/merge.log)" >&2
		rm -rf "$tmp" "$tmp.seeds" "$tmp.run"
		return 1
	fi
	rm -f "$seeds/found/"*
	for f in "$tmp"/*; do
		[ -e "$f" ] || continue
		grep -qxF "$(basename "$f")" "$tmp.seeds" || mv "$f" "$seeds/found/"
	done
	rm -rf "$tmp" "$tmp.seeds" "$tmp.run"
}

# One libFuzzer run of target $name in $dir with limit $1. Sets done ("N runs in S s" from
# libFuzzer's Done line, empty without one), rate, cov, ok (1: exit 0, a Done line, no new
# finding) and failed (why not, for the line).
run_once() {
	before=$(ls "$dir" | grep -c -e "^$name-")
	"$bin" $1 $OPTS -artifact_prefix="$dir/$name-" "$dir/corpus" "$seeds" \
		>"$dir/fuzz.log" 2>&1
	rc=$?
	done=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' \
		"$dir/fuzz.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log")
	last=$(grep -E '^#[0-9]+' "$dir/fuzz.log" | tail -1)
	cov=$(echo "$last" | sed -n \
		's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, ft \2, kept \3/p')
	after=$(ls "$dir" | grep -c -e "^$name-")
	ok=1 failed=
	if [ $rc -ne 0 ] || [ -z "$done" ] || [ "$after" -ne "$before" ]; then
		ok=0
		failed="FAILED: exit $rc, findings: $(ls "$dir" | grep -e "^$name-" |
			tr '\n' ' ')(log: $dir/fuzz.log)"
	fi
}

# Chunks of $CHUNK runs until $dir/chunks adds up to $RUNS (see -c). Each finished chunk is a
# line "<runs> <seconds> <cov, ft, kept>" there and its log is kept as fuzz.log.<n>.
run_chunks() {
	while :; do
		total=$(awk '{ r += $1 } END { print r + 0 }' "$dir/chunks" 2>/dev/null || echo 0)
		[ "$total" -ge "$RUNS" ] && break
		left=$((RUNS - total))
		run_once -runs=$((left < CHUNK ? left : CHUNK))
		if [ $ok -ne 1 ]; then
			line="$total runs in earlier chunks; this chunk $failed"
			status=1
			return
		fi
		echo "$(echo "$done" | sed 's/ runs in / /; s/ s$//') $cov" >>"$dir/chunks"
		mv "$dir/fuzz.log" "$dir/fuzz.log.$(wc -l <"$dir/chunks")"
	done
	line=$(awk '{ r += $1; t += $2; c = $0 } END {
		sub(/^[0-9]+ [0-9]+ /, "", c)
		printf "%d runs in %d s (%d chunks, %.0f exec/s), last chunk: %s", r, t, NR,
			t ? r / t : 0, c }' "$dir/chunks")
}

status=0
for name in "$@"; do
	bin=$B/tests/fuzz/fuzz_$name
	if [ -z "$DIR" ]; then
		dir=$B/fuzz/long/$name
	elif [ $# -gt 1 ]; then
		dir=$DIR/$name
	else
		dir=$DIR
	fi
	seeds=${SEEDS:-$(seeds_of "$name")}
	[ -z "$seeds" ] || [ -d "$seeds" ] || seeds=$SRC/$seeds
	if [ ! -x "$bin" ] || [ -z "$seeds" ] || [ ! -d "$seeds" ]; then
		echo "longrun: $name: no fuzzer $bin or no corpus ${seeds:-(make fuzz-list)}" >&2
		status=1
		continue
	fi
	mkdir -p "$dir/corpus"
	line=
	if [ -n "$RUN" ] && [ -n "$CHUNK" ]; then
		run_chunks
	elif [ -n "$RUN" ]; then
		if [ -n "$RUNS" ]; then limit=-runs=$RUNS; else limit=-max_total_time=$SECS; fi
		run_once "$limit"
		line="${done:-no Done line} (${rate:-?} exec/s), ${cov:-no status line}"
		[ $ok -eq 1 ] || { line="$line; $failed"; status=1; }
	fi
	if [ -n "$MERGE" ]; then
		if merge; then
			line="${line:+$line; }${seeds#"$SRC"/}/found: $(size_of "$seeds/found")"
		else
			line="${line:+$line; }merge FAILED ($dir/merge.log)"
			status=1
		fi
	fi
	echo "$name: $line" | tee -a "$dir/summary"
done
exit $status
