// SPDX-License-Identifier: MIT
/* Xen start-of-day tests: hypercalls work and are counted, and (PV) the p2m list and Xen's
 * machine-to-phys table agree about our memory. */
#include <pvkit/printk.h>
#include "selftest.h"
#include <pvkit/x86.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <xen/version.h>

static int test_xen_version(const struct boot_info *bi)
{
	uint64_t before = xen_hypercall_count[__HYPERVISOR_xen_version];
	int v = HYPERVISOR_xen_version(XENVER_version, NULL);

	ST_CHECK(v > 0, "XENVER_version returned %d", v);
	ST_CHECK((v >> 16) >= 4, "Xen %d.%d is older than 4.x", v >> 16, v & 0xffff);
	ST_CHECK(xen_hypercall_count[__HYPERVISOR_xen_version] == before + 1,
		 "hypercall counter %lu -> %lu", before,
		 xen_hypercall_count[__HYPERVISOR_xen_version]);
	printk("#   Xen %d.%d\n", v >> 16, v & 0xffff);
	return 0;
}

#ifdef CONFIG_XEN_PV
static int test_xen_pv_p2m(const struct boot_info *bi)
{
	const unsigned long *p2m = (const unsigned long *)xen_start_info.mfn_list;
	unsigned long first = kernel_virt_to_phys(_text) >> PAGE_SHIFT;
	unsigned long last = (kernel_virt_to_phys(_end) - 1) >> PAGE_SHIFT;

	ST_CHECK(xen_start_info.nr_pages >= last + 1, "nr_pages %lu", xen_start_info.nr_pages);
	for (unsigned long pfn = first; pfn <= last; pfn++) {
		unsigned long mfn = p2m[pfn];

		ST_CHECK(xen_pv_mfn_to_pfn(mfn) == pfn, "pfn %#lx -> mfn %#lx -> pfn %#lx",
			 pfn, mfn, xen_pv_mfn_to_pfn(mfn));
	}
	ST_CHECK(xen_pv_mfn_to_pfn(~0ul >> 1) == ~0ul, "a foreign mfn was taken for ours");
	return 0;
}
#endif

static const struct selftest xen_tests[] = {
	{ test_xen_version, "xen: hypercall page works (XENVER_version)", ST_XEN_PV | ST_XEN_PVH },
#ifdef CONFIG_XEN_PV
	{ test_xen_pv_p2m, "xen-pv: p2m list and machine-to-phys agree", ST_XEN_PV },
#endif
};
SELFTEST_TABLE(50, xen_tests);
