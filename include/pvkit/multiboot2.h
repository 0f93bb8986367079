/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Multiboot2 constants (Multiboot2 specification 2.0, §3.1 header, §3.6 boot information).
 * Written from the specification; only what pvkit uses. Safe to include from assembly.
 */
#ifndef PVKIT_MULTIBOOT2_H
#define PVKIT_MULTIBOOT2_H

#define MB2_HEADER_MAGIC		0xe85250d6	/**< in the image's header */
#define MB2_BOOTLOADER_MAGIC		0x36d76289	/**< in EAX at entry */
#define MB2_ARCH_I386			0		/**< 32-bit protected mode entry */

/** @name Header tags */
/** @{ */
#define MB2_HEADER_TAG_END		0	/**< the last tag */
#define MB2_HEADER_TAG_ENTRY_ADDRESS	3	/**< the entry point's physical address */
#define MB2_HEADER_TAG_OPTIONAL		1	/**< flags bit 0: the loader may ignore the tag */
/** @} */

/** @name Boot information tags */
/** @{ */
#define MB2_TAG_END			0	/**< the last tag */
#define MB2_TAG_CMDLINE			1	/**< the command line, a C string */
#define MB2_TAG_LOADER_NAME		2	/**< the boot loader's name, a C string */
#define MB2_TAG_MODULE			3	/**< a module: start, end, command line */
#define MB2_TAG_BASIC_MEMINFO		4	/**< lower and upper memory in KiB */
#define MB2_TAG_MMAP			6	/**< the memory map */
/** @} */

/** @name Memory map entry types */
/** @{ */
#define MB2_MEMORY_AVAILABLE		1	/**< usable RAM */
#define MB2_MEMORY_RESERVED		2	/**< not to be used */
#define MB2_MEMORY_ACPI_RECLAIMABLE	3	/**< ACPI tables, RAM once they are read */
#define MB2_MEMORY_NVS			4	/**< ACPI non-volatile storage: keep */
#define MB2_MEMORY_BADRAM		5	/**< defective RAM */
/** @} */

#define MB2_MMAP_ENTRY_MIN		24	/**< u64 base, u64 length, u32 type, u32 reserved */

#endif /* PVKIT_MULTIBOOT2_H */
