// SPDX-License-Identifier: MIT
/*
 * netfront (drivers/xen-front/netfront*.c) for tests/fuzz/fuzz_netfront.c, built as one unit
 * with its event-channel calls renamed to the fake netback's ports (tests/unit/Makefile does
 * the same with per-object flags; the fuzz build compiles sources in one command).
 */
#define evtchn_alloc_unbound	fnb_evtchn_alloc_unbound
#define evtchn_set_handler	fnb_evtchn_set_handler
#define evtchn_unmask		fnb_evtchn_unmask
#define evtchn_send		fnb_evtchn_send
#define evtchn_close		fnb_evtchn_close
#include "../../drivers/xen-front/netfront.c"
#include "../../drivers/xen-front/netfront_ring.c"
