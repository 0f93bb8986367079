# SPDX-License-Identifier: MIT
# Issue 7: the IP stack's input path (tests/fuzz/fuzz_ipinput.c, docs/net.md), against the unit
# tests' fake device layer. Seeds in tests/fuzz/corpus-ipinput (written by its mkseeds.py).
fuzz-ipinput-src           := tests/fuzz/fuzz_ipinput.c kernel/net/iface.c kernel/net/eth.c \
                              kernel/net/arp.c kernel/net/ip.c kernel/net/icmp.c \
                              kernel/net/udp.c kernel/net/services.c lib/cmdline.c
fuzz-ipinput-plain-src     := tests/unit/test_net_fake.c tests/unit/os_hosted.c
fuzz-ipinput-deps          := tests/fuzz/fuzz_input.h \
                              kernel/net/net_priv.h kernel/include/pvkit/net.h include/pvkit/netdev.h \
                              tests/unit/test_net_fake.h
fuzz-ipinput-cflags        := -Itests/unit
fuzz-ipinput-check-seconds := 45
$(eval $(call fuzz-target,ipinput))
