#!/bin/sh
# SPDX-License-Identifier: MIT
# The block hotplug script of the blk cases (their configs say script=/run/pvkit/blk-hotplug;
# blklib.sh copies this there). libxl runs it with XENBUS_PATH = the backend directory once
# blkback has written its transport keys and reached InitWait, and before the domain is
# unpaused: the one race-free moment to take a feature away that blkback has no module
# parameter for. Then Xen's own block script does the work.
sw=$(cat /run/pvkit/blk-switch 2>/dev/null)
if [ "$1" = add ]; then
	case $sw in
	indirect-off|reduced)	# blkback has no parameter for it: as if it did not know it
		xenstore-rm "$XENBUS_PATH/feature-max-indirect-segments" ;;
	discard-off)	# the toolstack's own switch (xl's no-discard), read by blkback at connect
		xenstore-write "$XENBUS_PATH/discard-enable" 0 ;;
	esac
	echo "add $XENBUS_PATH switch=${sw:-none}" >>/run/pvkit/blk-hotplug.log
	# A slow backend (restore-faults.sh): blkback waits for this script before it can
	# connect, so the frontend sits published and unanswered meanwhile.
	delay=$(cat /run/pvkit/blk-hotplug-delay 2>/dev/null)
	[ -n "$delay" ] && sleep "$delay"
fi
exec /etc/xen/scripts/block "$@"
