# SPDX-License-Identifier: MIT
# Hook of the netfront cases (plan: net=<switch>, mac=<the vif's MAC>; guest in serve mode
# with ip=10.0.0.2/24). With netback set for the switch (netlib.sh), while the guest serves:
#   - its interface line shows what the switch allows (queues, split event channels);
#   - dom0 pings it: 100 echo requests, 56 B up to the MTU's payload, none lost; jumbo=1:
#     xenbr0 and the vif at MTU 9000, and those frames took several ring slots each way;
#   - it pings dom0 (console `ping`): 20 of 20;
#   - dom0 sends 16 MiB to its UDP echo service (tools/net-udp.c): every byte back, md5;
#   - malformed frames from dom0 onto its vif (tools/net-rawsend.c) are dropped and counted
#     in its `net` counters, and it still answers pings;
#   - peer=1: a second pvkit DomU (PVH, 10.0.0.3) on the bridge: the guest's UDP source sends
#     it 1 MB, counted by its sink; and back the other way;
#   - detach=1: `xl network-detach` while the guest itself sends (its console command `udp
#     send` to a dom0 sink: the detach must not wait for the command), then while dom0 makes
#     it echo; each time `xl network-attach` of a new vif: the guest survives, the new
#     interface comes up with the address and answers pings.
# Then `xl shutdown`. Figures are printed for docs/netfront.md. See docs/netfront.md.
set -u
. ./hooklib.sh
. ./netlib.sh

SW=$(net_switch)
MAC=$(net_mac)
PEER=$(sed -n 's/^# net-peer: *\([01]\).*/\1/p' "/pvkit/cases/$CASE.cfg" | head -n 1)
DETACH=$(sed -n 's/^# net-detach: *\([01]\).*/\1/p' "/pvkit/cases/$CASE.cfg" | head -n 1)
JUMBO=$(sed -n 's/^# net-jumbo: *\([01]\).*/\1/p' "/pvkit/cases/$CASE.cfg" | head -n 1)
MTU=1500
[ "$JUMBO" = 1 ] && MTU=9000
PEER_NAME=$CASE-peer
PEER_LOG=/var/log/xen/console/guest-$PEER_NAME.log
NEW_MAC=00:16:3e:00:07:12
NEW_MAC2=00:16:3e:00:07:13

# The second DomU: PVH, pvkit in serve mode at 10.0.0.3, default netback switch.
peer_create() {
	local img
	img=$(ls /pvkit/image/* | head -n 1)
	cat >"$NET_DIR/$PEER_NAME.cfg" <<CFG
name = "$PEER_NAME"
type = "pvh"
kernel = "$img"
extra = "pvkit.serve=1 ip=10.0.0.3/24"
memory = 128
vcpus = 1
cpus = "1"
tsc_mode = "native"
vif = [ "bridge=xenbr0,mac=00:16:3e:00:07:03" ]
on_poweroff = "destroy"
on_crash = "preserve"
CFG
	: >"$PEER_LOG"
	xl create "$NET_DIR/$PEER_NAME.cfg" >"$NET_DIR/$PEER_NAME.create" 2>&1 ||
		{ cat "$NET_DIR/$PEER_NAME.create"; return 1; }
}

features_check() {
	local want_q=2 want_s=1 line
	[ "$SW" = reduced ] && { want_q=1; want_s=0; }
	line=$(grep "pvkit: net eth0 mac=" "$CONSOLE_LOG" | head -n 1)
	echo "$line"
	echo "$line" | grep -q "mac=$MAC mtu=$MTU features: sg=1 csum=1 queues=$want_q split-evtchn=$want_s" ||
		rfail "interface line is not mac=$MAC mtu=$MTU sg=1 csum=1 queues=$want_q split-evtchn=$want_s"
	xenstore-ls "/local/domain/$DOMID/device/vif/0" | grep -E "ring-ref|event-channel|queue|feature|request" |
		tr -s ' ' | tr '\n' ';'
	echo
}

guest_ping() {
	local l
	send_to "$TTY" "$CONSOLE_LOG" "ping 10.0.0.1 20 1000"
	wait_after "$CONSOLE_LOG" "ping 10.0.0.1 20 1000" "pvkit: ping 10.0.0.1 " 60 ||
		rfail "the guest's ping never finished"
	l=$(after_echo "$CONSOLE_LOG" "ping 10.0.0.1 20 1000" "pvkit: ping 10.0.0.1 ")
	echo "$l"
	echo "$l" | grep -q "sent=20 received=20 corrupt=0 duplicate=0" || rfail "guest -> dom0 ping lost"
}

udp_echo() {
	local out
	out=$($NET_TOOLS/net-udp echo 10.0.0.2 7 16777216 1472 32)
	echo "$out"
	echo "$out" | grep -q "result=ok" || rfail "UDP echo of 16 MiB failed"
}

malformed() {
	local before after out d k
	before=$(net_stats "$TTY" "$CONSOLE_LOG")
	out=$($NET_TOOLS/net-rawsend "vif$DOMID.0" "$MAC" 10.0.0.2 10.0.0.1 10 500) ||
		rfail "net-rawsend: $out"
	echo "$out"
	sleep 1
	after=$(net_stats "$TTY" "$CONSOLE_LOG")
	for k in ip_short ip_bad_csum ip_bad_len udp_bad_len eth_unknown_type; do
		d=$(( $(counter "$after" $k) - $(counter "$before" $k) ))
		echo "guest counted $k +$d"
		[ "$d" -ge 10 ] || rfail "$k: $d of 10 malformed frames counted"
	done
	d=$(( $(counter "$after" arp_request) - $(counter "$before" arp_request) ))
	k=$(( $(counter "$after" arp_not_for_us) - $(counter "$before" arp_not_for_us) ))
	echo "guest counted arp_request +$d arp_not_for_us +$k (storm of 250 + 250)"
	[ "$d" -ge 250 ] && [ "$k" -ge 240 ] || rfail "the ARP storm was not counted"
	out=$(ping -c 10 -A -W 2 10.0.0.2 2>&1 | grep "packets received")
	echo "after the malformed frames: $out"
	echo "$out" | grep -q "10 packets received" || rfail "no ping answer after malformed frames"
}

# The jumbo pings above took several ring slots each way: the guest's counters say so.
jumbo_check() {
	local l
	send_to "$TTY" "$CONSOLE_LOG" "netfront"
	wait_after "$CONSOLE_LOG" "netfront" "pvkit: netfront eth0 " 20 || rfail "netfront did not answer"
	l=$(after_echo "$CONSOLE_LOG" "netfront" "pvkit: netfront eth0 ")
	echo "multi-slot frames: tx $(counter "$l" tx_multi) rx $(counter "$l" rx_multi)"
	[ "$(counter "$l" tx_multi)" -ge 50 ] && [ "$(counter "$l" rx_multi)" -ge 50 ] ||
		rfail "jumbo frames did not take several slots each way"
}

peer_exchange() {
	local ptty l s
	CONSOLE_LOG=$PEER_LOG wait_console "pvkit: ready" 120 || rfail "the peer DomU never got ready"
	ptty=$(xenstore-read "/local/domain/$(xl domid "$PEER_NAME")/console/tty") ||
		rfail "no peer console"
	send_to "$TTY" "$CONSOLE_LOG" "udp send 10.0.0.3 9 1000000 1000"
	wait_after "$CONSOLE_LOG" "udp send 10.0.0.3 9 1000000 1000" "pvkit: udp send 10.0.0.3" 60 ||
		rfail "udp send to the peer never finished"
	l=$(after_echo "$CONSOLE_LOG" "udp send 10.0.0.3 9 1000000 1000" "pvkit: udp send 10.0.0.3")
	echo "guest: $l"
	echo "$l" | grep -q "bytes=1000000 .*error=none" || rfail "udp send to the peer failed"
	send_to "$ptty" "$PEER_LOG" "udp send 10.0.0.2 9 500000 1000"
	wait_after "$PEER_LOG" "udp send 10.0.0.2 9 500000 1000" "pvkit: udp send 10.0.0.2" 60 ||
		rfail "the peer's udp send never finished"
	echo "peer: $(after_echo "$PEER_LOG" "udp send 10.0.0.2 9 500000 1000" "pvkit: udp send")"
	sleep 1
	s=$(net_stats "$ptty" "$PEER_LOG")
	echo "peer sink: $(counter "$s" sink_datagrams) datagrams $(counter "$s" sink_bytes) bytes"
	[ "$(counter "$s" sink_bytes)" -eq 1000000 ] || rfail "the peer's sink did not get 1000000 bytes"
	s=$(net_stats "$TTY" "$CONSOLE_LOG")
	echo "guest sink: $(counter "$s" sink_datagrams) datagrams $(counter "$s" sink_bytes) bytes"
	[ "$(counter "$s" sink_bytes)" -ge 500000 ] || rfail "the guest's sink did not get 500000 bytes"
	xl shutdown "$PEER_NAME" >/dev/null 2>&1
}

# detach_attach LOAD OLD_MAC NEW_MAC: xl network-detach of the vif OLD_MAC under LOAD, then
# xl network-attach of a vif NEW_MAC. LOAD guest: the guest's console command `udp send`
# streams to a dom0 sink, so the guest is inside a command, not its idle loop, when the
# backend goes: the command must let the xenbus watch run (kernel/idle.c), else libxl waits
# out its timeout and the guest never follows Closing; the command ends with an error.
# LOAD dom0: dom0 makes the guest echo (its replies are the tx in flight) while it sits in
# its idle loop.
detach_attach() {
	local t0 t1 out pid cmd="udp send 10.0.0.1 5001 1000000000 1472" removed addrs
	removed=$(grep -c "pvkit: net eth0 removed" "$CONSOLE_LOG")
	if [ "$1" = guest ]; then
		$NET_TOOLS/net-udp sink 5001 60 >"$NET_DIR/$CASE.sink" 2>&1 &
		pid=$!
		sleep 1
		send_to "$TTY" "$CONSOLE_LOG" "$cmd"
	else
		$NET_TOOLS/net-udp echo 10.0.0.2 7 1000000000 1472 64 >"$NET_DIR/$CASE.echo" 2>&1 &
		pid=$!
	fi
	sleep 3
	t0=$(uptime_cs)
	xl network-detach "$DOMID" "$2" || rfail "xl network-detach failed"
	t1=$(uptime_cs)
	echo "xl network-detach under $1 load took $(( (t1 - t0) * 10 )) ms"
	wait_count "pvkit: net eth0 removed" $((removed + 1)) 30 || rfail "eth0 was not removed"
	if [ "$1" = guest ]; then
		wait_after "$CONSOLE_LOG" "$cmd" "pvkit: udp send 10.0.0.1:5001" 30 ||
			rfail "udp send did not end when its interface went"
		out=$(after_echo "$CONSOLE_LOG" "$cmd" "pvkit: udp send 10.0.0.1:5001")
		echo "$out"
		# Ended by the interface going (ENODEV), not by its own 10 s stall timeout after
		# the detach went ahead without the guest (seen before kernel/idle.c let it run).
		case $out in
		*error=none*|*error=ETIMEDOUT*) rfail "udp send did not stop at the detach" ;;
		esac
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -h "pvkit: netfront eth0" "$CONSOLE_LOG" | tail -n 3
	grep -q "pvkit: netfront eth0: backend closing: carrier down" "$CONSOLE_LOG" ||
		rfail "the guest did not follow the backend's Closing"
	send_to "$TTY" "$CONSOLE_LOG" "help"
	echo "the guest answers its console after the detach"
	addrs=$(grep -c "pvkit: net eth0 addr=10.0.0.2/24" "$CONSOLE_LOG")
	t0=$(uptime_cs)
	xl network-attach "$DOMID" bridge=xenbr0 "mac=$3" || rfail "xl network-attach failed"
	wait_console "pvkit: net eth0 mac=$3" 30 || rfail "the new vif did not come up"
	t1=$(uptime_cs)
	grep -h "pvkit: net eth0 mac=$3" "$CONSOLE_LOG"
	echo "xl network-attach -> interface up in $(( (t1 - t0) * 10 )) ms"
	wait_count "pvkit: net eth0 addr=10.0.0.2/24" $((addrs + 1)) 10 ||
		rfail "no address on the new interface"
	out=$(ping -c 10 -A -W 3 10.0.0.2 2>&1 | grep "packets received")
	echo "new interface: $out"
	echo "$out" | grep -q "10 packets received" || rfail "the new interface does not answer"
}

case "$1" in
pre)
	[ -n "$SW" ] || fail "no '# net-switch:' line in the case's config"
	net_params "$SW" || fail "netback switch $SW"
	ip link set xenbr0 mtu "$MTU" || fail "xenbr0 mtu $MTU"
	echo "xenbr0 mtu $MTU (the hotplug script gives the vif the bridge's)"
	;;
running)
	wait_console "pvkit: ready" 120 || rfail "the guest never said it was ready"
	TTY=$(xenstore-read "/local/domain/$DOMID/console/tty") || rfail "no console tty"
	brctl show 2>/dev/null | grep -q "vif$DOMID.0" || ip link show "vif$DOMID.0" | grep -q "master xenbr0" ||
		rfail "vif$DOMID.0 is not on xenbr0"
	features_check
	ping_sizes 10.0.0.2 $((MTU - 28)) || rfail "dom0 -> guest pings lost"
	[ "$JUMBO" = 1 ] && jumbo_check
	guest_ping
	udp_echo
	# The peer boots beside the rest (not before: its self-tests share the guest's pCPU
	# and would make the timed checks above measure the scheduler).
	[ "$PEER" = 1 ] && { peer_create || rfail "xl create of the peer failed"; }
	malformed
	[ "$PEER" = 1 ] && peer_exchange
	[ "$DETACH" = 1 ] && detach_attach guest "$MAC" "$NEW_MAC"
	[ "$DETACH" = 1 ] && detach_attach dom0 "$NEW_MAC" "$NEW_MAC2"
	net_stats "$TTY" "$CONSOLE_LOG" | tr -s ' ' | sed 's/ pvkit: /\n/g'
	echo
	send_to "$TTY" "$CONSOLE_LOG" "netfront"
	sleep 1
	xl shutdown "$DOMID" || rfail "xl shutdown failed"
	;;
post)
	rc=0
	xl destroy "$PEER_NAME" >/dev/null 2>&1
	[ -s "$PEER_LOG" ] && { grep -E "^pvkit: (net |netfront|selftest|udp|ping)" "$PEER_LOG" | head -n 20; }
	net_params_restore || rc=1
	ip link set xenbr0 mtu 1500 || rc=1
	exit $rc
	;;
esac
exit 0
