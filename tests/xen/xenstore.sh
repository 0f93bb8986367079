# SPDX-License-Identifier: MIT
# dom0 side of the in-guest xenstore tests (tests/guest/test_xenstore.c, run with
# pvkit.xs_peer=<domain name>; docs/xenstore.md). Run as `sh xenstore.sh pre|running|post` with
# DOMID and CASE (tests/xen/README.md). Under data/pvkit-peer of the guest:
#   running: wait for ready=1; read to-dom0 (must be "hello from <CASE> (domid <DOMID>)"), echo
#            it back in echo; write from-dom0 and time the guest's ack (seen=1, <= 5 s), verdict
#            "ok <ms>" or "fail <why>"; wait for txn-open=1, then write race=100 (the guest's
#            transaction read 0 before: its commit must fail and its retry write 101).
#   post:    the end state: echo right, verdict ok, race 101, done 1. Exit 1 otherwise.
# The guest checks the values itself too, so a failure shows in its TAP lines as well. Lines
# starting with FAIL are what scripts/xenhost/xentests.py quotes for a failed phase.
set -u
phase=${1:-${PHASE:-}}
base=/local/domain/$DOMID/data/pvkit-peer
want="hello from $CASE (domid $DOMID)"

# now_ms: dom0's uptime in ms (10 ms steps).
now_ms() {
	read -r up _ </proc/uptime
	s=${up%.*}
	cs=${up#*.}
	cs=${cs#0}
	echo $((s * 1000 + cs * 10))
}

# wait_for NODE VALUE SECONDS: poll (xenstore-read costs ~0.1 s under TCG).
wait_for() {
	end=$(($(now_ms) + $3 * 1000))
	while [ "$(now_ms)" -lt "$end" ]; do
		[ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05 2>/dev/null || sleep 1
	done
	return 1
}

case "$phase" in
pre)
	exit 0
	;;
running)
	if ! wait_for "$base/ready" 1 90; then
		echo "FAIL xenstore.sh: the guest never wrote $base/ready"
		exit 1
	fi
	got=$(xenstore-read "$base/to-dom0")
	echo "xenstore.sh: read to-dom0: \"$got\""
	xenstore-write "$base/echo" "$got"
	t0=$(now_ms)
	xenstore-write "$base/from-dom0" "hello from dom0"
	if wait_for "$base/seen" 1 10; then
		ms=$(($(now_ms) - t0))
		echo "xenstore.sh: write -> guest watch -> ack: $ms ms"
		if [ "$ms" -le 5000 ]; then
			xenstore-write "$base/verdict" "ok $ms"
		else
			xenstore-write "$base/verdict" "fail $ms ms"
		fi
	else
		xenstore-write "$base/verdict" "fail no ack in 10 s"
		echo "FAIL xenstore.sh: no ack from the guest in 10 s"
	fi
	if ! wait_for "$base/txn-open" 1 60; then
		echo "FAIL xenstore.sh: the guest never opened its transaction"
		exit 1
	fi
	xenstore-write "$base/race" 100
	echo "xenstore.sh: wrote race=100 inside the guest's transaction"
	wait_for "$base/done" 1 60
	echo "xenstore.sh: race ends at $(xenstore-read "$base/race" 2>&1)"
	;;
post)
	rc=0
	for kv in "echo=$want" "race=101" "done=1"; do
		node=${kv%%=*}
		val=$(xenstore-read "$base/$node" 2>&1)
		if [ "$val" != "${kv#*=}" ]; then
			echo "FAIL xenstore.sh: $node is \"$val\", want \"${kv#*=}\""
			rc=1
		fi
	done
	verdict=$(xenstore-read "$base/verdict" 2>&1)
	case "$verdict" in
	"ok "*) echo "xenstore.sh: verdict $verdict" ;;
	*) echo "FAIL xenstore.sh: verdict \"$verdict\""; rc=1 ;;
	esac
	exit $rc
	;;
esac
