# SPDX-License-Identifier: MIT
# Hook for a lifecycle case (own=1: this hook owns the domain, see README.md): xl save -c twice
# (a checkpoint: the guest suspends, the save completes, the suspend is cancelled and the guest
# goes on in the same domain, serving), PV: a live migration that fails (no shadow paging
# on this Xen) and leaves the guest running, then a real xl save (the domain is saved and gone).
# The case's name says how the guest is asked: *-xs has pvkit.suspend_evtchn=0 (libxl writes
# control/shutdown), otherwise libxl notifies the suspend event channel the guest published.
# Every xl save keeps its -vvv output in the hook log. Runs in dom0.
set -u
. ./hooklib.sh

img=/run/pvkit/$CASE.save
case $CASE in
*-xs) source=xenstore ;;
*) source=evtchn ;;
esac
# Xen's save does not fail on a page table it cannot normalise (a frame outside our p2m still
# mapped): it leaves the page out. Every pfn of a PV guest is RAM, so none may be left out.
case $CASE in
pv-*) check="/pvkit/tools/save-check -n" ;;
*) check=/pvkit/tools/save-check ;;
esac

# save_once ARGS...: xl -vvv save ARGS, its output kept, its time in SAVE_MS.
save_once() {
	local t0 rc
	t0=$(uptime_cs)
	xl -vvv save "$@" >"/run/pvkit/$CASE.xl-save.log" 2>&1
	rc=$?
	SAVE_MS=$(( ($(uptime_cs) - t0) * 10 ))
	sed 's/^/  xl: /' "/run/pvkit/$CASE.xl-save.log" | grep -E 'error|suspend|resum|Saving|Domain' |
		tail -20
	return $rc
}

# wait_guest_serves WHAT: the guest answers xl sysrq after WHAT (events, xenstore work).
nr_sysrq=0
wait_guest_serves() {
	nr_sysrq=$((nr_sysrq + 1))
	xl sysrq "$DOMID" h || fail "xl sysrq failed after $1"
	wait_count "pvkit: control: sysrq 'h' acknowledged" "$nr_sysrq" 20 ||
		fail "the guest does not answer xl sysrq after $1"
}

case "$1" in
running)
	wait_console "pvkit: ready" 90 || fail "the guest never said it was ready"
	wait_guest_serves "boot"
	for i in 1 2; do
		rm -f "$img"
		save_once -c "$DOMID" "$img" || fail "xl save -c #$i failed (rc $?)"
		wait_count "pvkit: suspend requested by $source" "$i" 20 ||
			fail "checkpoint #$i: no 'suspend requested by $source'"
		wait_count "pvkit: resumed cancelled=1 " "$i" 30 ||
			fail "checkpoint #$i: the guest did not say it resumed, cancelled"
		dt=$(grep -o 'resumed cancelled=1 downtime_ms=[0-9]*' "$CONSOLE_LOG" | sed -n "${i}p")
		dt=${dt##*=}
		echo "checkpoint #$i: xl save -c took $SAVE_MS ms, the guest was gone $dt ms"
		[ "$dt" -le $((SAVE_MS + 1000)) ] ||
			fail "downtime $dt ms is longer than the whole xl save -c ($SAVE_MS ms)"
		[ -s "$img" ] || fail "checkpoint #$i wrote no image"
		head -c 32 "$img" | grep -q "Xen saved domain" || fail "the image has no xl header"
		$check "$img" || fail "checkpoint #$i: the image is not complete"
		st=$(xl list "$DOMID" | sed -n '2{s/  */ /g;p}' | cut -d' ' -f5)
		case $st in
		*s*|*c*|*d*) fail "after checkpoint #$i the domain is not running ($st)" ;;
		esac
		wait_guest_serves "checkpoint #$i"
	done
	echo "two checkpoints: the guest went on in the same domain $DOMID, serving"
	# The guest counted both (serve mode's stats command, typed on its console).
	tty=$(xenstore-read "/local/domain/$DOMID/console/tty") || fail "no console tty"
	printf 'stats\r' >"$tty" || fail "cannot write to $tty"
	wait_console "pvkit: stats control " 20 || fail "no control line from stats"
	line=$(grep -o 'pvkit: stats control .*' "$CONSOLE_LOG" | tail -1)
	echo "$line"
	case $line in
	*" suspends=2 suspend_failed=0 "*) ;;
	*) fail "the guest did not count two suspends" ;;
	esac
	case $source in
	evtchn) case $line in *" suspend_port=0"*) fail "no suspend port counted" ;; esac ;;
	*) case $line in *" suspend_port=0"*) ;; *) fail "a suspend port with pvkit.suspend_evtchn=0" ;; esac ;;
	esac
	case $CASE in
	pv-*)
		# Debian's Xen has no shadow paging, so it cannot track a PV guest's dirty pages:
		# xl migrate fails before the guest is asked anything, and the guest must go on.
		xl -vvv migrate -s "" "$DOMID" "xl migrate-receive" >"/run/pvkit/$CASE.xl-mig.log" 2>&1 &&
			fail "xl migrate of a PV guest worked: this Xen has shadow paging? (docs/suspend.md)"
		grep -E 'logdirty|error' "/run/pvkit/$CASE.xl-mig.log" | sed 's/^/  xl: /' | tail -8
		grep -q "Failed to enable logdirty" "/run/pvkit/$CASE.xl-mig.log" ||
			fail "xl migrate failed, but not for want of log-dirty"
		[ "$(grep -cF "pvkit: suspend requested" "$CONSOLE_LOG")" = 2 ] ||
			fail "the failed migration asked the guest to suspend"
		xl list "$CASE--incoming" >/dev/null 2>&1 && fail "the receiving domain was left behind"
		wait_guest_serves "a failed migration"
		echo "xl migrate failed for want of log-dirty; the guest went on, serving"
		;;
	esac
	rm -f "$img"
	save_once "$DOMID" "$img" || fail "xl save failed (rc $?)"
	wait_count "pvkit: suspend requested by $source" 3 20 || fail "the last save asked nothing"
	xl list "$DOMID" >/dev/null 2>&1 && fail "the domain is still there after xl save"
	echo "xl save: $(stat -c %s "$img") bytes in $SAVE_MS ms, domain $DOMID gone"
	$check "$img" || fail "the image is not complete"
	rm -f "$img"
	;;
esac
exit 0
