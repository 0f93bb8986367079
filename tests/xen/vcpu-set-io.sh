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
. ./smplib.sh

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
	# Bad values the toolstack never writes: said and ignored, every vCPU stays.
	av=/local/domain/$DOMID/cpu/1/availability
	xenstore-write "$av" maybe || rfail "xenstore-write failed"
	wait_console 'pvkit: smp: cpu/1/availability = "maybe": neither online nor offline (ignored)' 20 ||
		rfail "cpu/1/availability \"maybe\" was not reported"
	xenstore-write "$av" offline-and-then-some-more || rfail "xenstore-write failed"
	wait_console "pvkit: smp: cpu/1/availability: longer than online or offline (ignored)" 20 ||
		rfail "a too long cpu/1/availability was not reported"
	xenstore-write "$av" online || rfail "xenstore-write failed"
	smp_ping 4
	echo "cpu/1/availability: bad values said and ignored, 4 vCPUs still online"
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
