# SPDX-License-Identifier: MIT
# Hook for the lifecycle cases under load (own=1: this hook owns the domain; README.md). The
# guest (pv-life.cfg / pvh-life.cfg: xvda rw, xvdb ro, one vif) keeps `blk stress xvda` (8
# random 64 KiB reads and writes in flight) and answers a UDP echo stream from dom0 (net-udp,
# one 1 MiB round after another) while dom0:
#   1. checkpoints it (xl save -c): the guest goes on in place;
#   2. saves it (xl save), turns blkback down (no persistent grants, one queue, one-page
#      rings, no indirect segments: the new host offers less), restores it: the guest resumes,
#      each device reconnects in place and says what it renegotiated, what was in flight goes
#      again (64 KiB requests now in parts of 11 pages);
#   3. PVH only: migrates it three times to the same host (xl migrate -s "" ...; Debian's Xen
#      cannot live-migrate PV: no shadow paging, docs/suspend.md).
# Then: the stress stops with every request completed (no -EIO, no timeout, nothing refused),
# every UDP round came back whole (lost datagrams resent and counted), dom0's pings are
# answered, the integrity workload passes on xvda (`blk verify`), xl shutdown. After the
# domain is gone dom0 checks xvda's image against the guest's md5, xvdb unchanged.
set -u
. ./hooklib.sh
. ./blklib.sh
. ./netlib.sh
. ./lifelib.sh

GUEST_IP=10.0.0.2
img=/run/pvkit/$CASE.save
trap life_cleanup EXIT
case $CASE in
pv-*) check="/pvkit/tools/save-check -n" ;;
*) check=/pvkit/tools/save-check ;;
esac

# reconnected N WHAT: both devices said they reconnected N times in all.
reconnected() {
	wait_count "pvkit: blkfront xvda: reconnected:" "$1" 60 ||
		rfail "$2: xvda did not reconnect"
	wait_count "pvkit: netfront eth0: reconnected:" "$1" 60 || rfail "$2: the vif did not reconnect"
	grep -E "pvkit: (blkfront|netfront) .*(resumed|reconnected)" "$CONSOLE_LOG" | tail -n 4
}

case "$1" in
pre)
	blk_params default || fail "blkback defaults"
	blk_image "$BLK_RW" 16 || fail "image"
	blk_ro_image || fail "ro image"
	net_params default || fail "netback"
	rm -f "$BLK_DIR/$CASE.verified"
	;;
running)
	dname=$(dom_name)
	wait_console "pvkit: ready" 240 || rfail "the guest never said it was ready"
	send "blk stress xvda"
	wait_console "pvkit: blk stress xvda started" 20 || rfail "stress did not start"
	udp_start
	sleep 3

	# 1. A checkpoint under load.
	rm -f "$img"
	xl_logged save-c save -c "$DOMID" "$img" || rfail "xl save -c failed (rc $?)"
	wait_count "pvkit: resumed cancelled=1 " 1 30 || rfail "the checkpoint did not come back"
	$check "$img" || rfail "the checkpoint's image is not complete"
	not_stopped "the checkpoint"
	echo "checkpoint under load: $XL_MS ms"
	sleep 2

	# 2. Saved, blkback turned down, restored.
	rm -f "$img"
	xl_logged save save "$DOMID" "$img" || rfail "xl save failed (rc $?)"
	$check "$img" || fail "the image is not complete"
	echo "xl save under load: $XL_MS ms, $(stat -c %s "$img") bytes"
	blk_params reduced || fail "blkback reduced"
	xl_logged restore restore "$img" || fail "xl restore failed (rc $?)"
	rm -f "$img"
	follow_domain "$dname" "xl restore"
	check_resumed 1 "restore"
	reconnected 1 "restore"
	grep -q "pvkit: blkfront xvda: reconnected: queues=1 ring_pages=1 indirect_segs=0 persistent=0 " \
		"$CONSOLE_LOG" || rfail "xvda did not renegotiate what the new blkback offers"
	check_control_nodes "restore"
	sleep 3

	# 3. PVH: live migrations under load. The receiving domain is created as
	# "<name>--incoming" and renamed once it runs: xenconsoled logs it under that first
	# name, so its lines are followed from there into the case's console log.
	case $CASE in
	pvh-*)
		follow_incoming "$dname"
		for i in 1 2 3; do
			xl_logged "migrate$i" migrate -s "" "$DOMID" "xl migrate-receive" ||
				rfail "xl migrate #$i failed (rc $?)"
			follow_domain "$dname" "xl migrate #$i"
			check_resumed $((i + 1)) "migration #$i"
			reconnected $((i + 1)) "migration #$i"
			sleep 2
		done
		;;
	esac
	ls /var/log/xen/console/ | grep -F "$dname" | sed 's/^/console logs: /' 
	not_stopped "the last resume"
	wait_guest_serves "the last resume"

	# The load stops: nothing was lost.
	send "blk stop xvda"
	wait_console "pvkit: blk stress xvda stopped" 60 || rfail "the stress never stopped"
	line=$(grep -o "pvkit: blk stress xvda stopped.*" "$CONSOLE_LOG" | tail -n 1)
	echo "$line"
	echo "$line" | grep -q "failed-eio=0 failed-enodev=0 timed-out=0 other=0 refused=0: as asked" ||
		rfail "requests were lost or failed across the resumes"
	udp_check
	out=$(ping -c 10 -i 0.2 -W 2 "$GUEST_IP" 2>&1)
	echo "$out" | tail -n 2
	echo "$out" | grep -q " 10 packets received" || rfail "dom0's pings not all answered"
	send "blk stats xvda"
	grep -o "pvkit: blk stats xvda .*" "$CONSOLE_LOG" | tail -n 1
	send "blk verify"
	wait_console "pvkit: blk verify:" 240 || rfail "blk verify did not finish"
	grep -q "pvkit: blk verify: passed" "$CONSOLE_LOG" || rfail "blk verify failed"
	: >"$BLK_DIR/$CASE.verified"
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	wait_console "pvkit: control: poweroff requested" 30 || fail "xl shutdown not taken"
	wait_shut_down
	sleep 1				# the follower copies the last lines
	;;
post)
	rc=0
	[ -s "$DOMID_FILE" ] && DOMID=$(cat "$DOMID_FILE")
	[ -f "$BLK_DIR/$CASE.verified" ] || { echo "FAIL: the running phase did not finish"; rc=1; }
	blk_destroy || rc=1
	blk_check_md5 xvda "$BLK_RW" || rc=1
	blk_check_ro xvdb || rc=1
	rm -f "$BLK_RW" "$BLK_DIR/$CASE.verified" "$BLK_DIR/blk-hotplug.log" "$img"
	blk_params_restore || rc=1
	net_params_restore || rc=1
	exit $rc
	;;
esac
exit 0
