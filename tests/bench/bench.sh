# SPDX-License-Identifier: MIT
# The hook of every make bench case (dom0 side; docs/benchmarks.md). The same work for the
# pvkit and the Linux DomU, measured the same way:
#   pre      a fresh 64 MiB disk image; on cases with dom0bound=1 the dom0 upper bound (the
#            blk work with tests/dom0-tools/bench-blk on a loop device over that image); then
#            bench-stamp starts to timestamp the console on dom0's monotonic clock, right
#            before case.sh runs `xl create`
#   running  waits for the guest's ready line, then drives it through its console: memory,
#            pv_ops and lazy-MMU figures (pvkit only), the blk work, UDP both ways with
#            bench-udp in dom0 (the guest's side: pvkit's `udp send` / `bench udp-recv`,
#            Linux's bench-udp; guest->dom0 unpaced and paced), ping from dom0; then powers
#            it off
#   post     the boot figure from bench-stamp's log
# A config with "# bench-work: vcpus" (the vCPUs group, issue 15: bench-*-vcpus*.cfg) does less
# in its running phase: how many CPUs the guest has online (pvkit: bench smp, which also
# times a cross-CPU call and the TLB shootdown), the blk random 4 KiB read at QD32 and UDP
# dom0 -> guest; the same work with vcpus=1 and vcpus=2 gives each guest's scaling.
# Results are the lines beginning "bench " (hook output) and the guest's own console lines;
# scripts/bench/bench.py reads both.
set -u
. ./sizes.env

D=/run/pvkit/bench
IMG=$D/disk.img
TOOLS=/pvkit/tools
CFG=/pvkit/cases/$CASE.cfg
DOM0_IP=10.0.0.1
GUEST=$(sed -n 's/^# bench-guest: *\([a-z]*\).*/\1/p' "$CFG" | head -n 1)
GUEST_IP=$(sed -n 's/^# bench-ip: *\([0-9.]*\).*/\1/p' "$CFG" | head -n 1)
DOM0BOUND=$(sed -n 's/^# bench-dom0bound: *\([01]\).*/\1/p' "$CFG" | head -n 1)
WORK=$(sed -n 's/^# bench-work: *\([a-z]*\).*/\1/p' "$CFG" | head -n 1)

fail() {
	echo "bench error case=$CASE reason=$*"
	exit 1
}

# wait_console TEXT SECONDS: until TEXT appears in the console log.
wait_console() {
	local i=0
	while ! grep -qF "$1" "$CONSOLE_LOG" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt $(( $2 * 10 )) ] && return 1
		sleep 0.1
	done
}

# A failure while the guest runs: say so, power it off, stop.
rfail() {
	echo "bench error case=$CASE reason=$*"
	xl shutdown "$DOMID" >/dev/null 2>&1
	exit 1
}

# blk_work RUNNER DEV: the six blk measurements, then a supplementary one: the sequential
# read in 128 KiB requests, 8 in flight (the shape Linux's blkfront gives a 1 MiB read:
# max_indirect_segments=32). RUNNER is a function taking "DEV OP QD BYTES REQ".
blk_work() {
	$1 "$2" seq-read 1 "$BENCH_SEQ_BYTES" "$BENCH_SEQ_REQ" &&
	$1 "$2" seq-write 1 "$BENCH_SEQ_BYTES" "$BENCH_SEQ_REQ" &&
	$1 "$2" rand-read 1 "$BENCH_RAND_QD1_BYTES" "$BENCH_RAND_REQ" &&
	$1 "$2" rand-read 32 "$BENCH_RAND_QD32_BYTES" "$BENCH_RAND_REQ" &&
	$1 "$2" rand-write 1 "$BENCH_RAND_QD1_BYTES" "$BENCH_RAND_REQ" &&
	$1 "$2" rand-write 32 "$BENCH_RAND_QD32_BYTES" "$BENCH_RAND_REQ" &&
	$1 "$2" seq-read 8 "$BENCH_SEQ_BYTES" 131072
}

dom0_blk() {
	printf 'bench dom0 '
	"$TOOLS/bench-blk" "$@"
}

# --- driving the guest's console ------------------------------------------------------------

count() {	# count TEXT: lines of the console log holding TEXT
	grep -cF "$1" "$CONSOLE_LOG" 2>/dev/null
}

# wait_more TEXT N SECONDS: until more than N lines hold TEXT.
wait_more() {
	local i=0
	while [ "$(count "$1")" -le "$2" ]; do
		i=$((i + 1))
		[ "$i" -gt $(( $3 * 10 )) ] && return 1
		sleep 0.1
	done
}

# gsend LINE: type LINE on the guest's console.
gsend() {
	printf '%s\r' "$1" >"$TTY" || rfail "cannot-write-$TTY"
}

# gcmd DONE SECONDS LINE: type LINE, wait (at most SECONDS) for one more line holding DONE.
gcmd() {
	local n
	n=$(count "$1")
	gsend "$3"
	wait_more "$1" "$n" "$2" || rfail "no-answer-to:$(echo "$3" | tr ' ' '_')"
}

# pstats: pvkit's counters (hypercalls by number, interrupts) between two measurements, so
# bench.py can say how many hypercalls each one made.
pstats() {
	[ "$GUEST" = pvkit ] && gcmd "pvkit: hypercalls total=" 30 "stats"
	return 0
}

# The same measurement as a command line of each guest.
guest_blk() {	# DEV OP QD BYTES REQ
	if [ "$GUEST" = pvkit ]; then
		gcmd "pvkit: bench blk " 300 "bench blk $*"
		pstats
	else
		gcmd "bench: done rc=" 300 "run bench-blk /dev/$*"
	fi
}

guest_udp_send() {	# DST PORT BYTES SIZE KBIT_S (0: unpaced)
	if [ "$GUEST" = pvkit ]; then
		gcmd "pvkit: udp send " 120 "udp send $*"
	else
		gcmd "bench: done rc=" 120 "run bench-udp send $*"
	fi
}

# guest_udp_recv PORT BYTES IDLE_MS: start the guest's receiver, wait until it listens.
# pvkit counts in its UDP callback (no socket buffer); Linux's bench-udp reads a socket whose
# buffer is BENCH_UDP_RCVBUF (the guest's /init raised rmem_max), as dom0's receiver does.
guest_udp_recv() {
	if [ "$GUEST" = pvkit ]; then
		LISTEN="pvkit: bench udp-recv listening" DONE="pvkit: bench udp-recv port="
		n=$(count "$LISTEN") n_done=$(count "$DONE")
		gsend "bench udp-recv $*"
	else
		LISTEN="bench udp-recv listening" DONE="bench: done rc="
		n=$(count "$LISTEN") n_done=$(count "$DONE")
		gsend "run bench-udp recv $* 30000 $BENCH_UDP_RCVBUF"
	fi
	wait_more "$LISTEN" "$n" 30 || rfail "udp-receiver-not-listening"
}

# udp_to_dom0 TAG KBIT_S: the guest sends (unpaced: KBIT_S 0), dom0 receives (its clock) into
# a socket buffer of BENCH_UDP_RCVBUF; dom0's lines as "bench dom0 TAG ...".
udp_to_dom0() {
	local out=$D/$CASE.udp-recv
	rm -f "$out"
	"$TOOLS/bench-udp" recv "$BENCH_UDP_PORT" "$BENCH_UDP_BYTES" 2000 60000 \
		"$BENCH_UDP_RCVBUF" >"$out" 2>&1 &
	rpid=$!
	i=0
	until grep -q listening "$out" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
	done
	guest_udp_send "$DOM0_IP" "$BENCH_UDP_PORT" "$BENCH_UDP_BYTES" "$BENCH_UDP_SIZE" "$2"
	pstats
	wait "$rpid"
	sed "s/^/bench dom0 $1 /" "$out"
}

# net_work: UDP guest->dom0 (unpaced, then paced), dom0->guest, ping; dom0's own lines as
# "bench dom0 ...".
# udp_to_guest: dom0 -> guest: the guest receives (its clock), dom0 sends.
udp_to_guest() {
	guest_udp_recv "$BENCH_UDP_PORT" "$BENCH_UDP_BYTES" 2000
	printf 'bench dom0 tx-to-guest '
	"$TOOLS/bench-udp" send "$GUEST_IP" "$BENCH_UDP_PORT" "$BENCH_UDP_BYTES" "$BENCH_UDP_SIZE"
	wait_more "$DONE" "$n_done" 60 || rfail "udp-receiver-never-finished"
	pstats
}

net_work() {
	udp_to_dom0 rx-from-guest 0
	udp_to_dom0 rx-from-guest-paced "$BENCH_UDP_PACE_KBIT"
	udp_to_guest
	# Round trips: dom0 pings the guest, one echo request in flight.
	printf 'bench dom0 ping '
	ping -A -q -c "$BENCH_PING_COUNT" -W 5 "$GUEST_IP" 2>&1 | tr '\n' ' '
	echo
	[ "$GUEST" = pvkit ] && gcmd "pvkit: hypercalls total=" 30 "stats ping"
}

# The ready line of either guest names the interfaces that are up (carrier and address).
guest_has_net() {
	grep -q "$READY .*net=eth0[ ,].*addr=$GUEST_IP/" "$CONSOLE_LOG"
}

# vcpus_work: the vCPUs group's work (bench-work: vcpus). First the CPUs the guest has online,
# so bench.py can refuse a run whose guest did not get them all: pvkit's "bench smp" says it
# (and times a cross-call to CPU 1 and the shootdown, BENCH_SMP_SAMPLES samples each), Linux
# counts the processors /proc/cpuinfo lists (online ones only).
vcpus_work() {
	if [ "$GUEST" = pvkit ]; then
		gcmd "pvkit: bench smp " 300 "bench smp $BENCH_SMP_SAMPLES"
	else
		gcmd "bench: done rc=" 30 \
			'run echo "bench cpus online=$(grep -c ^processor /proc/cpuinfo) list=$(cat /sys/devices/system/cpu/online)"'
	fi
	pstats
	guest_blk xvda rand-read 32 "$BENCH_RAND_QD32_BYTES" "$BENCH_RAND_REQ"
	if guest_has_net; then
		udp_to_guest
	else
		echo "bench net-skipped guest=$GUEST reason=no-network-interface-in-the-guest"
	fi
	if [ "$GUEST" = linux ]; then	# where its device interrupts landed, its blk queues (docs)
		gcmd "bench: done rc=" 30 "run grep -E 'CPU|xen' /proc/interrupts; ls /sys/block/xvda/mq"
	fi
}

case "$1" in
pre)
	mkdir -p "$D"
	# UDP receivers in dom0 get BENCH_UDP_RCVBUF: let SO_RCVBUF grant it (bench-udp checks).
	[ "$(cat /proc/sys/net/core/rmem_max)" -ge "$BENCH_UDP_RCVBUF" ] ||
		echo "$BENCH_UDP_RCVBUF" >/proc/sys/net/core/rmem_max || fail "cannot-raise-rmem_max"
	rm -f "$D/$CASE.stop"
	dd if=/dev/zero of="$IMG" bs=1M count="$BENCH_DISK_MIB" 2>/dev/null || fail "dd $IMG"
	if [ "$DOM0BOUND" = 1 ]; then
		# The upper bound: the same work on the backing store blkback uses, from dom0.
		loop=$(losetup -f) && losetup "$loop" "$IMG" || fail "losetup $IMG"
		blk_work dom0_blk "$loop"
		losetup -d "$loop"
	fi
	# Last: the boot clock starts now, just before xl create.
	setsid "$TOOLS/bench-stamp" "$CONSOLE_LOG" "$D/$CASE.stamps" "$D/$CASE.stop" 900 \
		</dev/null >/dev/null 2>&1 &
	;;
running)
	if [ "$GUEST" = pvkit ]; then
		READY="pvkit: ready"
	else
		READY="bench: linux ready"
	fi
	wait_console "$READY" 300 || rfail "never-ready"
	TTY=$(xenstore-read "/local/domain/$DOMID/console/tty") || rfail "no-console-tty"
	if [ "$WORK" = vcpus ]; then
		vcpus_work
		gsend "poweroff"
		exit 0
	fi
	if [ "$GUEST" = pvkit ]; then
		gcmd "pvkit: bench mem " 30 "bench mem"
		gcmd "pvkit: bench lazy " 60 "bench lazy"
		gcmd "op=clock_read" 60 "bench pvops"
	else
		gcmd "bench mem " 30 "mem"
		gcmd "bench: done rc=" 30 "run dmesg | grep 'Memory:'"
	fi
	if [ "$GUEST" = linux ]; then	# how Linux's blkfront shapes requests (logged, for the docs)
		gcmd "bench: done rc=" 30 "run grep -H . /sys/module/xen_blkfront/parameters/* /sys/block/xvda/queue/max_sectors_kb /sys/block/xvda/queue/max_segments /sys/block/xvda/queue/nr_requests"
	fi
	pstats
	blk_work guest_blk xvda
	# The network: when the ready line says eth0 is up with the guest's address.
	if guest_has_net; then
		net_work
	else
		echo "bench net-skipped guest=$GUEST reason=no-network-interface-in-the-guest"
	fi
	gsend "poweroff"
	;;
post)
	: >"$D/$CASE.stop"
	sleep 0.2
	st=$D/$CASE.stamps
	[ -f "$st" ] || fail "no console stamps"
	if [ "$GUEST" = pvkit ]; then
		READY="pvkit: ready"
	else
		READY="bench: linux ready"
	fi
	first=$(sed -n '2{s/ .*//;p;q}' "$st")
	ready=$(grep -F "$READY" "$st" | head -n 1 | cut -d' ' -f1)
	echo "bench boot guest=$GUEST first_output_ms=${first:-none} ready_ms=${ready:-none}"
	;;
esac
exit 0
