# SPDX-License-Identifier: MIT
# Hook of the blkfront cases (plan: blk=<switch>): dom0 makes a read-write image (64 MiB for
# the baseline, 16 MiB when a feature is switched off), a 16 MiB read-only one and an 8 MiB
# read-write one of random bytes that the command line does not describe (xvdc), sets
# blkback's switch, and after the guest ran its tests (test_blk.c integrity workload,
# test_blkfront.c) destroys the domain and checks, independently of the guest: the image
# against the guest's md5, the read-only image unchanged, xvdc unchanged (md5 before = after)
# and reported, the features negotiated and the keys published against the switch. Then
# blkback's defaults come back. See docs/blkfront.md.
set -u
. ./hooklib.sh
. ./blklib.sh

SW=$(blk_switch)
VDEV_A=51712			# xvda
VDEV_B=51728			# xvdb

case "$1" in
pre)
	[ -n "$SW" ] || fail "no '# blk-switch:' line in the case's config"
	blk_params "$SW" || fail "blkback switch $SW"
	size=16
	[ "$SW" = default ] && size=64
	blk_image "$BLK_RW" "$size" || fail "rw image"
	blk_ro_image || fail "ro image"
	blk_other_image || fail "undescribed image"
	echo "images: $BLK_RW ${size} MiB, $BLK_RO 16 MiB (md5 $(cat "$BLK_RO.md5")), $BLK_OTHER" \
	     "8 MiB (md5 $(cat "$BLK_OTHER.md5"))"
	;;
post)
	rc=0
	blk_check_layout $VDEV_A "$SW" || rc=1
	blk_check_layout $VDEV_B "$SW" || rc=1
	blk_destroy || rc=1
	blk_report_mismatch xvda "$BLK_RW"
	blk_check_md5 xvda "$BLK_RW" || rc=1
	[ "$SW" = default ] && { blk_check_ooo xvda || rc=1; }
	blk_check_ro xvdb || rc=1
	blk_check_other xvdc || rc=1
	blk_check_features xvda "$SW" || rc=1
	blk_check_features xvdb "$SW" ro || rc=1
	grep "pvkit: blkfront xvda perf" "$CONSOLE_LOG" | tail -n 1
	cat "$BLK_DIR/blk-hotplug.log" 2>/dev/null
	rm -f "$BLK_RW" "$BLK_OTHER" "$BLK_OTHER.md5" "$BLK_DIR/blk-hotplug.log"
	blk_params_restore || rc=1
	exit $rc
	;;
esac
exit 0
