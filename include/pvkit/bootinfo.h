/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The normalised boot description every entry point hands to start_kernel(). The parsers
 * (multiboot2 info, hvm_start_info) trust nothing the loader wrote: every length and offset is
 * checked against what the caller says is readable, strings are copied with their NUL checked,
 * and the memory map is sorted, de-overlapped and merged before anyone uses it.
 */
#ifndef PVKIT_BOOTINFO_H
#define PVKIT_BOOTINFO_H

/** @name Which door the CPU came through (macros: the entry stubs use them too) */
/** @{ */
#define BOOT_ENTRY_MULTIBOOT2	0	/**< GRUB: 32-bit protected mode, EAX magic, EBX info */
#define BOOT_ENTRY_PVH		1	/**< PVH note: 32-bit, EBX hvm_start_info */
#define BOOT_ENTRY_XEN_PV	2	/**< Xen PV: 64-bit ring 3, RSI start_info */
/** @} */

#ifndef __ASSEMBLY__
#include <pvkit/types.h>

#define BOOT_MEM_MAX		128	/**< regions after sanitising; more is -E2BIG */
#define BOOT_CMDLINE_MAX	1024	/**< bytes including the NUL; longer is -ENAMETOOLONG */
#define BOOT_MODULES_MAX	8	/**< boot modules kept; more are counted, not kept */
#define BOOT_MODNAME_MAX	64	/**< module string, truncated (it is only a label) */
#define BOOT_MB2_MAX_SIZE	(1u << 20)	/**< a multiboot2 info blob larger is rejected */

/** What we are running on, decided from the entry point and CPUID (DESIGN.md §2). */
enum boot_env {
	BOOT_NATIVE,			/**< bare metal or a plain emulator */
	BOOT_XEN_PV,			/**< Xen paravirtualised domain */
	BOOT_XEN_PVH,			/**< Xen HVM container entered through PVH */
};

/** Memory region types, in increasing order of precedence when regions overlap. */
enum boot_mem_type {
	BOOT_MEM_RAM = 1,		/**< usable */
	BOOT_MEM_ACPI = 2,		/**< ACPI tables, reclaimable once parsed */
	BOOT_MEM_NVS = 3,		/**< ACPI non-volatile storage: never touch */
	BOOT_MEM_RESERVED = 4,		/**< reserved, or a type we do not know */
	BOOT_MEM_BAD = 5,		/**< defective RAM */
};

/** One region of the memory map. */
struct boot_mem_region {
	uint64_t base;			/**< first byte */
	uint64_t len;			/**< never 0, base + len never wraps after sanitising */
	uint32_t type;			/**< enum boot_mem_type */
};

/** A boot module (an initrd, a disk image) the loader put in memory. */
struct boot_module {
	uint64_t base;			/**< physical address of the first byte */
	uint64_t len;			/**< bytes */
	char name[BOOT_MODNAME_MAX];	/**< the loader's string for it, NUL-terminated */
};

/** @name Things the sanitiser fixed; start_kernel prints them so a bad loader is visible */
/** @{ */
#define BOOT_FIX_MMAP_UNSORTED	(1u << 0)	/**< entries came out of order */
#define BOOT_FIX_MMAP_OVERLAP	(1u << 1)	/**< entries overlapped; higher precedence kept */
#define BOOT_FIX_MMAP_EMPTY_ENT	(1u << 2)	/**< zero-length entries dropped */
#define BOOT_FIX_MODULES_DROPPED (1u << 3)	/**< more than BOOT_MODULES_MAX modules */
/** @} */

/** Where a parser gave up, for the error message: static text, never allocated. */
struct boot_diag {
	const char *what;		/**< what was wrong, e.g. "tag overruns the info blob" */
	uint64_t where;			/**< offset or address it concerned */
};

/** The boot description: one shape whichever entry point and loader it came from. */
struct boot_info {
	uint32_t entry;			/**< BOOT_ENTRY_*: how we were entered */
	enum boot_env env;		/**< where we run */
	uint32_t nr_mem;		/**< valid entries in mem[] */
	struct boot_mem_region mem[BOOT_MEM_MAX];	/**< sorted, disjoint, merged */
	char cmdline[BOOT_CMDLINE_MAX];	/**< always NUL-terminated; "" when none */
	uint32_t nr_modules;		/**< valid entries in modules[] */
	struct boot_module modules[BOOT_MODULES_MAX];	/**< the modules kept */
	uint64_t rsdp_pa;		/**< ACPI RSDP if the loader told us, else 0 */
	uint32_t fixes;			/**< BOOT_FIX_* the sanitiser applied */
	int error;			/**< 0, or -errno: the description is unusable */
	struct boot_diag diag;		/**< set when a parser returns an error */
	uint64_t start_info_pa;		/**< PVH: hvm_start_info; Xen PV: start_info (machine) */
	void *xen_start_info;		/**< Xen PV: start_info_t, mapped by the domain builder */
};

/**
 * How a parser reads guest-physical memory. The native boot path maps the identity-mapped
 * low 4 GiB; unit tests map a fake RAM.
 */
struct boot_mem_access {
	/**
	 * Return a pointer to the bytes at @p pa and set *len to how many of the requested
	 * bytes are readable there (possibly fewer), or return NULL.
	 */
	const void *(*map)(void *ctx, uint64_t pa, size_t *len);
	void *ctx;			/**< passed back to map */
};

/**
 * boot_info_init() - clear @p bi and record how we were entered (environment: native until
 * a parser or CPUID says otherwise).
 * @param bi    the description.
 * @param entry BOOT_ENTRY_*.
 */
void boot_info_init(struct boot_info *bi, uint32_t entry);

/**
 * boot_parse_multiboot2() - fill @p bi from a multiboot2 information blob.
 * @param bi    the description.
 * @param info  the blob, 8-byte aligned.
 * @param avail bytes readable at @p info.
 * @return 0 or -errno (-EINVAL malformed, -E2BIG too many regions, -ENAMETOOLONG command
 *         line too long); bi->diag says what and where.
 */
int boot_parse_multiboot2(struct boot_info *bi, const void *info, size_t avail);

/**
 * boot_parse_pvh() - fill @p bi from the hvm_start_info at @p pa (QEMU -kernel, Xen PVH).
 * A version-0 start info has no memory map: bi->nr_mem stays 0 and the caller must find one
 * (Xen: XENMEM_memory_map) before boot_info_finish().
 * @param bi  the description.
 * @param mem how to read guest-physical memory.
 * @param pa  the hvm_start_info's physical address (EBX at the PVH entry).
 * @return 0 or -errno; bi->diag says what and where.
 */
int boot_parse_pvh(struct boot_info *bi, const struct boot_mem_access *mem, uint64_t pa);

/**
 * boot_mem_add() - append a raw region (any order, may overlap: finish sorts it out).
 * @param bi   the description.
 * @param base first byte.
 * @param len  bytes.
 * @param type enum boot_mem_type, or a loader's type (unknown ones count as reserved).
 * @return 0, -EINVAL for a region that wraps around, -E2BIG when the table is full.
 */
int boot_mem_add(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type);

/**
 * boot_info_finish() - sort, de-overlap and merge the memory map, then validate it.
 * @param bi the description.
 * @return 0, -ENOMEM when no RAM is left, -E2BIG when splitting overflows the table.
 */
int boot_info_finish(struct boot_info *bi);

/**
 * boot_mem_total() - total bytes of one type in the (finished) map.
 * @param bi   the description.
 * @param type enum boot_mem_type.
 * @return bytes.
 */
uint64_t boot_mem_total(const struct boot_info *bi, uint32_t type);

/**
 * boot_entry_name() - an entry point's name, for the boot line.
 * @param entry BOOT_ENTRY_*.
 * @return "multiboot2", "pvh", "xen-pv"; "unknown" for another value.
 */
const char *boot_entry_name(uint32_t entry);

/**
 * boot_env_name() - an environment's name, for the boot line.
 * @param env the environment.
 * @return "native", "xen-pv", "xen-pvh"; "unknown" for another value.
 */
const char *boot_env_name(enum boot_env env);

/**
 * boot_mem_type_name() - a memory type's name, for the memory map lines.
 * @param type enum boot_mem_type.
 * @return "ram", "acpi", "acpi-nvs", "reserved", "bad"; "unknown" for another value.
 */
const char *boot_mem_type_name(uint32_t type);

/**
 * The boot description the entry point filled (arch/x86/boot_native.c holds it; every entry
 * point fills this one, valid from then on).
 */
extern struct boot_info boot_info;

/**
 * start_kernel() - where every entry point hands over, once @p bi is filled: the platform
 * bring-up of libpvkit (kernel/platform.c), which ends in the application's pvkit_main().
 * The one call from the boot stubs upwards, resolved at link time.
 * @param bi the filled boot description.
 */
__attribute__((noreturn)) void start_kernel(struct boot_info *bi);

#endif /* !__ASSEMBLY__ */
#endif /* PVKIT_BOOTINFO_H */
