# SPDX-License-Identifier: MIT
# Issue 5: the xenstore reply path (tests/fuzz/fuzz_xenstore.c, docs/xenstore.md). Seeds in
# tests/fuzz/corpus (the first target's directory, written by tests/fuzz/mkseeds.py).
fuzz-xenstore-src           := tests/fuzz/fuzz_xenstore.c xen-guest/xs_proto.c
fuzz-xenstore-deps          := xen-guest/xs_proto.h include/pvkit/xen/xenstore.h
fuzz-xenstore-cflags        :=
fuzz-xenstore-check-seconds := 60
fuzz-xenstore-seeds         := tests/fuzz/corpus
$(eval $(call fuzz-target,xenstore))
