# SPDX-License-Identifier: MIT
# Shared helpers for dom0 hook scripts (sourced). CONSOLE_LOG is the DomU's console log.

fail() {
	echo "FAIL: $*"
	exit 1
}

# uptime_cs: dom0's monotonic clock in hundredths of a second.
uptime_cs() {
	local u f
	read -r u _ </proc/uptime
	f=${u#*.}
	f=${f#0}			# "07": not octal
	echo $(( ${u%.*} * 100 + ${f:-0} ))
}

# wait_console TEXT SECONDS: until TEXT appears in the console log.
wait_console() {
	local i=0
	while ! grep -qF "$1" "$CONSOLE_LOG" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt $(( $2 * 10 )) ] && return 1
		sleep 0.1
	done
}

# wait_count TEXT N SECONDS: until TEXT appears on N lines of the console log.
wait_count() {
	local i=0
	while [ "$(grep -cF "$1" "$CONSOLE_LOG" 2>/dev/null)" -lt "$2" ]; do
		i=$((i + 1))
		[ "$i" -gt $(( $3 * 10 )) ] && return 1
		sleep 0.1
	done
}
