# SPDX-License-Identifier: MIT
# Hook for `xl reboot`: the guest shuts down with reason reboot, xl restarts it
# (on_reboot = "restart"), the new domain boots and serves again; then it is shut down.
set -u
. ./hooklib.sh

case "$1" in
running)
	wait_console "pvkit: ready" 90 || fail "the guest never said it was ready"
	xl reboot "$DOMID" || fail "xl reboot failed"
	echo "xl reboot sent to domain $DOMID"
	;;
post)
	# The first domain is gone (xl destroyed it to restart it); wait for the second boot.
	wait_count "pvkit: boot entry=" 2 90 || fail "the guest did not boot a second time"
	wait_count "pvkit: ready" 2 90 || fail "the rebooted guest never got ready"
	grep -q "reason code 1" "/var/log/xen/xl-$CASE.log" 2>/dev/null ||
		fail "xl did not record shutdown reason 1 (reboot)"
	new=$(xl domid "$CASE") || fail "no restarted domain named $CASE"
	[ "$new" != "$DOMID" ] || fail "domain id did not change across the reboot"
	echo "rebooted: domain $DOMID -> $new; shutting the new one down"
	timeout 60 xl shutdown -w "$new" || fail "the rebooted guest did not power off"
	xl destroy "$new" 2>/dev/null
	;;
esac
exit 0
