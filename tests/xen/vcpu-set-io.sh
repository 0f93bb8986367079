# SPDX-License-Identifier: MIT
# Hook for vCPU hot-plug under disk load (issue 15: "xl vcpu-set 4 -> 1 -> 4 while blk stress
# runs: data verified, the guest's own counters agree with xl list"; docs/smp.md "Hot-plug").
# A 4-vCPU guest (pv-vcpus4-io.cfg / pvh-vcpus4-io.cfg: xvda rw, xvdb ro) in serve mode keeps
# `blk stress xvda` (8 random 64 KiB reads and writes in flight) while dom0 takes vCPUs 1-3
# away (xl vcpu-set 1) and gives them back (xl vcpu-set 4), twice; each time xl list's vCPU
# count, the guest's online count and its cross-call to every online CPU agree. Then the
# stress stops with every request completed (no -EIO, no timeout, nothing refused), the
# integrity workload passes on xvda (`blk verify`), xl shutdown; after the domain is gone
# dom0 checks xvda's image against the guest's md5, xvdb unchanged.
set -u
. ./hooklib.sh
. ./blklib.sh

rfail() {	# a failure while the guest serves: stop it too, or the case ends at its timeout
	echo "FAIL: $*"
	xl shutdown "$DOMID" >/dev/null 2>&1
	exit 1
}

send() {	# send LINE: type LINE on the guest's console and wait for its echo
	local n
	n=$(grep -cF "pvkit: echo $1" "$CONSOLE_LOG")
	printf '%s\r' "$1" >"$TTY" || rfail "cannot write to $TTY"
	wait_count "pvkit: echo $1" $((n + 1)) 20 || rfail "the guest did not echo \"$1\""
}

xl_vcpus() {	# the VCPUs column of xl list: the vCPUs Xen counts online
	xl list "$DOMID" | awk 'NR == 2 { print $4 }'
}

smp_ping() {	# smp_ping N: the guest says N online and every one answered a cross-call
	local n
	n=$(grep -cF "pvkit: smp ping cpus=4 online=$1 pinged=$1 failed=0" "$CONSOLE_LOG")
	send "smp ping"
	wait_count "pvkit: smp ping cpus=4 online=$1 pinged=$1 failed=0" $((n + 1)) 30 ||
		rfail "the guest's cross-calls did not reach its $1 online CPUs"
}

# vcpus N WHAT: xl vcpu-set N, then the guest's lines, xl list and the guest's ping agree.
vcpus() {
	local n before
	before=$(grep -cF " $2 online=" "$CONSOLE_LOG")	# "pvkit: smp cpu N offline online=M"
	xl vcpu-set --ignore-host "$DOMID" "$1" || rfail "xl vcpu-set $1 failed"
	wait_count " $2 online=" $((before + 3)) 60 || rfail "the guest did not take 3 vCPUs $2"
	grep -qF " $2 failed online=" "$CONSOLE_LOG" && rfail "a vCPU failed to go $2"
	n=$(xl_vcpus)
	[ "$n" = "$1" ] || rfail "xl list counts $n vCPUs online after vcpu-set $1"
	smp_ping "$1"
	echo "vcpu-set $1: xl list counts $n, the guest $1 online, each answered a cross-call"
}

case "$1" in
pre)
	blk_params default || fail "blkback defaults"
	blk_image "$BLK_RW" 16 && blk_ro_image || fail "images"
	rm -f "$BLK_DIR/$CASE.verified"
	;;
running)
	wait_console "pvkit: ready" 240 || rfail "the guest never said it was ready"
	TTY=$(xenstore-read "/local/domain/$DOMID/console/tty") || rfail "no console tty"
	wait_console "pvkit: smp cpus=4 online=4" 5 || rfail "the guest did not start its 4 vCPUs"
	smp_ping 4
	send "blk stress xvda"
	wait_console "pvkit: blk stress xvda started" 20 || rfail "stress did not start"
	for round in 1 2; do
		vcpus 1 offline
		sleep 2			# the stress goes on with one vCPU
		vcpus 4 online
		sleep 2
	done
	send "blk stop xvda"
	wait_console "pvkit: blk stress xvda stopped" 60 || rfail "the stress never stopped"
	line=$(grep -o "pvkit: blk stress xvda stopped.*" "$CONSOLE_LOG" | tail -n 1)
	echo "$line"
	echo "$line" | grep -q "failed-eio=0 failed-enodev=0 timed-out=0 other=0 refused=0: as asked" ||
		rfail "requests failed while the vCPUs came and went"
	send "blk verify"
	wait_console "pvkit: blk verify:" 240 || rfail "blk verify did not finish"
	grep -q "pvkit: blk verify: passed" "$CONSOLE_LOG" || rfail "blk verify failed"
	: >"$BLK_DIR/$CASE.verified"
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	;;
post)
	rc=0
	[ -f "$BLK_DIR/$CASE.verified" ] || { echo "FAIL: the running phase did not finish"; rc=1; }
	blk_destroy || rc=1
	blk_check_md5 xvda "$BLK_RW" || rc=1
	blk_check_ro xvdb || rc=1
	rm -f "$BLK_RW" "$BLK_DIR/$CASE.verified" "$BLK_DIR/blk-hotplug.log"
	blk_params_restore || rc=1
	exit $rc
	;;
esac
exit 0
