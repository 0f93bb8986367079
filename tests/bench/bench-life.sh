# SPDX-License-Identifier: MIT
# The hook of make bench's lifecycle cases (own=1: it owns the domain; docs/benchmarks.md
# "Lifecycle"), the same for the pvkit and the Linux DomU, both PVH (bench-*-pvh.cfg: a disk and
# a vif): once the guest is ready,
#   xl save      to dom0's tmpfs, timed;
#   xl restore   timed, and the time from its start to the guest's first answer to dom0's pings
#                (tests/dom0-tools/ping-gap, an echo request every 20 ms);
#   xl migrate   to the same host (-s ""), timed, with ping-gap running: the longest gap
#                between two answers is the downtime as the network sees it;
# then it powers the guest off. One line: "bench life save_ms=... downtime_ms=...".
set -u

D=/run/pvkit/bench
TOOLS=/pvkit/tools
CFG=/pvkit/cases/$CASE.cfg
GUEST=$(sed -n 's/^# bench-guest: *\([a-z]*\).*/\1/p' "$CFG" | head -n 1)
GUEST_IP=$(sed -n 's/^# bench-ip: *\([0-9.]*\).*/\1/p' "$CFG" | head -n 1)
IMG=$D/disk.img
SAVE=$D/$CASE.save

fail() {
	echo "bench error case=$CASE reason=$*"
	exit 1
}

rfail() {
	echo "bench error case=$CASE reason=$*"
	xl shutdown "$DOMID" >/dev/null 2>&1
	exit 1
}

now_ms() {
	local u f
	read -r u _ </proc/uptime
	f=${u#*.}
	f=${f#0}
	echo $(( ${u%.*} * 1000 + ${f:-0} * 10 ))
}

wait_console() {
	local i=0
	while ! grep -qF "$1" "$CONSOLE_LOG" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt $(( $2 * 10 )) ] && return 1
		sleep 0.1
	done
}

# gap_start TAG: ping-gap on the guest until gap_stop; its line in $D/$CASE.TAG.gap.
gap_start() {
	rm -f "$D/$CASE.$1.stop"
	"$TOOLS/ping-gap" "$GUEST_IP" 20 "$D/$CASE.$1.stop" 600 >"$D/$CASE.$1.gap" 2>&1 &
	GAP_PID=$!
}

gap_stop() {
	: >"$D/$CASE.$1.stop"
	wait "$GAP_PID"
	cat "$D/$CASE.$1.gap"
}

# field LINE NAME: NAME=value of a key=value line.
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# follow NAME: the domain NAME is now (a restore or migration made it): DOMID, the case's.
follow() {
	DOMID=$(xl domid "$DNAME") || rfail "no-domain-after-$1"
	echo "$DOMID" >"$DOMID_FILE"
}

case "$1" in
pre)
	mkdir -p "$D"
	dd if=/dev/zero of="$IMG" bs=1M count=64 2>/dev/null || fail "dd $IMG"
	;;
running)
	DNAME=$(xl list "$DOMID" | sed -n '2{s/ .*//;p}')
	if [ "$GUEST" = pvkit ]; then
		wait_console "pvkit: ready" 300 || rfail "never-ready"
	else
		wait_console "bench: linux ready" 300 || rfail "never-ready"
	fi
	ping -c 3 -W 2 "$GUEST_IP" >/dev/null 2>&1 || rfail "no-ping-before"
	# xl save
	rm -f "$SAVE"
	t0=$(now_ms)
	xl save "$DOMID" "$SAVE" >"$D/$CASE.save.log" 2>&1 </dev/null || rfail "xl-save"
	save_ms=$(( $(now_ms) - t0 ))
	bytes=$(stat -c %s "$SAVE")
	# xl restore, and the first answer after it
	gap_start restore
	t0=$(now_ms)
	xl restore "$SAVE" >"$D/$CASE.restore.log" 2>&1 </dev/null || { gap_stop restore; fail "xl-restore"; }
	restore_ms=$(( $(now_ms) - t0 ))
	rm -f "$SAVE"
	follow restore
	i=0
	until ping -c 1 -W 1 "$GUEST_IP" >/dev/null 2>&1; do
		i=$((i + 1)); [ "$i" -gt 120 ] && break
	done
	sleep 1
	g=$(gap_stop restore)
	echo "bench life-restore $g"
	answer=$(field "$g" first_reply_ms)
	# xl migrate, with the ping stream
	sleep 2
	gap_start migrate
	t0=$(now_ms)
	xl migrate -s "" "$DOMID" "xl migrate-receive" >"$D/$CASE.migrate.log" 2>&1 </dev/null ||
		{ gap_stop migrate; tail -n 5 "$D/$CASE.migrate.log"; rfail "xl-migrate"; }
	migrate_ms=$(( $(now_ms) - t0 ))
	follow migrate
	sleep 3
	g=$(gap_stop migrate)
	echo "bench life-migrate $g"
	echo "bench life guest=$GUEST save_ms=$save_ms image_bytes=$bytes restore_ms=$restore_ms" \
	     "answer_ms=${answer:-none} migrate_ms=$migrate_ms downtime_ms=$(field "$g" max_gap_ms)"
	# off: the new domain's console
	tty=$(xenstore-read "/local/domain/$DOMID/console/tty") || rfail "no-console-tty"
	printf 'poweroff\r' >"$tty"
	i=0
	while [ "$(xl list "$DOMID" 2>/dev/null | sed -n '2{s/  */ /g;p}' | cut -d' ' -f5 |
		   cut -c4)" != s ]; do
		i=$((i + 1))
		[ "$i" -gt 600 ] && rfail "no-poweroff"
		sleep 0.1
	done
	;;
esac
exit 0
