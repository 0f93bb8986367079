# SPDX-License-Identifier: MIT
# Shared helpers for the lifecycle hooks (restore.sh, restore-io.sh; sourced after hooklib.sh):
# xl with its -vvv output kept, the domain a restore or migration made, the guest's answers.

# xl_logged NAME ARGS...: xl -vvv ARGS, its output kept in /run/pvkit/$CASE.xl-NAME.log (the
# interesting lines shown: the hook log keeps them), its time in XL_MS.
xl_logged() {
	local t0 rc name=$1
	shift
	t0=$(uptime_cs)
	xl -vvv "$@" >"/run/pvkit/$CASE.xl-$name.log" 2>&1 </dev/null
	rc=$?
	XL_MS=$(( ($(uptime_cs) - t0) * 10 ))
	sed 's/^/  xl: /' "/run/pvkit/$CASE.xl-$name.log" |
		grep -E 'error|fail|suspend|resum|Saving|Restor|Domain|successful|migrat' | tail -12
	return $rc
}

# dom_name: the domain's name (a restore or migration keeps it; the id changes).
dom_name() {
	xl list "$DOMID" | sed -n '2{s/ .*//;p}'
}

# follow_domain NAME WHAT: the domain NAME now is (after a restore or migration) becomes
# DOMID, and the case's (DOMID_FILE), which the harness judges and destroys at the end.
follow_domain() {
	local old=$DOMID
	DOMID=$(xl domid "$1") || fail "no domain $1 after $2"
	[ "$DOMID" != "$old" ] || fail "$2 left the same domain id $old"
	echo "$DOMID" >"$DOMID_FILE"
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

# wait_guest_serves WHAT: the guest answers xl sysrq (events, xenstore watches) after WHAT.
nr_sysrq=0
wait_guest_serves() {
	nr_sysrq=$((nr_sysrq + 1))
	xl sysrq "$DOMID" h || fail "xl sysrq failed after $1"
	wait_count "pvkit: control: sysrq 'h' acknowledged" "$nr_sysrq" 30 ||
		fail "the guest does not answer xl sysrq after $1"
}

# check_resumed N WHAT: the guest said it resumed in a new domain N times in all, nothing of
# it failed, its clock went neither back nor further than the downtime; prints both.
check_resumed() {
	local n=$1 dt clock a b
	wait_count "pvkit: resumed cancelled=0 " "$n" 60 ||
		fail "$2: the guest never said it resumed in the new domain"
	wait_count "pvkit: resume: xenstore watches=" "$n" 60 || fail "$2: xenstore did not come back"
	grep -F "pvkit: resume failed" "$CONSOLE_LOG" && fail "$2: a resume step failed"
	dt=$(grep -o 'resumed cancelled=0 downtime_ms=[0-9]*' "$CONSOLE_LOG" | sed -n "${n}p")
	dt=${dt##*=}
	# "clock A -> B ms": never back, never ahead by more than the downtime (+1 s: rounding
	# and the resume's own work).
	clock=$(grep -o 'clock [0-9]* -> [0-9]* ms' "$CONSOLE_LOG" | sed -n "${n}p")
	a=$(echo "$clock" | cut -d' ' -f2)
	b=$(echo "$clock" | cut -d' ' -f4)
	echo "$2: xl took $XL_MS ms; now domain $DOMID; the guest was gone $dt ms; its clock" \
		"$a -> $b ms"
	[ -n "$a" ] && [ -n "$b" ] || fail "$2: no clock line"
	[ "$b" -ge "$a" ] || fail "$2: the clock went back ($a -> $b ms)"
	[ "$b" -le $((a + dt + 1000)) ] ||
		fail "$2: the clock jumped $((b - a)) ms, the downtime was $dt ms"
}

# check_control_nodes WHAT: our control nodes in the new domain (libxl restores only its own).
check_control_nodes() {
	[ "$(xenstore-read "/local/domain/$DOMID/control/feature-poweroff" 2>/dev/null)" = 1 ] ||
		fail "$1: control/feature-poweroff not published again"
	xenstore-read "/local/domain/$DOMID/device/suspend/event-channel" >/dev/null 2>&1 ||
		fail "$1: no suspend event channel published again"
}

# wait_shut_down: until the domain is shut down (xl shutdown asked it).
wait_shut_down() {
	local i=0
	while [ "$(xl list "$DOMID" 2>/dev/null | sed -n '2{s/  */ /g;p}' | cut -d' ' -f5 |
		   cut -c4)" != s ]; do
		i=$((i + 1))
		[ "$i" -gt 300 ] && fail "the domain did not shut down"
		sleep 0.1
	done
}
