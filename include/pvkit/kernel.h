/* SPDX-License-Identifier: MIT */
/* What the library expects from the kernel that embeds it, and what it offers it. */
#ifndef PVKIT_KERNEL_H
#define PVKIT_KERNEL_H

#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>

/** The one place every entry point meets (kernel/main.c). */
__noreturn void start_kernel(struct boot_info *bi);

/** The boot description start_kernel() received (valid from then on). */
extern struct boot_info boot_info;

#endif /* PVKIT_KERNEL_H */
