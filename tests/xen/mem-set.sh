# SPDX-License-Identifier: MIT
# Hook of the balloon cases (issue 15 item 6, docs/smp.md "Balloon"; pv-mem.cfg, pvh-mem.cfg:
# 256 MiB, serve mode). With `blk soak xvda` (random 4 KiB writes, each read back and checked)
# and `blk stress xvdc` running: xl mem-set 128 -> the guest gives 128 MiB back and says
# "reached"; bad values written to memory/target by hand are said and ignored; xl mem-set 4,
# far below what the guest can give -> it stops at its floor (8 MiB kept free), says by how
# much it is short, and keeps serving (the soak goes on); xl mem-set 256 -> all of it back. After every step the guest's own count
# must equal Xen's (its line's current= and xen=) and xl list's Mem column. Then the soak's
# last pass (no mismatch, no error), the stress's report (no failure) and the integrity
# workload (`blk verify`); xl shutdown; dom0 checks the images. The guest has 4 vCPUs: with the
# memory at 128 MiB dom0 also takes vCPUs 1-3 away (xl vcpu-set 1) and, back at 256 MiB, gives
# them back (xl vcpu-set 4): the issue's "vcpu-set 4 -> 1 -> 4 and mem-set 256 -> 128 -> 256
# while blk stress runs", each step's counts against xl list.
set -u
. ./hooklib.sh
. ./blklib.sh
. ./balloonlib.sh
. ./smplib.sh

BLK_C=$BLK_DIR/blk-c.img		# xvdc, under blk stress

# A failure while the guest serves: stop it too, or the case would only end at its timeout.
rfail() {
	echo "FAIL: $*"
	xl shutdown "$DOMID" >/dev/null 2>&1
	exit 1
}

send() {
	printf '%s\r' "$1" >"$TTY" || rfail "cannot write to $TTY"
	wait_console "pvkit: echo $1" 20 || rfail "the guest did not echo \"$1\""
}

# bad_target VALUE SAID: written to memory/target by hand (not through xl), the guest must
# say SAID about it and change nothing.
bad_target() {
	xenstore-write -- "/local/domain/$DOMID/memory/target" "$1" || rfail "xenstore-write failed"
	wait_console "pvkit: balloon: memory/target$2 (ignored)" 20 ||
		rfail "memory/target \"$1\" was not reported as ignored"
	echo "memory/target \"$1\": ignored, as the guest said"
}

# soak_writes: the writes the soak's last progress line counts.
soak_writes() {
	local l
	l=$(grep -o "pvkit: blk soak xvda progress writes=[0-9]*" "$CONSOLE_LOG" | tail -n 1)
	echo "${l##*=}"
}

case "$1" in
pre)
	blk_params default || fail "blkback defaults"
	blk_image "$BLK_RW" 16 && blk_image "$BLK_C" 16 || fail "images"
	blk_ro_image || fail "ro image"
	;;
running)
	wait_console "pvkit: ready" 240 || rfail "the guest never said it was ready"
	TTY=$(xenstore-read "/local/domain/$DOMID/console/tty") || rfail "no console tty"
	wait_console "pvkit: balloon: ready" 5 || rfail "the balloon did not start"
	FLOOR=$(sed -n 's/.*pvkit: balloon: ready .* floor=\([0-9]*\) KiB.*/\1/p' "$CONSOLE_LOG" | head -n 1)
	wait_console "pvkit: balloon: target=262144 KiB current=" 5 || rfail "no first target"
	grep -h "pvkit: balloon: " "$CONSOLE_LOG"
	send balloon
	wait_console "pvkit: balloon target=" 20 || rfail "no answer to balloon"
	l=$(grep -o "pvkit: balloon target=.*" "$CONSOLE_LOG" | tail -n 1)
	echo "$l"
	xen=${l#* xen=}; xen=${xen%% KiB*}
	[ "$(xl_mem)" = $(( xen / 1024 )) ] || rfail "xl list: $(xl_mem) MiB, Xen told the guest $xen KiB"
	SLACK=${l#* slack=}; SLACK=${SLACK%% KiB*}	# PVH: the toolstack's special pages
	send "blk soak xvda 0"
	wait_console "pvkit: blk soak xvda started" 20 || rfail "the soak did not start"
	send "blk stress xvdc"
	wait_console "pvkit: blk stress xvdc started" 20 || rfail "the stress did not start"
	sleep 2

	mem_step 128 reached
	[ "$CUR" = $(( 131072 + SLACK )) ] ||
		rfail "at 128 MiB the guest holds $CUR KiB, not 131072 + its slack $SLACK KiB"
	vcpus 1 offline

	bad_target abc ' "abc": not a number of KiB'
	bad_target -65536 ' "-65536": not a number of KiB'
	bad_target 99999999999999999999 ' "99999999999999999999": too large'
	bad_target 1234567890123456789012345678901234567890 ': longer than any number of KiB'
	n0=$(grep -c "pvkit: balloon: target=131072 KiB current=$CUR KiB: already there" \
	     "$CONSOLE_LOG")
	xenstore-write -- "/local/domain/$DOMID/memory/target" 131072 || rfail "xenstore-write"
	wait_count "pvkit: balloon: target=131072 KiB current=$CUR KiB: already there" \
		$((n0 + 1)) 20 || rfail "the good target written back was not taken"

	mem_step 4 "short by"
	kept=$(echo "$LINE" | sed -n 's/.*(in use [0-9]* KiB, kept free \([0-9]*\) KiB)$/\1/p')
	[ -n "$kept" ] || rfail "the shortfall does not say what is in use and what is kept free"
	# The floor kept (drivers may have taken a little of it since, from interrupts).
	[ "$kept" -ge $(( FLOOR - 1024 )) ] || rfail "only $kept KiB kept free, the floor is $FLOOR"
	[ "$CUR" -lt 131072 ] || rfail "the guest gave nothing more for a 4 MiB target"
	send balloon
	wait_count "pvkit: balloon target=4096 KiB" 1 20 || rfail "no answer at the floor"
	w0=$(soak_writes)
	sleep 5					# the disks go on at the floor
	wait_count "pvkit: blk soak xvda progress" $(( $(grep -c "pvkit: blk soak xvda progress" \
		"$CONSOLE_LOG") + 1 )) 20 || rfail "no soak progress at the floor"
	[ "$(soak_writes)" -gt "${w0:-0}" ] || rfail "the soak stopped at the floor"
	echo "at the floor: $kept KiB kept free, the soak went on ($(soak_writes) writes)"

	mem_step 256 reached
	case $LINE in
	*" out=0 "*) ;;
	*) rfail "back at 256 MiB frames are still out" ;;
	esac
	vcpus 4 online

	send "blk soak xvda stop"
	wait_console "pvkit: blk soak xvda done" 120 || rfail "the soak never finished"
	line=$(grep -o "pvkit: blk soak xvda done.*" "$CONSOLE_LOG" | tail -n 1)
	echo "$line"
	grep "pvkit: blk soak xvda mismatch" "$CONSOLE_LOG"
	echo "$line" | grep -q " mismatches=0 errors=0 final=[0-9]*/0 " ||
		rfail "the soak found mismatches or errors"
	send "blk stop xvdc"
	wait_console "pvkit: blk stress xvdc stopped" 60 || rfail "the stress never stopped"
	line=$(grep -o "pvkit: blk stress xvdc stopped.*" "$CONSOLE_LOG" | tail -n 1)
	echo "$line"
	echo "$line" | grep -q "failed-eio=0 failed-enodev=0 timed-out=0 other=0 refused=0" ||
		rfail "stress requests failed"
	send "blk verify"
	wait_console "pvkit: blk verify:" 240 || rfail "blk verify did not finish"
	grep -q "pvkit: blk verify: passed" "$CONSOLE_LOG" || rfail "blk verify failed"
	: >"$BLK_DIR/$CASE.verified"
	xl shutdown "$DOMID" || fail "xl shutdown failed"
	;;
post)
	rc=0
	[ -f "$BLK_DIR/$CASE.verified" ] || { echo "FAIL: the running phase did not finish"; rc=1; }
	blk_destroy || rc=1
	blk_check_md5 xvda "$BLK_RW" || rc=1
	blk_check_md5 xvdc "$BLK_C" || rc=1
	blk_check_ro xvdb || rc=1
	rm -f "$BLK_RW" "$BLK_C" "$BLK_DIR/$CASE.verified" "$BLK_DIR/blk-hotplug.log"
	blk_params_restore || rc=1
	exit $rc
	;;
esac
exit 0
