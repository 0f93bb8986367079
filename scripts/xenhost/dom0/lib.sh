# SPDX-License-Identifier: MIT
# Shared helpers of the dom0 scripts (bash): the result-channel record writer, a monotonic clock
# in centiseconds (/proc/uptime), and a fork-free sleep. Record format: docs/xen-host.md.

# emit KIND CASE [TEXT]: one record line on the result channel (fd 3). One printf = one write(),
# and the tty layer keeps a write whole, so records of concurrent writers never mix within a line.
emit() {
	printf '@@pvx %s %s %s\n' "$1" "${2:--}" "${3-}" >&3
}

# log TEXT: a human-readable progress line on dom0's console (hvc0 -> Xen -> QEMU COM1).
log() {
	echo "pvkit-dom0: $*" >&2
}

# now: NOW_CS = centiseconds since dom0 booted (CLOCK_BOOTTIME; no fork, no wall clock).
now() {
	local up _rest
	read -r up _rest </proc/uptime
	NOW_CS=$((10#${up/./}))
}

# secs CS: print centiseconds as seconds with two decimals.
secs() {
	printf '%d.%02d' $(($1 / 100)) $(($1 % 100))
}

# snooze SECONDS: sleep without forking (read on a FIFO nobody writes; fractions allowed).
snooze() {
	read -r -t "$1" -u "$SNOOZE_FD" _ || :
}

snooze_init() {
	[ -p /run/pvkit/snooze.fifo ] || { mkdir -p /run/pvkit && mkfifo /run/pvkit/snooze.fifo; }
	exec {SNOOZE_FD}<>/run/pvkit/snooze.fifo
}

# relay_lines KIND CASE [PREFIX]: every line of stdin as a record (a last line without '\n' too).
relay_lines() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		emit "$1" "$2" "${3:+$3 }$line"
	done
}
