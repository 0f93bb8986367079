# SPDX-License-Identifier: MIT
# Shared helpers for the vCPU hot-plug hooks (vcpu-set-io.sh, mem-set.sh; sourced after
# hooklib.sh): a 4-vCPU guest in serve mode. The caller sets TTY (the guest's console) and
# defines rfail (a failure that also stops the guest).

# smp_ping N: type `smp ping`; the guest must answer that N of its 4 CPUs are online and each
# answered a cross-call (one answer more than before).
smp_ping() {
	local want n
	want="pvkit: smp ping cpus=4 online=$1 pinged=$1 failed=0"
	n=$(grep -cF "$want" "$CONSOLE_LOG")
	printf 'smp ping\r' >"$TTY" || rfail "cannot write to $TTY"
	wait_count "$want" $((n + 1)) 30 || rfail "not all $1 online vCPUs answer a cross-call"
}

# vcpus N WHAT: xl vcpu-set N (WHAT: offline or online); the guest says 3 vCPUs went WHAT (none
# failed), xl list's VCPUs column is N, and smp_ping N.
vcpus() {
	local n before
	before=$(grep -cF " $2 online=" "$CONSOLE_LOG")	# "pvkit: smp cpu N offline online=M"
	xl vcpu-set --ignore-host "$DOMID" "$1" || rfail "xl vcpu-set $1 failed"
	wait_count " $2 online=" $((before + 3)) 60 || rfail "the guest did not take 3 vCPUs $2"
	grep -qF " $2 failed online=" "$CONSOLE_LOG" && rfail "a vCPU failed to go $2"
	n=$(xl list "$DOMID" | awk 'NR == 2 { print $4 }')
	[ "$n" = "$1" ] || rfail "xl list counts $n vCPUs online after vcpu-set $1"
	smp_ping "$1"
	echo "vcpu-set $1: xl list counts $n, the guest $1 online, each answered a cross-call"
}
