# SPDX-License-Identifier: MIT
# Hook for vCPU hot-plug (issue 15, docs/smp.md "Hot-plug"): a 4-vCPU PVH or PV guest in
# serve mode; xl vcpu-set 1 takes vCPUs 1-3 offline (the guest parks each with VCPUOP_down),
# xl list must then count 1 vCPU and the guest's cross-call to every online CPU must still
# work; xl vcpu-set 4 brings them back: 4 in xl list, 4 online in the guest, every one
# answering a cross-call. Then xl shutdown. Runs in dom0 (see README.md).
set -u
. ./hooklib.sh

xl_vcpus() {	# the VCPUs column of xl list: the vCPUs Xen counts online
	xl list "$DOMID" | awk 'NR == 2 { print $4 }'
}

smp_ping() {	# $1: online count expected in the guest's answer
	printf 'smp ping\r' >"$tty" || fail "cannot write to $tty"
	wait_console "pvkit: smp ping cpus=4 online=$1 pinged=$1 failed=0" 30 ||
		fail "the guest's cross-calls did not reach its $1 online CPUs"
	echo "guest: $1 CPUs online, each answered a cross-call"
}

case "$1" in
running)
	wait_console "pvkit: ready" 120 || fail "the guest never said it was ready"
	tty=$(xenstore-read "/local/domain/$DOMID/console/tty") || fail "no console tty"
	wait_console "pvkit: smp cpus=4 online=4" 5 || fail "the guest did not start its 4 vCPUs"
	smp_ping 4
	xl vcpu-set "$DOMID" 1 || fail "xl vcpu-set 1 failed"
	wait_console "offline online=1" 60 || fail "the guest did not take vCPUs 1-3 offline"
	n=$(xl_vcpus)
	[ "$n" = 1 ] || fail "xl list counts $n vCPUs online after vcpu-set 1"
	echo "vcpu-set 1: xl list counts 1 vCPU"
	smp_ping 1
	# --ignore-host: 4 vCPUs on the 2-pCPU host is overcommit on purpose (xl refuses without)
	xl vcpu-set --ignore-host "$DOMID" 4 || fail "xl vcpu-set 4 failed"
	wait_console "online online=4" 60 || fail "the guest did not bring vCPUs 1-3 back"
	n=$(xl_vcpus)
	[ "$n" = 4 ] || fail "xl list counts $n vCPUs online after vcpu-set 4"
	echo "vcpu-set 4: xl list counts 4 vCPUs"
	smp_ping 4
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	;;
esac
exit 0
