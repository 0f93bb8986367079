# SPDX-License-Identifier: MIT
# Hook of the silent-backend case (pvkit.serve=1 pvkit.blk_timeout_s=10; docs/blkfront.md).
# xvdc is a device-mapper disk over a loop device (dom0-tools/dm-hold). With `blk stress xvdc`
# keeping requests in flight, dom0 suspends it: device-mapper holds every new bio, so blkback
# stays Connected and answers nothing. The guest must fail those requests with -ETIMEDOUT
# after 10 s, say so, and keep serving; once dom0 resumes the disk, the late answers must be
# taken and dropped (not completed twice, the disk not abandoned), every one of them; then
# the stress stops on request and `blk verify` passes on xvda and xvdc; `xl shutdown`. After
# the domain is gone, dom0 checks both images against the guest's md5s.
set -u
. ./hooklib.sh
. ./blklib.sh

HOLD=pvkit-hold				# /dev/mapper/pvkit-hold, xvdc
HOLD_DIR=/run/pvkit-hold		# not under $BLK_DIR: blk_destroy waits for its loops to go
HOLD_IMG=$HOLD_DIR/blk-hold.img
DM=/pvkit/tools/dm-hold
TIMEOUT_S=10				# the case's pvkit.blk_timeout_s: long enough that no request
					# of a busy TCG host times out before the hold

# A failure while the guest serves: let the held I/O go (or the domain could not be torn
# down), stop the guest too, or the case would only end at its timeout.
rfail() {
	echo "FAIL: $*"
	"$DM" resume "$HOLD" >/dev/null 2>&1
	xl shutdown "$DOMID" >/dev/null 2>&1
	exit 1
}

# send LINE: type LINE on the guest's console and wait for its echo (one more than before).
send() {
	local n
	n=$(grep -cF "pvkit: echo $1" "$CONSOLE_LOG")
	printf '%s\r' "$1" >"$TTY" || rfail "cannot write to $TTY"
	wait_count "pvkit: echo $1" $((n + 1)) 20 || rfail "the guest did not echo \"$1\""
}

# stats DISK: the guest's counters for DISK, freshly asked for (the line, without its prefix).
stats() {
	local n
	n=$(grep -cF "pvkit: blk stats $1 " "$CONSOLE_LOG")
	send "blk stats $1"
	wait_count "pvkit: blk stats $1 " $((n + 1)) 20 || rfail "blk stats $1 did not answer"
	grep -F "pvkit: blk stats $1 " "$CONSOLE_LOG" | tail -n 1 | sed 's/.*pvkit: blk stats //'
}

# field LINE KEY: the value of KEY=value in LINE.
field() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

case "$1" in
pre)
	blk_params default || fail "blkback defaults"
	blk_image "$BLK_RW" 16 && blk_ro_image || fail "images"
	mkdir -p "$HOLD_DIR"
	blk_image "$HOLD_IMG" 16 || fail "hold image"
	"$DM" remove "$HOLD" >/dev/null 2>&1	# a left-over of an earlier run
	for l in $(losetup -a | grep "$HOLD_IMG" | cut -d: -f1); do losetup -d "$l"; done
	loop=$(losetup -f) && losetup "$loop" "$HOLD_IMG" || fail "losetup $HOLD_IMG"
	"$DM" create "$HOLD" "$loop" || fail "dm-hold create over $loop"
	;;
running)
	wait_console "pvkit: ready" 240 || rfail "the guest never said it was ready"
	TTY=$(xenstore-read "/local/domain/$DOMID/console/tty") || rfail "no console tty"
	st=$(stats xvdc)
	[ "$(field "$st" timeout-s)" = "$TIMEOUT_S" ] || rfail "xvdc times out after" \
		"$(field "$st" timeout-s) s, not $TIMEOUT_S (pvkit.blk_timeout_s)"
	send "blk stress xvdc"
	wait_console "pvkit: blk stress xvdc started" 20 || rfail "stress did not start"
	sleep 2
	"$DM" suspend "$HOLD" || rfail "dm-hold suspend"
	t0=$(uptime_cs)
	"$DM" status "$HOLD"
	echo "xvdc's backend holds every request from now on"
	st0=$(stats xvdc)		# what came before the hold (a slow host's late answers too)
	wait_console "unanswered after $TIMEOUT_S s: failed with -ETIMEDOUT" 60 ||
		rfail "no request timed out on the silent disk"
	t1=$(uptime_cs)
	echo "first -ETIMEDOUT $(( (t1 - t0) * 10 )) ms into the silence"
	grep -m 1 "pvkit: blkfront xvdc: request id .* unanswered" "$CONSOLE_LOG"
	sleep "$TIMEOUT_S"			# a second round: resubmitted requests time out too
	st=$(stats xvdc)
	echo "silent: $st"
	[ "$(field "$st" timeouts)" -gt "$(field "$st0" timeouts)" ] &&
		[ "$(field "$st" broken)" = 0 ] ||
		rfail "while silent: timeouts=$(field "$st" timeouts) broken=$(field "$st" broken)"
	[ "$(field "$st" late)" = "$(field "$st0" late)" ] ||
		rfail "answers came while the disk was held (late $(field "$st0" late) ->" \
		      "$(field "$st" late))"
	echo "the guest serves its console while xvdc is silent"
	"$DM" resume "$HOLD" || rfail "dm-hold resume"
	echo "xvdc's backend answers again"
	wait_console "came after its request timed out" 30 || rfail "no late answer taken"
	# Every timed-out request is answered late, and none twice: late catches up with timeouts.
	i=0
	while :; do
		st=$(stats xvdc)
		[ "$(field "$st" late)" = "$(field "$st" timeouts)" ] && break
		i=$((i + 1))
		[ "$i" -gt 20 ] && rfail "late answers $(field "$st" late) of $(field "$st" timeouts)"
		sleep 1
	done
	echo "after: $st"
	[ "$(field "$st" broken)" = 0 ] && [ "$(field "$st" rejected)" = 0 ] ||
		rfail "the late answers were rejected or broke the disk"
	send "blk stop xvdc"
	wait_console "pvkit: blk stress xvdc stopped" 60 || rfail "the stress never stopped"
	line=$(grep -o "pvkit: blk stress xvdc stopped: .*" "$CONSOLE_LOG" | tail -n 1)
	echo "$line"
	n=$(field "$line" timed-out)
	[ -n "$n" ] && [ "$n" -gt 0 ] || rfail "the stress saw no -ETIMEDOUT (\"$n\")"
	[ "$(field "$line" failed-eio)" = 0 ] && [ "$(field "$line" other)" = 0 ] ||
		rfail "requests failed other than by the timeout"
	[ "$(field "$line" completed)" -gt 0 ] || rfail "no request completed"
	n=$(grep -c "pvkit: blk xvdc integrity" "$CONSOLE_LOG")
	send "blk verify"
	wait_console "pvkit: blk verify:" 240 || rfail "blk verify did not finish"
	grep -q "pvkit: blk verify: passed" "$CONSOLE_LOG" || rfail "blk verify failed"
	[ "$(grep -c "pvkit: blk xvdc integrity" "$CONSOLE_LOG")" -gt "$n" ] ||
		rfail "xvdc was not verified after the silence"
	: >"$BLK_DIR/$CASE.verified"
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	;;
post)
	rc=0
	[ -f "$BLK_DIR/$CASE.verified" ] || { echo "FAIL: the running phase did not finish"; rc=1; }
	"$DM" resume "$HOLD" >/dev/null 2>&1	# held I/O would keep blkback from going
	blk_destroy || rc=1
	blk_check_md5 xvda "$BLK_RW" || rc=1
	blk_check_md5 xvdc "$HOLD_IMG" || rc=1
	blk_check_ro xvdb || rc=1
	blk_check_features xvda default || rc=1
	"$DM" remove "$HOLD" || rc=1
	for l in $(losetup -a | grep "$HOLD_IMG" | cut -d: -f1); do losetup -d "$l" || rc=1; done
	rm -rf "$HOLD_DIR"
	rm -f "$BLK_RW" "$BLK_DIR/$CASE.verified" "$BLK_DIR/blk-hotplug.log"
	blk_params_restore || rc=1
	exit $rc
	;;
esac
exit 0
