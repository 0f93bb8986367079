# SPDX-License-Identifier: MIT
# Shared helpers for the netfront hook (net.sh; sourced after hooklib.sh): netback's switches
# and their restore, console commands to the guest, reading its `net` counters, dom0 pings.
# The switch of a case comes from its rendered config, a line "# net-switch: <name>" (the
# plan's net=<name>): "default" = 2 queues with split event channels (netback's own default
# is one queue per dom0 vCPU: 1 here), "reduced" = 1 queue, one event channel per queue.

NET_DIR=/run/pvkit
NET_PARAMS=/sys/module/xen_netback/parameters
NET_TOOLS=/pvkit/tools

net_switch() {
	sed -n 's/^# net-switch: *\([a-z0-9-]*\).*/\1/p' "/pvkit/cases/$CASE.cfg" | head -n 1
}

# The guest's MAC, from the rendered config.
net_mac() {
	sed -n 's/^vif = \[ "bridge=xenbr0,mac=\([0-9a-f:]*\)".*/\1/p' "/pvkit/cases/$CASE.cfg" |
		head -n 1
}

# net_params SWITCH: netback set up for SWITCH (read at each vif's probe, so before xl create).
net_params() {
	local queues=2 split=Y
	mkdir -p "$NET_DIR"
	[ -f "$NET_DIR/netback.defaults" ] ||
		echo "$(cat $NET_PARAMS/max_queues) $(cat $NET_PARAMS/separate_tx_rx_irq)" \
		     >"$NET_DIR/netback.defaults"
	[ "$1" = reduced ] && { queues=1; split=N; }
	echo "$queues" >"$NET_PARAMS/max_queues" || return 1
	echo "$split" >"$NET_PARAMS/separate_tx_rx_irq" || return 1
	echo "netback: switch=$1 max_queues=$(cat $NET_PARAMS/max_queues)" \
	     "separate_tx_rx_irq=$(cat $NET_PARAMS/separate_tx_rx_irq)"
}

net_params_restore() {
	local q s
	read -r q s <"$NET_DIR/netback.defaults" || return 1
	echo "$q" >"$NET_PARAMS/max_queues" && echo "$s" >"$NET_PARAMS/separate_tx_rx_irq"
}

# A failure while the guest serves: stop it too, or the case would only end at its timeout.
rfail() {
	echo "FAIL: $*"
	xl shutdown "$DOMID" >/dev/null 2>&1
	exit 1
}

# send TTY LOG CMD: a console command, echoed by the guest (TTY/LOG of a domain).
send_to() {
	printf '%s\r' "$3" >"$1" || rfail "cannot write to $1"
	CONSOLE_LOG=$2 wait_console "pvkit: echo $3" 20 || rfail "no echo of \"$3\" in $2"
}

# after_echo LOG CMD PATTERN: the last line matching PATTERN after the last echo of CMD.
after_echo() {
	awk -v e="pvkit: echo $2" -v p="$3" 'index($0, e) { out = "" ; on = 1; next }
		on && index($0, p) { out = $0 } END { print out }' "$1"
}

# wait_after LOG CMD PATTERN SECONDS: until after_echo finds a line.
wait_after() {
	local i=0
	while [ -z "$(after_echo "$1" "$2" "$3")" ]; do
		i=$((i + 1))
		[ "$i" -gt $(( $4 * 10 )) ] && return 1
		sleep 0.1
	done
}

# counter LINES NAME: NAME=value from "pvkit: net stats ..." lines (0 if absent).
counter() {
	local v
	v=$(echo "$1" | tr ' ' '\n' | sed -n "s/^$2=\([0-9]*\)\$/\1/p" | head -n 1)
	echo "${v:-0}"
}

# net_stats TTY LOG: the guest's `net` output (all its "pvkit: net stats" lines).
net_stats() {
	send_to "$1" "$2" "net"
	CONSOLE_LOG=$2 wait_after "$2" "net" "pvkit: net stats services:" 20 ||
		rfail "net stats did not answer"
	awk 'index($0, "pvkit: echo net") && !index($0, "pvkit: echo net ") { out = "" ; on = 1;
		next } on && index($0, "pvkit: net stats") { out = out " " $0 } END { print out }' "$2"
}

# ping_sizes ADDR MAX: 10 echo requests at each of 10 sizes from 56 B to MAX (the MTU's
# payload: 1472 at MTU 1500), back to back (-A); prints the totals; fails unless all 100
# came back.
ping_sizes() {
	local sent=0 got=0 s i out tx rx rtt
	for i in 0 1 2 3 4 5 6 7 8 9; do
		s=$(( 56 + i * ($2 - 56) / 9 ))
		out=$(ping -c 10 -A -W 2 -s "$s" "$1" 2>&1)
		tx=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
		rx=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
		rtt=$(echo "$out" | sed -n 's#.*min/avg/max = [0-9.]*/\([0-9.]*\)/.*#\1#p')
		echo "ping -s $s: $rx/$tx, avg ${rtt:-?} ms"
		sent=$((sent + ${tx:-0}))
		got=$((got + ${rx:-0}))
	done
	echo "dom0 -> guest ping: $got of $sent echo requests answered (56..$2 bytes)"
	[ "$sent" -eq 100 ] && [ "$got" -eq 100 ]
}
