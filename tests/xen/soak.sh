# SPDX-License-Identifier: MIT
# The lifecycle soak (own=1; pvh-soak.cfg; docs/suspend.md "Soak"): `blk soak xvda` keeps
# random 4 KiB writes going, each read back and checked, and a UDP echo stream runs from dom0,
# while dom0 runs CYCLES cycles of: xl save + xl restore, a live migration to the same host,
# and xl block-attach + xl block-detach of another disk (xvdc). Then the soak runs on to at
# least WRITES writes, stops, and reads every block written once more. Pass: 0 mismatches,
# 0 errors, every UDP round whole, the guest never crashed (the case ends by poweroff).
# WRITES and CYCLES come from the plan (make check: small; tests/xen/soak.plan: full size).
set -u
. ./hooklib.sh
. ./blklib.sh
. ./netlib.sh
. ./lifelib.sh

GUEST_IP=10.0.0.2
img=/run/pvkit/$CASE.save
BLK_C=$BLK_DIR/blk-c.img
trap life_cleanup EXIT
soak_var() {
	sed -n "s/^# soak: .*$1=\([0-9]*\).*/\1/p" "/pvkit/cases/$CASE.cfg" | head -n 1
}
WRITES=$(soak_var writes)
CYCLES=$(soak_var cycles)

# soak_writes: the writes the guest's last progress line counts.
soak_writes() {
	local l
	l=$(grep -o "pvkit: blk soak xvda progress writes=[0-9]*" "$CONSOLE_LOG" | tail -n 1)
	echo "${l##*=}"
}

case "$1" in
pre)
	blk_params default || fail "blkback defaults"
	blk_image "$BLK_RW" 16 && blk_image "$BLK_C" 16 || fail "images"
	blk_ro_image || fail "ro image"
	net_params default || fail "netback"
	;;
running)
	[ -n "$WRITES" ] && [ -n "$CYCLES" ] || fail "no soak: writes= cycles= in the config"
	dname=$(dom_name)
	t0=$(uptime_cs)
	wait_console "pvkit: ready" 240 || rfail "the guest never said it was ready"
	send "blk soak xvda 0"
	wait_console "pvkit: blk soak xvda started" 20 || rfail "the soak did not start"
	udp_start
	follow_incoming "$dname"
	n=0
	for c in $(seq 1 "$CYCLES"); do
		sleep 2
		rm -f "$img"
		xl_logged "save$c" save "$DOMID" "$img" || rfail "cycle $c: xl save failed"
		xl_logged "restore$c" restore "$img" || fail "cycle $c: xl restore failed"
		rm -f "$img"
		follow_domain "$dname" "cycle $c: xl restore"
		n=$((n + 1))
		check_resumed "$n" "cycle $c: restore"
		wait_count "pvkit: blkfront xvda: reconnected:" "$n" 60 || rfail "xvda did not reconnect"
		sleep 2
		xl_logged "migrate$c" migrate -s "" "$DOMID" "xl migrate-receive" ||
			rfail "cycle $c: xl migrate failed"
		follow_domain "$dname" "cycle $c: xl migrate"
		n=$((n + 1))
		check_resumed "$n" "cycle $c: migration"
		wait_count "pvkit: blkfront xvda: reconnected:" "$n" 60 || rfail "xvda did not reconnect"
		xl block-attach "$DOMID" "format=raw,vdev=xvdc,access=rw,script=$BLK_DIR/blk-hotplug,target=$BLK_C" ||
			rfail "cycle $c: xl block-attach failed"
		wait_count "pvkit: blk xvdc sectors=" "$c" 60 || rfail "cycle $c: xvdc not found"
		xl block-detach "$DOMID" xvdc || rfail "cycle $c: xl block-detach failed"
		wait_count "pvkit: blk xvdc removed" "$c" 60 || rfail "cycle $c: xvdc not removed"
		echo "cycle $c done: the soak is at $(soak_writes) writes"
	done
	i=0
	while [ "$(soak_writes)" -lt "$WRITES" ]; do
		i=$((i + 1))
		[ "$i" -gt 3600 ] && rfail "the soak did not reach $WRITES writes"
		sleep 1
	done
	send "blk soak xvda stop"
	wait_console "pvkit: blk soak xvda done" 300 || rfail "the soak never finished"
	line=$(grep -o "pvkit: blk soak xvda done.*" "$CONSOLE_LOG" | tail -n 1)
	echo "$line"
	grep "pvkit: blk soak xvda mismatch" "$CONSOLE_LOG"
	echo "$line" | grep -q " mismatches=0 errors=0 final=[0-9]*/0 " ||
		rfail "the soak found mismatches or errors"
	udp_check
	echo "soak: $CYCLES cycles (save+restore, migration, attach+detach), $(( ($(uptime_cs) - t0) / 100 )) s"
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	wait_console "pvkit: control: poweroff requested" 30 || fail "xl shutdown not taken"
	wait_shut_down
	sleep 1
	;;
post)
	rc=0
	[ -s "$DOMID_FILE" ] && DOMID=$(cat "$DOMID_FILE")
	blk_destroy || rc=1
	blk_check_ro xvdb || rc=1
	rm -f "$BLK_RW" "$BLK_C" "$BLK_DIR/blk-hotplug.log" "$img"
	blk_params_restore || rc=1
	net_params_restore || rc=1
	exit $rc
	;;
esac
exit 0
