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
# must not go back across a resume and must not jump by more than the downtime. A guest with
# more than one vCPU must have all of them back each time (a PV guest says so as well), and a
# PVH one is also live-migrated once (3b). Runs in dom0.
set -u
. ./hooklib.sh
. ./lifelib.sh

img=/run/pvkit/$CASE.save
trap '[ -n "${TAIL_PID:-}" ] && kill "$TAIL_PID" 2>/dev/null' EXIT	# follow_incoming's tail
case $CASE in
pv-*) check="/pvkit/tools/save-check -n" ;;
*) check=/pvkit/tools/save-check ;;
esac

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

# restore_once N: xl restore of $img into a new domain, which the guest resumes in and serves.
restore_once() {
	xl_logged "restore$1" restore "$img" || fail "xl restore #$1 failed (rc $?)"
	follow_domain "$dname" "xl restore #$1"
	check_resumed "$1" "restore #$1"
	check_vcpus_back "$(($1 + 1))" "restore #$1"
	not_stopped "restore #$1"
	wait_guest_serves "restore #$1"
	check_control_nodes "restore #$1"
}

case "$1" in
running)
	dname=$(dom_name)
	wait_console "pvkit: ready" 90 || fail "the guest never said it was ready"
	wait_guest_serves "boot"

	# 1. A checkpoint: the guest goes on in place.
	rm -f "$img"
	xl_logged save-c save -c "$DOMID" "$img" || fail "xl save -c failed (rc $?)"
	wait_count "pvkit: resumed cancelled=1 " 1 30 || fail "the checkpoint did not come back"
	check_vcpus_back 1 "the checkpoint"
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

	# 3b. A guest with more than one vCPU, PVH: a live migration as well (Debian's Xen cannot
	# live-migrate PV: docs/suspend.md), every vCPU back after it.
	case $CASE in
	pvh-*)
		if grep -qE 'pvkit: smp cpus=[0-9]+ online=([2-9]|[1-9][0-9]+)([^0-9]|$)' \
		   "$CONSOLE_LOG"; then
			follow_incoming "$dname"
			xl_logged migrate migrate -s "" "$DOMID" "xl migrate-receive" ||
				fail "xl migrate failed (rc $?)"
			follow_domain "$dname" "xl migrate"
			check_resumed 3 "the migration"
			check_vcpus_back 4 "the migration"
			not_stopped "the migration"
			wait_guest_serves "the migration"
		fi
		;;
	esac

	# 4. It powers off when asked.
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	wait_console "pvkit: control: poweroff requested" 30 || fail "xl shutdown not taken"
	wait_shut_down
	echo "two resumes in new domains ($dname), then powered off"
	;;
esac
exit 0
