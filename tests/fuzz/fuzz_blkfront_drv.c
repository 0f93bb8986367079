// SPDX-License-Identifier: MIT
/*
 * blkfront's two files for tests/fuzz/fuzz_blkfront.c, with their event-channel calls
 * renamed to the fake blkback's (its rings' ports), as tests/unit/Makefile does with -D for
 * the unit test; the xenstore client linked beside them keeps fake_xenstored's. The bounce
 * pool (blkfront_pool.c) makes no event-channel call: tests/fuzz/blkfront.mk builds it apart.
 */
#define evtchn_alloc_unbound	fbk_evtchn_alloc_unbound
#define evtchn_set_handler	fbk_evtchn_set_handler
#define evtchn_clear_handler	fbk_evtchn_clear_handler
#define evtchn_unmask		fbk_evtchn_unmask
#define evtchn_mask		fbk_evtchn_mask
#define evtchn_send		fbk_evtchn_send
#define evtchn_close		fbk_evtchn_close
#include "../../drivers/xen-front/blkfront.c"
#include "../../drivers/xen-front/blkfront_ring.c"
