# SPDX-License-Identifier: MIT
# Hook for the lifecycle fault case (own=1; pv-life.cfg: xvda rw, xvdb ro, a vif): suspends
# at bad moments and a restore that lacks devices (issue 13, "faults"). Nothing may hang and
# nothing may be lost silently:
#   1. a checkpoint while a disk (xvdc) is connecting: blkback held back by a slow hotplug
#      script, the frontend published and waiting; the disk connects after it;
#   2. a checkpoint while that disk is being detached: it goes, the guest serves;
#   3. xvdd attached and under `blk stress`, and a xenstore transaction held open (`xs txn`),
#      then a save and a restore with a config that has only xvda (xvdb and xvdd removed): the
#      guest says each is gone, the stress's requests in flight fail (counted, none hangs), the
#      transaction (stale in the new domain) is run again and committed there, xvda reconnects
#      and passes the integrity workload.
set -u
. ./hooklib.sh
. ./blklib.sh
. ./lifelib.sh

BLK_C=$BLK_DIR/blk-c.img
BLK_D=$BLK_DIR/blk-d.img
DELAY=$BLK_DIR/blk-hotplug-delay
img=/run/pvkit/$CASE.save

rfail() {
	echo "FAIL: $*"
	xl shutdown "$DOMID" >/dev/null 2>&1
	exit 1
}

# The state the frontend of @1 says it is in, as xenstore has it.
fe_state() {
	xenstore-read "/local/domain/$DOMID/device/vbd/$1/state" 2>/dev/null || echo gone
}

case "$1" in
pre)
	blk_params default || fail "blkback defaults"
	blk_image "$BLK_RW" 16 && blk_image "$BLK_C" 16 && blk_image "$BLK_D" 16 || fail "images"
	blk_ro_image || fail "ro image"
	rm -f "$DELAY" "$BLK_DIR/$CASE.verified"
	;;
running)
	dname=$(dom_name)
	wait_console "pvkit: ready" 240 || rfail "the guest never said it was ready"

	# 1. A checkpoint while xvdc connects (51744: xvdc's vbd id).
	echo 8 >"$DELAY"
	xl block-attach "$DOMID" "format=raw,vdev=xvdc,access=rw,script=$BLK_DIR/blk-hotplug,target=$BLK_C" &
	att=$!
	i=0
	until [ "$(fe_state 51744)" = 3 ]; do	# Initialised: published, blkback held back
		i=$((i + 1))
		[ "$i" -gt 100 ] && rfail "xvdc never reached Initialised (state $(fe_state 51744))"
		sleep 0.1
	done
	echo "xvdc: frontend Initialised, blkback waiting for its hotplug script"
	xl_logged save-c1 save -c "$DOMID" "$img" || rfail "xl save -c during the connect failed"
	wait_count "pvkit: resumed cancelled=1 " 1 30 || rfail "checkpoint 1 did not come back"
	echo "checkpoint during xvdc's connect: $XL_MS ms; frontend state now $(fe_state 51744)"
	wait "$att" || rfail "xl block-attach failed"
	rm -f "$DELAY"
	wait_console "pvkit: blk xvdc sectors=" 60 || rfail "xvdc never connected after the checkpoint"
	grep -o "pvkit: blk xvdc sectors=.*" "$CONSOLE_LOG" | head -n 1
	not_stopped "checkpoint 1"

	# 2. A checkpoint while xvdc is being detached.
	xl block-detach "$DOMID" xvdc &
	det=$!
	xl_logged save-c2 save -c "$DOMID" "$img" || rfail "xl save -c during the detach failed"
	wait_count "pvkit: resumed cancelled=1 " 2 30 || rfail "checkpoint 2 did not come back"
	wait "$det" || rfail "xl block-detach failed"
	wait_console "pvkit: blk xvdc removed" 60 || rfail "xvdc was not removed"
	echo "checkpoint during xvdc's detach: $XL_MS ms; xvdc removed"
	wait_guest_serves "checkpoint 2"

	# 3. xvdd under load, then a restore with only xvda in the config.
	xl block-attach "$DOMID" "format=raw,vdev=xvdd,access=rw,script=$BLK_DIR/blk-hotplug,target=$BLK_D" ||
		rfail "xl block-attach xvdd failed"
	wait_console "pvkit: blk xvdd sectors=" 60 || rfail "the guest did not find xvdd"
	send "blk stress xvdd"
	wait_console "pvkit: blk stress xvdd started" 20 || rfail "stress did not start"
	send "xs txn 30"
	wait_console "pvkit: xs txn open" 20 || rfail "no transaction open"
	txnval=$(grep -o "pvkit: xs txn open id=[0-9]* value=[0-9]*" "$CONSOLE_LOG" | tail -n 1)
	txnval=${txnval##*=}
	sleep 2
	rm -f "$img"
	xl_logged save save "$DOMID" "$img" || rfail "xl save failed"
	cfg=/run/pvkit/$CASE.only-xvda.cfg
	sed -e "/vdev=xvdb/d" -e "s/^\(disk = \[ 'format=raw,vdev=xvda[^']*'\),\$/\1 ]/" \
		"/pvkit/cases/$CASE.cfg" >"$cfg"
	grep "^disk" "$cfg"
	xl_logged restore restore "$cfg" "$img" || fail "xl restore with xvda only failed"
	rm -f "$img"
	follow_domain "$dname" "xl restore"
	check_resumed 1 "restore without xvdb and xvdd"
	wait_console "pvkit: blkfront xvdb: not in the new domain" 60 || rfail "xvdb not said gone"
	wait_console "pvkit: blkfront xvdd: not in the new domain" 60 || rfail "xvdd not said gone"
	wait_console "pvkit: blk stress xvdd stopped" 60 || rfail "the stress on xvdd never ended"
	grep -E "pvkit: (blkfront xvd[bd]: not in|blk stress xvdd stopped|blkfront xvdd: [0-9]+ held)" \
		"$CONSOLE_LOG"
	wait_count "pvkit: blkfront xvda: reconnected:" 1 60 || rfail "xvda did not reconnect"
	wait_console "pvkit: xs txn committed" 60 || rfail "the transaction held open never ended"
	grep -o "pvkit: xs txn committed.*" "$CONSOLE_LOG"
	grep -q "pvkit: xs txn committed value=$txnval tries=2" "$CONSOLE_LOG" ||
		rfail "the transaction open across the resume was not run again once"
	got=$(xenstore-read "/local/domain/$DOMID/data/pvkit-txn" 2>/dev/null)
	[ "$got" = "$txnval" ] || rfail "data/pvkit-txn in the new domain is \"$got\", not $txnval"
	echo "a transaction open across the resume: run again, committed in the new domain ($got)"
	wait_guest_serves "the restore"
	send "blk list"
	wait_console "pvkit: blk list end" 20 || rfail "blk list did not answer"
	sed -n '/pvkit: echo blk list/,$p' "$CONSOLE_LOG" | grep -q "blk list xvd[bcd]" &&
		rfail "a removed disk is still listed"
	send "blk verify"
	wait_console "pvkit: blk verify:" 240 || rfail "blk verify did not finish"
	grep -q "pvkit: blk verify: passed" "$CONSOLE_LOG" || rfail "blk verify failed"
	: >"$BLK_DIR/$CASE.verified"
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	wait_console "pvkit: control: poweroff requested" 30 || fail "xl shutdown not taken"
	wait_shut_down
	;;
post)
	rc=0
	[ -s "$DOMID_FILE" ] && DOMID=$(cat "$DOMID_FILE")
	rm -f "$DELAY"
	[ -f "$BLK_DIR/$CASE.verified" ] || { echo "FAIL: the running phase did not finish"; rc=1; }
	blk_destroy || rc=1
	blk_check_md5 xvda "$BLK_RW" || rc=1
	blk_check_ro xvdb || rc=1
	rm -f "$BLK_RW" "$BLK_C" "$BLK_D" "$BLK_DIR/$CASE.verified" "$BLK_DIR/blk-hotplug.log" "$img"
	blk_params_restore || rc=1
	exit $rc
	;;
esac
exit 0
