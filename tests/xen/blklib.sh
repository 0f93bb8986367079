# SPDX-License-Identifier: MIT
# Shared helpers for the blkfront hooks (blk.sh, blk-detach.sh; sourced after hooklib.sh):
# disk images in /run/pvkit, blkback's feature switches and their restore, and the checks
# made after the domain is gone. The switch of a case comes from its rendered config, a
# line "# blk-switch: <name>" (the plan's blk=<name>).

BLK_DIR=/run/pvkit
BLK_RW=$BLK_DIR/blk-rw.img		# xvda
BLK_RO=$BLK_DIR/blk-ro.img		# xvdb: 16 MiB of random bytes, labelled
BLK_OTHER=$BLK_DIR/blk-other.img	# xvdc of pv-blk.cfg/pvh-blk.cfg: not described, only read
BLK_PARAMS=/sys/module/xen_blkback/parameters
BLK_MODULE=/lib/modules/xen-blkback.ko
BLK_RO_LABEL=PVKIT-RO-IMAGE		# tests/guest/test_blkfront.c looks for it

blk_switch() {
	sed -n 's/^# blk-switch: *\([a-z0-9-]*\).*/\1/p' "/pvkit/cases/$CASE.cfg" | head -n 1
}

# blk_reload ORDER: blkback again with max_ring_page_order=ORDER (a read-only parameter:
# only a module load sets it). Only works with no vbd backend left.
blk_reload() {
	local i=0
	until rmmod xen_blkback 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt 40 ] && { echo "FAIL: rmmod xen_blkback: still in use"; return 1; }
		sleep 0.25
	done
	insmod "$BLK_MODULE" max_ring_page_order="$1" || { echo "FAIL: insmod blkback"; return 1; }
	echo "blkback reloaded with max_ring_page_order=$1"
}

# blk_params SWITCH: blkback set up for SWITCH. The baseline has every feature on, and 4
# queues (blkback's own default is one per dom0 vCPU: 1 here).
blk_params() {
	local order=4 persistent=Y queues=4
	mkdir -p "$BLK_DIR"
	[ -f "$BLK_DIR/blkback.defaults" ] || {
		echo "$(cat $BLK_PARAMS/feature_persistent) $(cat $BLK_PARAMS/max_queues)" \
		     "$(cat $BLK_PARAMS/max_ring_page_order)" >"$BLK_DIR/blkback.defaults"
	}
	case $1 in
	persistent-off) persistent=N ;;
	queues-1) queues=1 ;;
	ring-order-0) order=0 ;;
	reduced) persistent=N queues=1 order=0 ;;	# and no indirect segments (blk-hotplug.sh)
	esac
	[ "$(cat $BLK_PARAMS/max_ring_page_order)" = "$order" ] || blk_reload "$order" || return 1
	echo "$persistent" >"$BLK_PARAMS/feature_persistent"
	echo "$queues" >"$BLK_PARAMS/max_queues"
	echo "$1" >"$BLK_DIR/blk-switch"	# for blk-hotplug.sh
	cp blk-hotplug.sh "$BLK_DIR/blk-hotplug"
	chmod +x "$BLK_DIR/blk-hotplug"
	echo "blkback: switch=$1 feature_persistent=$(cat $BLK_PARAMS/feature_persistent)" \
	     "max_queues=$(cat $BLK_PARAMS/max_queues)" \
	     "max_ring_page_order=$(cat $BLK_PARAMS/max_ring_page_order)"
}

# blk_params_restore: blkback as it was before the first blk case.
blk_params_restore() {
	local p q o
	read -r p q o <"$BLK_DIR/blkback.defaults" || return 1
	[ "$(cat $BLK_PARAMS/max_ring_page_order)" = "$o" ] || blk_reload "$o" || return 1
	echo "$p" >"$BLK_PARAMS/feature_persistent"
	echo "$q" >"$BLK_PARAMS/max_queues"
	rm -f "$BLK_DIR/blk-switch"
	echo "blkback restored: feature_persistent=$p max_queues=$q max_ring_page_order=$o"
}

# blk_image FILE MIB: a fresh image of zeros.
blk_image() {
	dd if=/dev/zero of="$1" bs=1M count="$2" 2>/dev/null || { echo "FAIL: dd $1"; return 1; }
}

# blk_ro_image: 16 MiB of random bytes with a label in sector 0; its md5 kept beside it.
blk_ro_image() {
	[ -f "$BLK_RO.md5" ] && [ -f "$BLK_RO" ] && return 0
	dd if=/dev/urandom of="$BLK_RO" bs=1M count=16 2>/dev/null || return 1
	printf '%s\n' "$BLK_RO_LABEL" | dd of="$BLK_RO" conv=notrunc 2>/dev/null
	md5sum <"$BLK_RO" | cut -d' ' -f1 >"$BLK_RO.md5"
}

# blk_other_image: someone's disk, which the command line does not describe: 8 MiB of random
# bytes, read-write, its md5 kept beside it (fresh for every case: nothing may carry over).
blk_other_image() {
	dd if=/dev/urandom of="$BLK_OTHER" bs=1M count=8 2>/dev/null || return 1
	md5sum <"$BLK_OTHER" | cut -d' ' -f1 >"$BLK_OTHER.md5"
}

# blk_check_other DISK: the undescribed disk holds what it held before the domain (nothing
# wrote it), and the guest said it was not described.
blk_check_other() {
	local want got rc=0
	want=$(cat "$BLK_OTHER.md5")
	got=$(md5sum <"$BLK_OTHER" | cut -d' ' -f1)
	if [ "$got" = "$want" ]; then
		echo "$1: not described, unchanged (md5 $got)"
	else
		echo "FAIL: $1, not described, was written: md5 $want before, $got after"
		rc=1
	fi
	grep -q "pvkit: blkfront $1 (ro=0, 16384 sectors): not described by pvkit.xen_blk=" \
		"$CONSOLE_LOG" ||
		{ echo "FAIL: no \"pvkit: blkfront $1 ...: not described\" line"; rc=1; }
	return $rc
}

# blk_destroy: the domain goes (after its console log went quiet), then its backends: the
# images are checked only once nothing can write them any more.
blk_destroy() {
	local s1 s2 i
	s1=$(stat -c %s "$CONSOLE_LOG")
	for i in 1 2 3 4 5 6 7 8; do
		sleep 0.25
		s2=$(stat -c %s "$CONSOLE_LOG")
		[ "$s1" = "$s2" ] && break
		s1=$s2
	done
	xl destroy "$DOMID" || echo "xl destroy failed (rc $?)"
	i=0
	while xenstore-read "/local/domain/0/backend/vbd/$DOMID" >/dev/null 2>&1 ||
	      losetup -a | grep -q "$BLK_DIR/"; do
		i=$((i + 1))
		[ "$i" -gt 60 ] && { echo "FAIL: backends of domain $DOMID still there"; return 1; }
		sleep 0.25
	done
	echo "domain $DOMID destroyed, its backends gone"
}

# blk_check_md5 DISK IMAGE: the image holds what the guest's last integrity line says.
blk_check_md5() {
	local line seed n want got
	line=$(grep -o "pvkit: blk $1 integrity seed=[0-9]* sectors=[0-9]* md5=[0-9a-f]*" \
	       "$CONSOLE_LOG" | tail -n 1)
	[ -n "$line" ] || { echo "FAIL: no integrity line for $1"; return 1; }
	n=${line#*sectors=}; n=${n%% *}
	want=${line##*md5=}
	got=$(head -c $((n * 512)) "$2" | md5sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || { echo "FAIL: $1: $2 md5 $got, the guest wrote $want"; return 1; }
	echo "$1: the image's first $n sectors have md5 $got, as the guest wrote them"
}

# blk_check_ooo DISK: the integrity workload saw requests complete out of order (ooo=N > 0 on
# its line): with several rings and up to 8 requests in flight blkback answers them out of
# submission order, and the data check is only worth something if that really happened.
blk_check_ooo() {
	local n
	n=$(grep -o "pvkit: blk $1 integrity seed=.* ooo=[0-9]*" "$CONSOLE_LOG" | tail -n 1)
	n=${n##*ooo=}
	[ -n "$n" ] || { echo "FAIL: $1: no integrity line"; return 1; }
	[ "$n" -gt 0 ] || { echo "FAIL: $1: every request completed in order (ooo=0)"; return 1; }
	echo "$1: $n requests completed out of submission order"
}

# blk_report_mismatch DISK IMAGE: for each sector the guest says did not read back, what the
# image holds there: its pattern header (magic, sector, seed) or its first bytes. The guest
# printed what it read; the two together say whether the write or the read went wrong.
blk_report_mismatch() {
	local s magic
	for s in $(sed -n "s/.*pvkit: blk $1 mismatch sector=\([0-9]*\) .*/\1/p" "$CONSOLE_LOG"); do
		magic=$(dd if="$2" bs=512 skip="$s" count=1 2>/dev/null | head -c 8)
		if [ "$magic" = PVKITBLK ]; then
			echo "$1: image sector $s holds the pattern of sector/seed" \
			     $(dd if="$2" bs=512 skip="$s" count=1 2>/dev/null | od -A n -t u8 -j 8 -N 16)
		else
			echo "$1: image sector $s starts with" \
			     $(dd if="$2" bs=512 skip="$s" count=1 2>/dev/null | od -A n -t x1 -N 16)
		fi
	done
}

# blk_check_ro DISK: the read-only image unchanged, and the guest read exactly it.
blk_check_ro() {
	local want got line
	want=$(cat "$BLK_RO.md5")
	got=$(md5sum <"$BLK_RO" | cut -d' ' -f1)
	[ "$got" = "$want" ] || { echo "FAIL: the read-only image changed"; return 1; }
	line=$(grep -o "pvkit: blkfront $1 read-only md5=[0-9a-f]*" "$CONSOLE_LOG" | tail -n 1)
	[ "${line##*md5=}" = "$want" ] ||
		{ echo "FAIL: $1: the guest read md5 ${line##*md5=}, the image is $want"; return 1; }
	echo "$1: read-only image unchanged ($want), and the guest read exactly it"
}

# blk_expect SWITCH [ro]: the feature string the disk must have negotiated.
blk_expect() {
	local ring=16 ind=256 pers=1 q=4 flush=1 barrier=1 disc=1
	case $1 in
	persistent-off) pers=0 ;;
	indirect-off) ind=0 ;;
	ring-order-0) ring=1 ;;
	queues-1) q=1 ;;
	discard-off) disc=0 ;;
	esac
	[ "${2:-}" = ro ] && disc=0		# libxl: discard-enable=0 for read-only disks
	echo "ring-pages=$ring indirect=$ind persistent=$pers queues=$q flush=$flush barrier=$barrier discard=$disc"
}

# blk_check_features DISK SWITCH [ro]: the guest's per-disk line against the switch.
blk_check_features() {
	local got want
	got=$(grep -o "pvkit: blk $1 sectors=.*" "$CONSOLE_LOG" | head -n 1)
	got=${got#*features: }
	want=$(blk_expect "$2" "${3:-}")
	[ "$got" = "$want" ] || { echo "FAIL: $1 negotiated \"$got\", expected \"$want\""; return 1; }
	echo "$1: features: $got"
}

# blk_check_layout VDEV SWITCH: what the frontend published in xenstore (read before the
# domain is destroyed): a flat ring or queue-N, ring-ref or ring-refN.
blk_check_layout() {
	local fe=/local/domain/$DOMID/device/vbd/$1 q
	q=$(xenstore-read "$fe/multi-queue-num-queues" 2>/dev/null)
	if [ "$2" = queues-1 ]; then
		[ -z "$q" ] && xenstore-read "$fe/event-channel" >/dev/null 2>&1 ||
			{ echo "FAIL: vbd $1: one queue but not the flat layout"; return 1; }
	else
		[ "$q" = 4 ] && xenstore-read "$fe/queue-3/event-channel" >/dev/null 2>&1 ||
			{ echo "FAIL: vbd $1: multi-queue-num-queues=$q, expected 4 queue-N"; return 1; }
	fi
	if [ "$2" = ring-order-0 ]; then
		xenstore-ls "$fe" | grep -q "ring-ref = " &&
			! xenstore-read "$fe/ring-page-order" >/dev/null 2>&1 ||
			{ echo "FAIL: vbd $1: single-page ring not published as ring-ref"; return 1; }
	else
		[ "$(xenstore-read "$fe/ring-page-order" 2>/dev/null)" = 4 ] &&
			xenstore-ls "$fe" | grep -q "ring-ref15 = " ||
			{ echo "FAIL: vbd $1: no 16-page ring published"; return 1; }
	fi
	echo "vbd $1: published layout: multi-queue-num-queues=${q:-none}" \
	     "ring-page-order=$(xenstore-read "$fe/ring-page-order" 2>/dev/null || echo none)"
}
