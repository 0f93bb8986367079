# SPDX-License-Identifier: MIT
# Hook of the balloon-across-a-restore cases (own=1; pv.cfg, pvh.cfg: 128 MiB, serve mode;
# docs/smp.md "Balloon"): xl mem-set 64 -> reached; xl save: the image holds the pages the guest
# kept, and under PV exactly the frames it gave back are holes in it (XTAB: the toolstack read
# them as holes through the published P2M frame lists); xl restore into a new domain: the guest
# resumes with its frames still out (PV: every one; PVH: the restored domain may hold a page
# less than the saved one, which the guest takes back), its count = Xen's = xl list's;
# xl mem-set 128 -> every frame back in the new domain; xl shutdown.
set -u
. ./hooklib.sh
. ./lifelib.sh
. ./balloonlib.sh

img=/run/pvkit/$CASE.save

# A failure while the guest serves: stop it too, or the case would only end at its timeout.
rfail() {
	echo "FAIL: $*"
	xl shutdown "$DOMID" >/dev/null 2>&1
	exit 1
}

case "$1" in
running)
	dname=$(dom_name)
	wait_console "pvkit: ready" 90 || rfail "the guest never said it was ready"
	wait_guest_serves "boot"
	mem_step 64 reached
	out=${LINE#* out=}; out=${out%% *}

	rm -f "$img"
	xl_logged save save "$DOMID" "$img" || rfail "xl save failed (rc $?)"
	xl list "$DOMID" >/dev/null 2>&1 && fail "the domain is still there after xl save"
	echo "xl save at 64 MiB: $(stat -c %s "$img") bytes in $XL_MS ms"
	sc=$(/pvkit/tools/save-check "$img") || fail "the image is not well-formed: $sc"
	echo "$sc"
	case $CASE in
	pv-*)
		xtab=$(echo "$sc" | sed -n 's/.* \([0-9]*\) xtab, .*/\1/p')
		[ "$xtab" = "$out" ] ||
			fail "$out frames given back, but $xtab pages left out of the image"
		echo "the $out frames given back are the image's holes, no other page left out"
		;;
	esac

	xl_logged restore restore "$img" || fail "xl restore failed (rc $?)"
	rm -f "$img"
	follow_domain "$dname" "xl restore"
	check_resumed 1 "restore"
	wait_guest_serves "restore"
	i=0
	while :; do			# the restored domain's first target may move a frame or two
		send balloon
		l=$(grep -o "pvkit: balloon target=.*" "$CONSOLE_LOG" | tail -n 1)
		case $l in *" state=idle"*) break ;; esac
		i=$((i + 1))
		[ "$i" -gt 10 ] && rfail "the balloon is still working after the restore"
		sleep 1
	done
	echo "after the restore: $l"
	check_counts "$l"
	now=${l#* out=}; now=${now%% *}
	case $CASE in
	pv-*) [ "$now" = "$out" ] ||
		rfail "after the restore the guest counts $now frames out, not its $out" ;;
	*) [ "$now" -gt 0 ] && [ "$now" -le "$out" ] ||
		rfail "after the restore the guest counts $now frames out ($out before)" ;;
	esac
	mem_step 128 reached
	case $LINE in
	*" out=0 "*) ;;
	*) rfail "back at 128 MiB frames are still out" ;;
	esac
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	wait_console "pvkit: control: poweroff requested" 30 || fail "xl shutdown not taken"
	wait_shut_down
	;;
esac
exit 0
