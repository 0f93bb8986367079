# SPDX-License-Identifier: MIT
# Issue 7, acceptance 5: netfront's rx/tx response path (tests/fuzz/fuzz_netfront.c,
# docs/netfront.md "Hardening") with the real xenstore client and xenbus against the unit
# tests' fake xenstored and fake netback. Seeds in tests/fuzz/corpus-netfront.
fuzz-netfront-src           := tests/fuzz/fuzz_netfront.c tests/fuzz/fuzz_netfront_drv.c \
                               xen-guest/xs_proto.c xen-guest/xenstore.c xen-guest/xenbus.c \
                               lib/cmdline.c xen-guest/gnttab_retire.c
fuzz-netfront-plain-src     := tests/unit/fake_xenstored.c tests/unit/fake_netback.c \
                               tests/unit/fake_pages.c tests/unit/os_hosted.c
fuzz-netfront-deps          := tests/fuzz/fuzz_input.h \
                               drivers/xen-front/netfront.c drivers/xen-front/netfront_ring.c \
                               drivers/xen-front/netfront.h include/pvkit/xen/netfront.h \
                               include/pvkit/netdev.h xen-guest/xs_proto.h \
                               tests/unit/fake_netback.h tests/unit/fake_xenstored.h \
                               tests/unit/fake_pages.h
fuzz-netfront-cflags        := -Itests/unit
fuzz-netfront-check-seconds := 45
$(eval $(call fuzz-target,netfront))
