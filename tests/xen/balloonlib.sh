# SPDX-License-Identifier: MIT
# Shared helpers for the balloon hooks (mem-set.sh, mem-restore.sh; sourced after hooklib.sh;
# docs/smp.md "Balloon"): xl mem-set and the guest's end-of-step line, its counts against
# Xen's and xl list's. rfail is the caller's (it stops the guest).

# steps_for KIB: the guest's end-of-step lines for a target of KIB so far.
steps_for() {
	grep -c "pvkit: balloon: target=$1 KiB current=[0-9]* KiB xen=" "$CONSOLE_LOG"
}

# xl_mem: the Mem column of xl list (MiB): Xen's count of the domain's pages.
xl_mem() {
	xl list "$DOMID" | awk 'NR == 2 { print $3 }'
}

# check_counts LINE: the guest's count (current=) is Xen's (xen=) and xl list's; sets CUR.
check_counts() {
	local xen mem
	CUR=${1#*current=}; CUR=${CUR%% KiB*}
	xen=${1#* xen=}; xen=${xen%% KiB*}
	[ "$CUR" = "$xen" ] || rfail "the guest counts $CUR KiB, Xen $xen KiB"
	mem=$(xl_mem)
	[ "$mem" = $(( CUR / 1024 )) ] || rfail "xl list: $mem MiB, the guest counts $CUR KiB"
	echo "xl list: $mem MiB, the guest's own count $CUR KiB, Xen's the same"
}

# mem_step MIB END: xl mem-set MIB; the guest's end-of-step line must come and say END
# ("reached" or "short by"); the counts must agree. Sets CUR and LINE.
mem_step() {
	local kib=$(( $1 * 1024 )) n0 t0 i=0
	n0=$(steps_for "$kib")
	t0=$(uptime_cs)
	xl mem-set "$DOMID" "$1" || rfail "xl mem-set $1 failed"
	while [ "$(steps_for "$kib")" -le "$n0" ]; do
		i=$((i + 1))
		[ "$i" -gt 1800 ] && rfail "xl mem-set $1: no end-of-step line within 180 s"
		sleep 0.1
	done
	LINE=$(grep -o "pvkit: balloon: target=$kib KiB current=[0-9]* KiB xen=.*" "$CONSOLE_LOG" |
	       tail -n 1)
	echo "xl mem-set $1: $(( ($(uptime_cs) - t0) * 10 )) ms to \"$LINE\""
	case $LINE in
	*": $2"*) ;;
	*) rfail "xl mem-set $1: the guest did not say \"$2\"" ;;
	esac
	check_counts "$LINE"
}
