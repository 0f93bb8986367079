# SPDX-License-Identifier: MIT
# Hook for serve-mode DomUs (pvkit.serve=1): a line typed on the guest's console is echoed
# back, xl sysrq is acknowledged, an unknown control request is ignored with a log line, and
# `xl shutdown` powers the guest off within 10 s. Runs in dom0 (see README.md).
set -u
. ./hooklib.sh

case "$1" in
running)
	wait_console "pvkit: ready" 90 || fail "the guest never said it was ready"
	tty=$(xenstore-read "/local/domain/$DOMID/console/tty") || fail "no console tty"
	printf 'echo hello from dom0\r' >"$tty" || fail "cannot write to $tty"
	wait_console "pvkit: echo echo hello from dom0" 20 || fail "console input not echoed"
	echo "console input echoed"
	xl sysrq "$DOMID" h || fail "xl sysrq failed"
	wait_console "pvkit: control: sysrq 'h' acknowledged" 20 || fail "sysrq not acknowledged"
	echo "sysrq acknowledged"
	xenstore-write "/local/domain/$DOMID/control/shutdown" "hibernate-please" ||
		fail "cannot write control/shutdown"
	wait_console "request \"hibernate-please\" not supported; ignored" 20 ||
		fail "an unknown control request was not reported"
	echo "unknown control request ignored with a log line"
	uptime_cs >"/run/pvkit/$CASE.shutdown-at"
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	;;
post)
	[ -f "/run/pvkit/$CASE.shutdown-at" ] || fail "xl shutdown was never sent"
	t0=$(cat "/run/pvkit/$CASE.shutdown-at")
	el=$(( $(uptime_cs) - t0 ))
	echo "xl shutdown -> domain ended and seen within $((el / 100)).$((el % 100 / 10)) s"
	[ "$el" -le 1000 ] || fail "the domain took more than 10 s to power off"
	;;
esac
exit 0
