// SPDX-License-Identifier: MIT
/*
 * C side of the multiboot2 and PVH doors: on the early page tables (low 4 GiB identity-mapped),
 * decide native vs Xen PVH from CPUID, parse the loader's description into struct boot_info,
 * and hand it to start_kernel(). A parse error is kept in the boot_info, so it can be printed
 * once a console exists.
 */
#include <pvkit/bootinfo.h>
#include <pvkit/cpu.h>
#include <pvkit/errno.h>
#include <pvkit/multiboot2.h>
#include <pvkit/x86.h>
#include <pvkit/xen/xen.h>

#define IDENTITY_LIMIT	(4ull << 30)	/* head32.S maps physical 0 - 4 GiB 1:1 */

struct boot_info boot_info;

/* boot_mem_access over the early identity map. */
static const void *identity_map(void *ctx, uint64_t pa, size_t *len)
{
	if (pa >= IDENTITY_LIMIT)
		return NULL;
	if (*len > IDENTITY_LIMIT - pa)
		*len = IDENTITY_LIMIT - pa;
	return (const void *)(uintptr_t)pa;
}

static const struct boot_mem_access identity_access = { .map = identity_map };

static int parse_multiboot2(struct boot_info *bi, uint32_t magic, uint32_t info_pa)
{
	size_t avail = 8;
	const uint32_t *hdr;

	if (magic != MB2_BOOTLOADER_MAGIC) {
		bi->diag.what = "entered through multiboot2 without the multiboot2 magic in EAX";
		bi->diag.where = magic;
		return -EINVAL;
	}
	hdr = identity_map(NULL, info_pa, &avail);
	if (!hdr || avail < 8 || info_pa == 0) {
		bi->diag.what = "multiboot2 info pointer unusable";
		bi->diag.where = info_pa;
		return -EFAULT;
	}
	avail = MIN((size_t)hdr[0], (size_t)BOOT_MB2_MAX_SIZE);
	identity_map(NULL, info_pa, &avail);	/* clamp to what is mapped */
	return boot_parse_multiboot2(bi, hdr, avail);
}

__noreturn void x86_native_entry(uint32_t entry, uint32_t magic, uint32_t info_pa);

__noreturn void x86_native_entry(uint32_t entry, uint32_t magic, uint32_t info_pa)
{
	struct boot_info *bi = &boot_info;
	int err;

	boot_info_init(bi, entry);
	bi->env = x86_xen_cpuid_base() ? BOOT_XEN_PVH : BOOT_NATIVE;
	if (entry == BOOT_ENTRY_MULTIBOOT2)
		err = parse_multiboot2(bi, magic, info_pa);
	else
		err = boot_parse_pvh(bi, &identity_access, info_pa);
#ifdef CONFIG_XEN_PVH
	/* Under Xen a version-0 start info has no map: ask the hypervisor for one. */
	if (!err && bi->env == BOOT_XEN_PVH && bi->nr_mem == 0) {
		err = xen_pvh_hypercall_init();
		if (!err)
			err = xen_pvh_memory_map(bi);
	}
#endif
	if (!err)
		err = boot_info_finish(bi);
	bi->error = err;
	start_kernel(bi);
}
