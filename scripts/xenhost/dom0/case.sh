# SPDX-License-Identifier: MIT
# One test case in dom0 (bash, sourced by /init): hook pre, xl create, relay the DomU console,
# wait for the domain to end (on_*="preserve" + xl list state) or time out, hook post, destroy.

CREATE_TIMEOUT=${PVKIT_CREATE_TIMEOUT:-180}	# xl create runs the hotplug scripts: bound it
DESTROY_TIMEOUT=60

# dom_state DOMID: DOM_STATE = xl's State column (e.g. "-b----", "---s--") and DOM_REASON = its
# Reason-Code (shutdown reason: 0 poweroff, 1 reboot, 2 suspend, 3 crash, 4 watchdog), or
# DOM_STATE=gone when the domain no longer exists.
dom_state() {
	local out
	DOM_STATE=gone DOM_REASON=-
	# A failing xl list is asked twice before the domain counts as gone.
	out=$(timeout 30 xl list -v "$1" 2>/dev/null </dev/null) ||
		out=$(timeout 30 xl list -v "$1" 2>/dev/null </dev/null) || return 0
	set -- $(printf '%s\n' "$out" | sed -n 2p)
	# Name ID Mem VCPUs State Time(s) UUID Reason-Code Security-Label
	[ $# -ge 8 ] || return 0
	DOM_STATE=$5 DOM_REASON=$8
}

# end_of STATE REASON: how a shut-down domain ended, or "" while it still runs. State is
# r b p s <reason letter> d: "---s--" poweroff, "---sc-" crash, "---sr-" reboot; the
# Reason-Code column tells them apart too.
end_of() {
	local st=$1
	[ "$st" = gone ] && { echo destroyed; return; }
	[ "${st:4:1}" = c ] && { echo crash; return; }
	if [ "${st:3:1}" = s ] || [ "${st:5:1}" = d ]; then
		case $2 in
		0) echo poweroff ;; 1) echo reboot ;; 2) echo suspend ;; 3) echo crash ;;
		4) echo watchdog ;; 5) echo soft-reset ;; *) echo "shutdown-$2" ;;
		esac
	fi
}

# relay_console CASE LOGFILE STOPFLAG T0_CS: stream the DomU console log as "con" records, note
# the first byte ("first-output", s after T0), and once STOPFLAG exists drain to EOF and finish
# with "con-end lines=N bytes=M" so the host can check that nothing was lost.
relay_console() {
	local c=$1 f=$2 stop=$3 t0=$4 line pending='' n=0 first=0 bytes
	exec 5<"$f"
	while :; do
		if [ "$first" = 0 ] && [ -s "$f" ]; then
			now
			first=1
			emit first-output "$c" "t=$(secs $((NOW_CS - t0)))"
		fi
		if IFS= read -r line <&5; then
			emit con "$c" "$pending$line"
			pending=
			n=$((n + 1))
			continue
		fi
		pending+=$line
		[ -e "$stop" ] && break
		snooze 0.05
	done
	while IFS= read -r line <&5; do	# whatever came between the last poll and the flag
		emit con "$c" "$pending$line"
		pending=
		n=$((n + 1))
	done
	pending+=$line
	if [ -n "$pending" ]; then
		emit con "$c" "$pending"
		n=$((n + 1))
	fi
	bytes=$(stat -c %s "$f" 2>/dev/null || echo 0)
	emit con-end "$c" "lines=$n bytes=$bytes"
	exec 5<&-
}

# run_hook PHASE: sh HOOK PHASE in /pvkit/tests (bounded by HOOK_TIMEOUT), then its output as
# hook-out records and its exit status as hook-rc. Output goes through a file so that it is
# complete and in order even if the hook leaves a background process behind.
run_hook() {
	local ph=$1 rc out=/run/pvkit/case-$CASE/hook-$1.out
	(cd /pvkit/tests && exec env PHASE="$ph" timeout "$HOOK_TIMEOUT" sh "$HOOK" "$ph") \
		</dev/null >"$out" 2>&1 3>&-
	rc=$?
	relay_lines hook-out "$CASE" "$ph" <"$out"
	emit hook-rc "$CASE" "phase=$ph rc=$rc"
}

# run_case NAME CFG TIMEOUT DOMNAME HOOK HOOK_TIMEOUT OWN
# OWN=1 (a lifecycle case: xl save, restore, migrate): the running hook owns the domain. The
# case waits for the hook to exit, not for the domain to shut down (a suspend is a shutdown
# with reason 2 in the middle of a save: destroying it then breaks the save), then judges the
# domain the hook names in $DOMID_FILE (a restore makes a new one), or the first.
run_case() {
	local name=$1 cfg=$2 to=$3 dname=$4 own=${7:-0} t0 t_end dir end='' rc domid='' relay_pid hook_pid='' wfd watch_pid
	local clog=/var/log/xen/console/guest-$dname.log
	DOM_STATE=- DOM_REASON=-
	dir=/run/pvkit/case-$name
	export CASE=$name CONSOLE_LOG=$clog DOMID='' HOOK=$5 HOOK_TIMEOUT=$6 DOMID_FILE=$dir/domid
	[ "$HOOK" = - ] && HOOK=
	mkdir -p "$dir"
	rm -f "$dir/stop" "$DOMID_FILE"
	: >"$clog"	# xenconsoled appends to it; the relay can open it before the domain exists

	now
	emit case-start "$name" "t=$(secs "$NOW_CS") timeout=$to dom=$dname cfg=${cfg##*/}"
	log "case $name: start (timeout ${to}s)"
	[ -n "$HOOK" ] && run_hook pre

	now
	t0=$NOW_CS
	relay_console "$name" "$clog" "$dir/stop" "$t0" &
	relay_pid=$!
	timeout "$CREATE_TIMEOUT" xl create "$cfg" </dev/null >"$dir/create.out" 2>&1 3>&-
	rc=$?
	now
	relay_lines create-out "$name" <"$dir/create.out"
	domid=$(timeout 30 xl domid "$dname" 2>/dev/null </dev/null) || domid=
	emit created "$name" "rc=$rc t=$(secs $((NOW_CS - t0))) domid=${domid:--}"

	if [ "$rc" != 0 ]; then
		end=create-failed
		t_end=$((NOW_CS - t0))
	else
		export DOMID=$domid
		if [ -n "$HOOK" ]; then
			(cd /pvkit/tests && PHASE=running exec setsid sh "$HOOK" running) \
				</dev/null >"$dir/hook-running.out" 2>&1 3>&- &
			hook_pid=$!
		fi
		# Xen fires @releaseDomain when a domain shuts down: wake on it (xl list costs ~0.3 s
		# under TCG, too much to poll fast), and poll once a second in case an event is missed.
		# The end time is taken before the xl list that saw the end, i.e. at the event.
		rm -f "$dir/watch"
		mkfifo "$dir/watch"
		exec {wfd}<>"$dir/watch"
		xenstore-watch @releaseDomain >&"$wfd" 2>/dev/null </dev/null 3>&- &
		watch_pid=$!
		while :; do
			now
			t_end=$((NOW_CS - t0))
			if [ "$own" = 1 ]; then
				if ! kill -0 "$hook_pid" 2>/dev/null; then
					[ -s "$DOMID_FILE" ] && domid=$(cat "$DOMID_FILE")
					dom_state "$domid"
					end=$(end_of "$DOM_STATE" "$DOM_REASON")
					[ -n "$end" ] || end=running	# the hook left it running
					break
				fi
			else
				dom_state "$domid"
				end=$(end_of "$DOM_STATE" "$DOM_REASON")
				[ -n "$end" ] && break
			fi
			now
			if [ $((NOW_CS - t0)) -ge $((to * 100)) ]; then
				end=timeout
				t_end=$((NOW_CS - t0))
				break
			fi
			read -r -t 1 -u "$wfd" _ || :
		done
		kill "$watch_pid" 2>/dev/null
		wait "$watch_pid" 2>/dev/null
		exec {wfd}<&-
	fi
	emit end "$name" "end=$end t=$(secs "$t_end") state=${DOM_STATE:--} reason=${DOM_REASON:--} domid=${domid:--}"
	log "case $name: end=$end after $(secs "$t_end")s"

	if [ -n "$hook_pid" ]; then
		if kill -0 "$hook_pid" 2>/dev/null; then
			kill -TERM -- "-$hook_pid" 2>/dev/null || kill -TERM "$hook_pid" 2>/dev/null
			wait "$hook_pid" 2>/dev/null
			rc=killed
		else
			wait "$hook_pid"
			rc=$?
		fi
		relay_lines hook-out "$name" running <"$dir/hook-running.out"
		emit hook-rc "$name" "phase=running rc=$rc"
	fi
	[ -n "$HOOK" ] && run_hook post

	# Let xenconsoled write the last of the ring: wait until the log stops growing (max ~2 s).
	local s1 s2 i
	s1=$(stat -c %s "$clog" 2>/dev/null || echo 0)
	for i in 1 2 3 4 5 6 7 8; do
		snooze 0.25
		s2=$(stat -c %s "$clog" 2>/dev/null || echo 0)
		[ "$s1" = "$s2" ] && break
		s1=$s2
	done
	if [ -n "$domid" ]; then
		timeout "$DESTROY_TIMEOUT" xl destroy "$domid" </dev/null 2>&1 | relay_lines msg "$name" "xl destroy:"
	fi
	: >"$dir/stop"
	wait "$relay_pid"
	now
	emit case-end "$name" "t=$(secs "$NOW_CS")"
}
