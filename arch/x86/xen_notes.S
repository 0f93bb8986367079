/* SPDX-License-Identifier: MIT */
/*
 * The Xen ELF notes (xen/elfnote.h): the PVH entry (XEN_ELFNOTE_PHYS32_ENTRY, also read by
 * QEMU -kernel) and, for PV guests, what the domain builder needs. Numbers are 8 bytes except
 * PHYS32_ENTRY, which QEMU reads as 4. Kept alone in this file: ELFNOTE uses local labels.
 */
#include <pvkit/asm.h>
#include <pvkit/x86.h>
#include <xen/elfnote.h>

#ifdef CONFIG_BOOT_PVH
	ELFNOTE(Xen, XEN_ELFNOTE_PHYS32_ENTRY, .long pvh_entry32)
#endif

#if defined(CONFIG_XEN_PV) || defined(CONFIG_XEN_PVH)
	ELFNOTE(Xen, XEN_ELFNOTE_GUEST_OS, .asciz "pvkit")
	ELFNOTE(Xen, XEN_ELFNOTE_GUEST_VERSION, .asciz "0.1")
	ELFNOTE(Xen, XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0")
	ELFNOTE(Xen, XEN_ELFNOTE_LOADER, .asciz "generic")
	/* SCHEDOP_shutdown(suspend) may return 1: we go on in the same domain (suspend.c). */
	ELFNOTE(Xen, XEN_ELFNOTE_SUSPEND_CANCEL, .long 1)
#endif

#ifdef CONFIG_XEN_PV
	ELFNOTE(Xen, XEN_ELFNOTE_VIRT_BASE, .quad KERNEL_VIRT_BASE)
	ELFNOTE(Xen, XEN_ELFNOTE_PADDR_OFFSET, .quad 0)
	ELFNOTE(Xen, XEN_ELFNOTE_ENTRY, .quad xen_pv_entry)
	ELFNOTE(Xen, XEN_ELFNOTE_HYPERCALL_PAGE, .quad hypercall_page)
	/*
	 * No FEATURES note: "!writable_page_tables" would ask Xen to emulate in-place PTE
	 * writes (Linux relies on that); pvkit updates page tables only with mmu_update.
	 */
	ELFNOTE(Xen, XEN_ELFNOTE_PAE_MODE, .asciz "yes")
#endif
