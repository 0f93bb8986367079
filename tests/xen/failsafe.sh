# SPDX-License-Identifier: MIT
# Hook for pv-failsafe (tests/guest/test_xen_pv.c, issue 12): while the guest keeps a selector
# of a vanished LDT in DS, pause and unpause the domain. Xen reloads a PV vCPU's data
# selectors only when it switches to it from another context (load_segments in
# xen/arch/x86/domain.c); each unpause is such a switch, the load fails and Xen calls the
# guest's failsafe callback. Runs in dom0 (see README.md).
set -u
. ./hooklib.sh

case "$1" in
running)
	wait_console "pvkit: failsafe-test ready" 240 || fail "the guest never armed the failsafe test"
	n=0
	while ! grep -qF "pvkit: failsafe-test done" "$CONSOLE_LOG"; do
		n=$((n + 1))
		[ "$n" -gt 300 ] && fail "the guest was not done after 300 pauses"
		xl pause "$DOMID" || fail "xl pause failed (pause $n)"
		sleep 0.2
		xl unpause "$DOMID" || fail "xl unpause failed (pause $n)"
		sleep 0.3
	done
	echo "paused and unpaused the domain $n times"
	;;
esac
exit 0
