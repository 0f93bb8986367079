# SPDX-License-Identifier: MIT
# Hook for a lifecycle case (own=1: this hook owns the domain, see README.md): the guest
# resumes in a new domain, twice, as an operator does it (docs/suspend.md "Resume"):
#   1. a checkpoint (xl save -c): the guest goes on in place (cancelled=1) and serves;
#   2. the first domain destroyed, the checkpoint's image restored into a new domain: the
#      guest resumes there (cancelled=0) and serves: events, xenstore watches (xl sysrq),
#      console input (stats typed on the new domain's console), its control nodes again;
#   3. that domain saved for good (xl save: PV needs the P2M republished after the first
#      resume) and restored again: the guest resumes a second time and serves;
#   4. xl shutdown: it powers off (the case expects poweroff).
# Every xl save/restore keeps its -vvv output in the hook log. The guest's monotonic clock
# must not go back across a resume and must not jump by more than the downtime. Runs in dom0.
set -u
. ./hooklib.sh

img=/run/pvkit/$CASE.save
case $CASE in
pv-*) check="/pvkit/tools/save-check -n" ;;
*) check=/pvkit/tools/save-check ;;
esac

# xl_logged NAME ARGS...: xl -vvv ARGS, its output kept (the interesting lines shown), its
# time in XL_MS.
xl_logged() {
	local t0 rc name=$1
	shift
	t0=$(uptime_cs)
	xl -vvv "$@" >"/run/pvkit/$CASE.xl-$name.log" 2>&1 </dev/null
	rc=$?
	XL_MS=$(( ($(uptime_cs) - t0) * 10 ))
	sed 's/^/  xl: /' "/run/pvkit/$CASE.xl-$name.log" |
		grep -E 'error|fail|suspend|resum|Saving|Restor|Domain|successful' | tail -12
	return $rc
}

nr_sysrq=0
wait_guest_serves() {
	nr_sysrq=$((nr_sysrq + 1))
	xl sysrq "$DOMID" h || fail "xl sysrq failed after $1"
	wait_count "pvkit: control: sysrq 'h' acknowledged" "$nr_sysrq" 30 ||
		fail "the guest does not answer xl sysrq after $1"
}

# stats_line WANT: type stats on the domain's console; its control line must hold WANT.
nr_stats=0
stats_line() {
	local tty line
	nr_stats=$((nr_stats + 1))
	tty=$(xenstore-read "/local/domain/$DOMID/console/tty") || fail "no console tty"
	printf 'stats\r' >"$tty" || fail "cannot write to $tty"
	wait_count "pvkit: stats control " "$nr_stats" 30 || fail "no control line from stats"
	line=$(grep -o 'pvkit: stats control .*' "$CONSOLE_LOG" | tail -1)
	echo "$line"
	case $line in
	*"$1"*) ;;
	*) fail "stats: want '$1'" ;;
	esac
}

# not_stopped WHAT: the domain runs (not crashed, not shut down).
not_stopped() {
	local st
	st=$(xl list "$DOMID" 2>/dev/null | sed -n '2{s/  */ /g;p}' | cut -d' ' -f5)
	case $st in
	'') fail "after $1 the domain is gone" ;;
	*s*|*c*|*d*) fail "after $1 the domain is not running ($st)" ;;
	esac
}

# restore_once N: xl restore of $img; the new domain becomes DOMID (and the case's), the guest
# says it resumed in a new domain, N times in all, and serves.
restore_once() {
	local n=$1 old=$DOMID dt clock a b
	xl_logged "restore$n" restore "$img" || fail "xl restore #$n failed (rc $?)"
	DOMID=$(xl domid "$dname") || fail "no domain $dname after xl restore #$n"
	[ "$DOMID" != "$old" ] || fail "xl restore #$n gave the old domain id"
	echo "$DOMID" >"$DOMID_FILE"
	wait_count "pvkit: resumed cancelled=0 " "$n" 60 ||
		fail "restore #$n: the guest never said it resumed in the new domain"
	dt=$(grep -o 'resumed cancelled=0 downtime_ms=[0-9]*' "$CONSOLE_LOG" | sed -n "${n}p")
	dt=${dt##*=}
	wait_count "pvkit: resume: xenstore watches=" "$n" 60 ||
		fail "restore #$n: xenstore did not come back"
	grep -F "pvkit: resume failed" "$CONSOLE_LOG" && fail "restore #$n: a resume step failed"
	# "clock A -> B ms": never back, never ahead by more than the downtime (+1 s of rounding
	# and the resume's own work).
	clock=$(grep -o 'clock [0-9]* -> [0-9]* ms' "$CONSOLE_LOG" | sed -n "${n}p")
	a=$(echo "$clock" | cut -d' ' -f2)
	b=$(echo "$clock" | cut -d' ' -f4)
	echo "restore #$n: xl restore took $XL_MS ms; domain $old -> $DOMID; the guest was gone" \
		"$dt ms; its clock $a -> $b ms"
	[ -n "$a" ] && [ -n "$b" ] || fail "restore #$n: no clock line"
	[ "$b" -ge "$a" ] || fail "restore #$n: the clock went back ($a -> $b ms)"
	[ "$b" -le $((a + dt + 1000)) ] ||
		fail "restore #$n: the clock jumped $((b - a)) ms, the downtime was $dt ms"
	not_stopped "restore #$n"
	wait_guest_serves "restore #$n"
	# Our control nodes in the new domain (libxl restores only its own).
	[ "$(xenstore-read "/local/domain/$DOMID/control/feature-poweroff" 2>/dev/null)" = 1 ] ||
		fail "restore #$n: control/feature-poweroff not published again"
	xenstore-read "/local/domain/$DOMID/device/suspend/event-channel" >/dev/null 2>&1 ||
		fail "restore #$n: no suspend event channel published again"
}

case "$1" in
running)
	dname=$(xl list "$DOMID" | sed -n '2{s/ .*//;p}')
	wait_console "pvkit: ready" 90 || fail "the guest never said it was ready"
	wait_guest_serves "boot"

	# 1. A checkpoint: the guest goes on in place.
	rm -f "$img"
	xl_logged save-c save -c "$DOMID" "$img" || fail "xl save -c failed (rc $?)"
	wait_count "pvkit: resumed cancelled=1 " 1 30 || fail "the checkpoint did not come back"
	$check "$img" || fail "the checkpoint's image is not complete"
	not_stopped "the checkpoint"
	wait_guest_serves "the checkpoint"

	# 2. The first domain destroyed, its checkpoint restored.
	xl destroy "$DOMID" || fail "xl destroy failed"
	restore_once 1
	stats_line " suspends=1 suspend_failed=0 "

	# 3. Saved for good from the restored domain, restored again.
	rm -f "$img"
	xl_logged save save "$DOMID" "$img" || fail "xl save of the restored domain failed (rc $?)"
	xl list "$DOMID" >/dev/null 2>&1 && fail "the domain is still there after xl save"
	echo "xl save of the restored domain: $(stat -c %s "$img") bytes in $XL_MS ms"
	$check "$img" || fail "the second image is not complete"
	restore_once 2
	stats_line " suspends=2 suspend_failed=0 "
	rm -f "$img"

	# 4. It powers off when asked.
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	wait_console "pvkit: control: poweroff requested" 30 || fail "xl shutdown not taken"
	i=0
	while [ "$(xl list "$DOMID" 2>/dev/null | sed -n '2{s/  */ /g;p}' | cut -d' ' -f5 |
		   cut -c4)" != s ]; do
		i=$((i + 1))
		[ "$i" -gt 300 ] && fail "the domain did not shut down"
		sleep 0.1
	done
	echo "two resumes in new domains ($dname), then powered off"
	;;
esac
exit 0
