# SPDX-License-Identifier: MIT
# Issue 6, acceptance 5: blkfront's response path (tests/fuzz/fuzz_blkfront.c,
# docs/blkfront.md) with the real xenstore client and xenbus against the unit tests' fake
# xenstored and fake blkback. Seeds in tests/fuzz/corpus-blkfront (written by its mkseeds.py).
fuzz-blkfront-src           := tests/fuzz/fuzz_blkfront.c tests/fuzz/fuzz_blkfront_drv.c \
                               drivers/xen-front/blkfront_pool.c \
                               drivers/xen-front/blkfront_vdev.c xen-guest/xs_proto.c \
                               xen-guest/xenstore.c xen-guest/xenbus.c lib/cmdline.c \
                               xen-guest/gnttab_retire.c
fuzz-blkfront-plain-src     := tests/unit/fake_xenstored.c tests/unit/fake_blkback.c \
                               tests/unit/fake_pages.c tests/unit/os_hosted.c
fuzz-blkfront-deps          := tests/fuzz/fuzz_input.h \
                               drivers/xen-front/blkfront.c drivers/xen-front/blkfront_ring.c \
                               drivers/xen-front/blkfront.h include/pvkit/xen/blkfront.h \
                               include/pvkit/blkdev.h xen-guest/xs_proto.h \
                               tests/unit/fake_blkback.h tests/unit/fake_xenstored.h \
                               tests/unit/fake_pages.h
fuzz-blkfront-cflags        := -Itests/unit
fuzz-blkfront-check-seconds := 45
$(eval $(call fuzz-target,blkfront))
