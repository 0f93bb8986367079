# SPDX-License-Identifier: MIT
# Hook of the hello cases: examples/hello (a kernel of its own on libpvkit) booted with the
# example configs (hello-pv.cfg, hello-pvh.cfg: examples/xen/pvkit-pv.cfg, pvkit-pvh.cfg).
#   pre      the disk the config names: 16 MiB of random bytes, its md5 kept;
#   running  only with pvkit.serve=1 on the command line: once hello serves, a line typed on
#            its console comes back as hello's "console:" line, dom0 sends 1 MiB through its
#            UDP echo service (port 7 at the ip= address; tools/net-udp: every byte back, md5),
#            then xl shutdown;
#   post     the domain and its backends gone, the image holds exactly what it held before
#            (hello wrote sector 1 and put it back), hello saw the image's size; serve: the
#            domain ended within 10 s of xl shutdown.
# hello's own lines (greeting, disks, interface, summary, stopping) are judged by
# scripts/xenhost/xentests.py.
set -u
. ./hooklib.sh
. ./blklib.sh

IMG=$BLK_DIR/hello-disk.img
SECTORS=32768			# 16 MiB
CFG=/pvkit/cases/$CASE.cfg
EXTRA=$(sed -n 's/^extra = "\(.*\)"$/\1/p' "$CFG")
IP=$(echo " $EXTRA " | sed -n 's/.* ip=\([0-9.]*\)\/.*/\1/p')

serving() {
	case " $EXTRA " in *" pvkit.serve=1 "*) return 0 ;; esac
	return 1
}

# A failure while the guest serves: stop it too, or the case would only end at its timeout.
rfail() {
	echo "FAIL: $*"
	xl shutdown "$DOMID" >/dev/null 2>&1
	exit 1
}

case "$1" in
pre)
	mkdir -p "$BLK_DIR"
	grep -q "^disk = \[ '.*,target=$IMG' \]$" "$CFG" || fail "the config's one disk is not $IMG"
	dd if=/dev/urandom of="$IMG" bs=512 count=$SECTORS 2>/dev/null || fail "dd $IMG"
	md5sum <"$IMG" | cut -d' ' -f1 >"$IMG.md5"
	echo "xvda: $IMG, $SECTORS sectors of random bytes, md5 $(cat "$IMG.md5")"
	;;
running)
	serving || exit 0
	wait_console "hello: serving: UDP echo on port 7" 90 || rfail "hello never said it serves"
	tty=$(xenstore-read "/local/domain/$DOMID/console/tty") || rfail "no console tty"
	printf 'hi from dom0\r' >"$tty" || rfail "cannot write to $tty"
	wait_console 'hello: console: "hi from dom0" (poweroff, reboot)' 20 ||
		rfail "console input not answered"
	echo "console input answered"
	[ -n "$IP" ] || rfail "no ip= on the command line"
	out=$(/pvkit/tools/net-udp echo "$IP" 7 1048576 1024 16 2>&1)
	echo "$out"
	echo "$out" | grep -q "result=ok" || rfail "UDP echo of 1 MiB failed"
	uptime_cs >"$BLK_DIR/$CASE.shutdown-at"
	xl shutdown "$DOMID" || rfail "xl shutdown failed"
	echo "xl shutdown sent"
	;;
post)
	rc=0
	if serving; then
		if [ -f "$BLK_DIR/$CASE.shutdown-at" ]; then
			el=$(( $(uptime_cs) - $(cat "$BLK_DIR/$CASE.shutdown-at") ))
			echo "xl shutdown -> domain ended and seen within $((el / 100)).$((el % 100 / 10)) s"
			[ "$el" -le 1000 ] || { echo "FAIL: the domain took more than 10 s to power off"; rc=1; }
		else
			echo "FAIL: xl shutdown was never sent"
			rc=1
		fi
	fi
	blk_destroy || rc=1
	want=$(cat "$IMG.md5")
	got=$(md5sum <"$IMG" | cut -d' ' -f1)
	if [ "$got" = "$want" ]; then
		echo "xvda: the image is as it was before the domain (md5 $got)"
	else
		echo "FAIL: xvda: the image changed: md5 $want before, $got after"
		rc=1
	fi
	grep -q "hello: disk xvda: $SECTORS sectors of 512 bytes" "$CONSOLE_LOG" ||
		{ echo "FAIL: no \"hello: disk xvda: $SECTORS sectors of 512 bytes\" line"; rc=1; }
	rm -f "$IMG" "$IMG.md5" "$BLK_DIR/$CASE.shutdown-at"
	exit $rc
	;;
esac
exit 0
