# SPDX-License-Identifier: MIT
# Hook of the detach case (pvkit.serve=1): with `blk stress xvdc` keeping requests in flight,
# `xl block-detach` takes xvdc away; the guest must fail those requests with errors, say how
# many, and keep answering its console; then `xl block-attach` brings xvdd, which the guest
# must find through its device/vbd watch and pass the shared integrity workload on
# (`blk verify`); then `xl shutdown`. After the domain is gone, dom0 checks the images.
set -u
. ./hooklib.sh
. ./blklib.sh

BLK_C=$BLK_DIR/blk-c.img		# xvdc, detached under load
BLK_HOT=$BLK_DIR/blk-hot.img		# xvdd, attached later

# A failure while the guest serves: stop it too, or the case would only end at its timeout.
rfail() {
	echo "FAIL: $*"
	xl shutdown "$DOMID" >/dev/null 2>&1
	exit 1
}

send() {
	printf '%s\r' "$1" >"$TTY" || rfail "cannot write to $TTY"
	wait_console "pvkit: echo $1" 20 || rfail "the guest did not echo \"$1\""
}

case "$1" in
pre)
	blk_params default || fail "blkback defaults"
	blk_image "$BLK_RW" 16 && blk_image "$BLK_C" 16 && blk_image "$BLK_HOT" 16 ||
		fail "images"
	blk_ro_image || fail "ro image"
	;;
running)
	wait_console "pvkit: ready" 240 || rfail "the guest never said it was ready"
	TTY=$(xenstore-read "/local/domain/$DOMID/console/tty") || rfail "no console tty"
	send "blk stress xvdc"
	wait_console "pvkit: blk stress xvdc started" 20 || rfail "stress did not start"
	sleep 2
	t0=$(uptime_cs)
	xl block-detach "$DOMID" xvdc || rfail "xl block-detach failed"
	t1=$(uptime_cs)
	echo "xl block-detach xvdc under load took $(( (t1 - t0) * 10 )) ms"
	wait_console "pvkit: blk stress xvdc stopped" 30 || rfail "the stress never stopped"
	grep -h "pvkit: blkfront xvdc: backend closing\|pvkit: blk stress xvdc stopped" \
		"$CONSOLE_LOG"
	n=$(sed -n 's/.*pvkit: blkfront xvdc: backend closing: \([0-9]*\) in-flight.*/\1/p' \
	    "$CONSOLE_LOG" | tail -n 1)
	[ -n "$n" ] && [ "$n" -gt 0 ] || rfail "no request was failed in flight (\"${n}\")"
	grep -q "pvkit: blk xvdc removed" "$CONSOLE_LOG" || rfail "xvdc was not removed"
	send "blk list"
	wait_console "pvkit: blk list end" 20 || rfail "blk list did not answer"
	! sed -n '/pvkit: echo blk list/,$p' "$CONSOLE_LOG" | grep -q "blk list xvdc" ||
		rfail "xvdc still listed after the detach"
	echo "the guest answers its console after the detach; xvdc is gone"
	xl block-attach "$DOMID" "format=raw,vdev=xvdd,access=rw,target=$BLK_HOT" ||
		rfail "xl block-attach failed"
	wait_console "pvkit: blk xvdd sectors=" 30 || rfail "the guest did not find xvdd"
	grep -h "pvkit: blk xvdd sectors=" "$CONSOLE_LOG"
	send "blk verify"
	wait_console "pvkit: blk verify:" 240 || rfail "blk verify did not finish"
	grep -q "pvkit: blk verify: passed" "$CONSOLE_LOG" || rfail "blk verify failed"
	grep -q "pvkit: blk xvdd integrity" "$CONSOLE_LOG" || rfail "xvdd was not verified"
	: >"$BLK_DIR/$CASE.verified"
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	;;
post)
	rc=0
	[ -f "$BLK_DIR/$CASE.verified" ] || { echo "FAIL: the running phase did not finish"; rc=1; }
	blk_destroy || rc=1
	blk_check_md5 xvda "$BLK_RW" || rc=1
	blk_check_md5 xvdd "$BLK_HOT" || rc=1
	blk_check_ro xvdb || rc=1
	blk_check_features xvda default || rc=1
	blk_check_features xvdd default || rc=1
	rm -f "$BLK_RW" "$BLK_C" "$BLK_HOT" "$BLK_DIR/$CASE.verified" "$BLK_DIR/blk-hotplug.log"
	blk_params_restore || rc=1
	exit $rc
	;;
esac
exit 0
