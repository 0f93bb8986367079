/* SPDX-License-Identifier: MIT */
/* The in-guest tests, one declaration per test; selftest.c lists them in run order. */
#ifndef TESTS_GUEST_TESTS_H
#define TESTS_GUEST_TESTS_H

#include <pvkit/bootinfo.h>

/* test_boot.c */
int test_mmap_sane(const struct boot_info *bi);
int test_bss_zero(const struct boot_info *bi);
int test_higher_half(const struct boot_info *bi);
int test_cmdline_copied(const struct boot_info *bi);

/* test_traps.c */
int test_trap_ud(const struct boot_info *bi);
int test_trap_pf(const struct boot_info *bi);
int test_trap_int3(const struct boot_info *bi);
int test_trap_nested_fixups(const struct boot_info *bi);

/* test_xen.c */
int test_xen_version(const struct boot_info *bi);
int test_xen_pv_p2m(const struct boot_info *bi);

#endif /* TESTS_GUEST_TESTS_H */
