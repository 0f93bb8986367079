/* SPDX-License-Identifier: MIT */
/* In-guest measurements for make bench (kernel/bench.c): console commands in serve mode. */
#ifndef PVKIT_BENCH_H
#define PVKIT_BENCH_H

#include <pvkit/bootinfo.h>

/** Register the "bench" console command. */
void bench_init(const struct boot_info *bi);

#endif /* PVKIT_BENCH_H */
