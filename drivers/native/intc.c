// SPDX-License-Identifier: MIT
/*
 * native_intc_init(): the native interrupt controllers in order, the .init of the native
 * pv_irq_ops. ACPI's MADT says where the LAPIC and IOAPICs are and how ISA IRQs are wired;
 * without ACPI the architectural defaults are assumed, and the console says so.
 */
#include <pvkit/acpi.h>
#include <pvkit/errno.h>
#include <pvkit/ioapic.h>
#include <pvkit/lapic.h>
#include <pvkit/native.h>
#include <pvkit/pic.h>
#include <pvkit/printk.h>

static struct acpi_madt_info intc_madt;	/* the MADT, digested; ioapic keeps a pointer */

/* The MADT, or NULL when the platform has no ACPI (or ACPI without one). -errno if corrupt. */
static int intc_read_madt(const struct boot_info *bi, const struct acpi_madt_info **madt)
{
	int err;

	*madt = NULL;
	err = acpi_init(bi);
	if (err == -ENOENT) {
		printk("pvkit: warning: intc: no ACPI: assuming the LAPIC at %#llx and one IOAPIC "
		       "at %#x with ISA IRQ0 on GSI 2\n", LAPIC_DEFAULT_PA, IOAPIC_DEFAULT_PA);
		return 0;
	}
	if (err)
		return err;			/* malformed: acpi_init said what */
	err = acpi_get_madt(&intc_madt);
	if (err == -ENOENT) {
		printk("pvkit: warning: intc: ACPI has no MADT: assuming the LAPIC at %#llx and "
		       "one IOAPIC at %#x\n", LAPIC_DEFAULT_PA, IOAPIC_DEFAULT_PA);
		return 0;
	}
	if (err)
		return err;
	*madt = &intc_madt;
	printk("pvkit: intc: MADT: LAPIC at %#lx, %u CPUs, %u IOAPICs, %u overrides%s\n",
	       intc_madt.lapic_pa, intc_madt.nr_cpus, intc_madt.nr_ioapics,
	       intc_madt.nr_overrides,
	       intc_madt.flags & ACPI_MADT_PCAT_COMPAT ? ", 8259s present" : "");
	return 0;
}

int native_intc_init(const struct boot_info *bi)
{
	const struct acpi_madt_info *madt;
	int err;

	err = intc_read_madt(bi, &madt);
	if (err)
		return err;
	/* A MADT without PCAT_COMPAT promises there are no 8259s at their ports. */
	if (!madt || (madt->flags & ACPI_MADT_PCAT_COMPAT))
		pic_remap_and_mask();
	err = lapic_init(madt);
	if (err)
		return err;
	return ioapic_init(madt);
}
