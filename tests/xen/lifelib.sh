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

# check_vcpus_back N WHAT: a guest that runs more than one vCPU (its boot line "pvkit: smp
# cpus=C online=C", C > 1) has every one of them back after each save (docs/smp.md): a Xen PV
# guest takes them down for the save and starts them again after it, and by WHAT has said so
# N times, each time with every one back ("pvkit: resume: K of K vCPUs back online"); under PVH
# Xen saves and restores them with the domain. Either way each online vCPU must then answer a
# cross-call (`smp ping`). One vCPU: nothing to check.
check_vcpus_back() {
	local line k m c n tty want
	c=$(grep -oE 'pvkit: smp cpus=[0-9]+ online=[0-9]+' "$CONSOLE_LOG" | head -n 1)
	c=${c##*online=}
	[ -n "$c" ] && [ "$c" -gt 1 ] || return 0
	case $CASE in
	pv-*)
		wait_count "vCPUs back online" "$1" 60 ||
			fail "$2: the guest never said its vCPUs came back"
		line=$(grep -o 'pvkit: resume: [0-9]* of [0-9]* vCPUs back online.*' "$CONSOLE_LOG" |
		       sed -n "$1p")
		echo "$2: $line"
		k=$(echo "$line" | cut -d' ' -f3)
		m=$(echo "$line" | cut -d' ' -f5)
		[ -n "$k" ] && [ "$k" = "$m" ] || fail "$2: not every vCPU came back ($line)"
		;;
	esac
	want="pvkit: smp ping cpus=$c online=$c pinged=$c failed=0"
	n=$(grep -cF "$want" "$CONSOLE_LOG")
	tty=$(xenstore-read "/local/domain/$DOMID/console/tty") || fail "$2: no console tty"
	printf 'smp ping\r' >"$tty" || fail "$2: cannot write to $tty"
	wait_count "$want" $((n + 1)) 30 || fail "$2: not all $c vCPUs answer a cross-call"
	echo "$2: all $c vCPUs online, each answered a cross-call"
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
	# and the resume's own work), and on by the downtime (-1 s): a clock that stood still
	# while Xen's time caught up would hold every timer back that long.
	clock=$(grep -o 'clock [0-9]* -> [0-9]* ms' "$CONSOLE_LOG" | sed -n "${n}p")
	a=$(echo "$clock" | cut -d' ' -f2)
	b=$(echo "$clock" | cut -d' ' -f4)
	echo "$2: xl took $XL_MS ms; now domain $DOMID; the guest was gone $dt ms; its clock" \
		"$a -> $b ms"
	[ -n "$a" ] && [ -n "$b" ] || fail "$2: no clock line"
	[ "$b" -ge "$a" ] || fail "$2: the clock went back ($a -> $b ms)"
	[ "$b" -le $((a + dt + 1000)) ] ||
		fail "$2: the clock jumped $((b - a)) ms, the downtime was $dt ms"
	[ "$b" -ge $((a + dt - 1000)) ] ||
		fail "$2: the clock went on only $((b - a)) ms, the downtime was $dt ms"
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

# send CMD: a console command on the domain's console now (whichever domain that is); it must
# be echoed once more than before. Uses rfail (the caller's: it stops the guest).
send() {
	local tty n
	tty=$(xenstore-read "/local/domain/$DOMID/console/tty") || rfail "no console tty"
	n=$(( $(grep -cF "pvkit: echo $1" "$CONSOLE_LOG") + 1 ))
	printf '%s\r' "$1" >"$tty" || rfail "cannot write to $tty"
	wait_count "pvkit: echo $1" "$n" 20 || rfail "the guest did not echo \"$1\""
}

# follow_incoming NAME: a migrated domain is created as "NAME--incoming" and renamed once it
# runs, and xenconsoled logs it under that first name: follow that file into the case's log.
follow_incoming() {
	local inlog=/var/log/xen/console/guest-$1--incoming.log
	: >>"$inlog"
	tail -n 0 -F "$inlog" >>"$CONSOLE_LOG" 2>/dev/null &
	TAIL_PID=$!
}

# The UDP echo stream to $GUEST_IP: rounds of 1 MiB (net-udp) until udp_check; a round waits
# up to 60 s without an answer (a save and restore under TCG), resending what got none.
UDP_LOG=/run/pvkit/$CASE.udp.log
UDP_STOP=/run/pvkit/$CASE.udp.stop
udp_start() {
	rm -f "$UDP_LOG" "$UDP_STOP"
	(
		n=0
		while [ ! -f "$UDP_STOP" ]; do
			n=$((n + 1))
			NET_UDP_GIVE_UP_MS=60000 /pvkit/tools/net-udp echo "$GUEST_IP" 7 1048576 \
				1472 8 >>"$UDP_LOG" 2>&1 || echo "net-udp: round $n failed" >>"$UDP_LOG"
		done
	) &
	UDP_PID=$!
}

# udp_check: stop the stream; every round came back whole (lost datagrams resent: counted).
udp_check() {
	local ok bad re gap
	: >"$UDP_STOP"
	wait "$UDP_PID"
	UDP_PID=
	ok=$(grep -c "result=ok" "$UDP_LOG")
	bad=$(grep -c "result=fail\|failed" "$UDP_LOG")
	re=$(sed -n 's/.*retransmits=\([0-9]*\).*/\1/p' "$UDP_LOG" | awk '{ s += $1 } END { print s + 0 }')
	gap=$(sed -n 's/.*max_gap_ms=\([0-9]*\).*/\1/p' "$UDP_LOG" | sort -n | tail -n 1)
	echo "UDP echo stream: $ok rounds of 1 MiB came back whole, $bad failed;" \
	     "$re datagrams resent (lost while the domain was away); longest gap ${gap:-?} ms"
	[ "$bad" = 0 ] && [ "$ok" -gt 0 ] ||
		{ grep "result=fail\|failed" "$UDP_LOG"; rfail "UDP echo stream"; }
}

# On any exit: nothing of ours left running (the console follower, the UDP stream).
life_cleanup() {
	[ -n "${TAIL_PID:-}" ] && kill "$TAIL_PID" 2>/dev/null
	if [ -n "${UDP_PID:-}" ]; then
		: >"$UDP_STOP"
		pkill -P "$UDP_PID" 2>/dev/null
		kill "$UDP_PID" 2>/dev/null
	fi
	return 0
}
