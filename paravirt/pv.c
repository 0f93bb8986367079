// SPDX-License-Identifier: MIT
/*
 * The pv_ops core: install the backends for the environment at boot, after checking that
 * every member of every table is present (a missing one would be a call through NULL deep in
 * some later subsystem), and route the timer interrupt to the one registered handler.
 */
#include <pvkit/cmdline.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/native.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/xen/xen.h>

const struct pv_cpu_ops *pv_cpu;
const struct pv_irq_ops *pv_irq;
const struct pv_mmu_ops *pv_mmu;
const struct pv_time_ops *pv_time;

static pv_timer_handler_t pv_timer_handler;


/* Members every table must have: all of them. Listed so a gap can be named. */
#define MEMBER(type, m) { #m, offsetof(struct type, m) }
struct pv_member {
	const char *name;
	size_t offset;
};

static const struct pv_member cpu_members[] = {
	MEMBER(pv_cpu_ops, cpuid), MEMBER(pv_cpu_ops, read_cr0), MEMBER(pv_cpu_ops, write_cr0),
	MEMBER(pv_cpu_ops, read_cr2), MEMBER(pv_cpu_ops, read_cr4), MEMBER(pv_cpu_ops, write_cr4),
	MEMBER(pv_cpu_ops, load_idt), MEMBER(pv_cpu_ops, load_gdt), MEMBER(pv_cpu_ops, load_tr),
	MEMBER(pv_cpu_ops, load_sp0), MEMBER(pv_cpu_ops, set_fs_base),
	MEMBER(pv_cpu_ops, set_gs_base), MEMBER(pv_cpu_ops, io_delay), MEMBER(pv_cpu_ops, wbinvd),
	MEMBER(pv_cpu_ops, halt),
};
static const struct pv_member irq_members[] = {
	MEMBER(pv_irq_ops, init), MEMBER(pv_irq_ops, save_fl), MEMBER(pv_irq_ops, restore_fl),
	MEMBER(pv_irq_ops, irq_disable), MEMBER(pv_irq_ops, irq_enable),
	MEMBER(pv_irq_ops, safe_halt),
};
static const struct pv_member mmu_members[] = {
	MEMBER(pv_mmu_ops, read_cr3), MEMBER(pv_mmu_ops, write_cr3), MEMBER(pv_mmu_ops, make_pte),
	MEMBER(pv_mmu_ops, pte_pa), MEMBER(pv_mmu_ops, set_pte), MEMBER(pv_mmu_ops, set_pmd),
	MEMBER(pv_mmu_ops, set_pud), MEMBER(pv_mmu_ops, set_p4d), MEMBER(pv_mmu_ops, alloc_pt),
	MEMBER(pv_mmu_ops, release_pt), MEMBER(pv_mmu_ops, flush_tlb_one),
	MEMBER(pv_mmu_ops, flush_tlb_all), MEMBER(pv_mmu_ops, enter_lazy),
	MEMBER(pv_mmu_ops, leave_lazy), MEMBER(pv_mmu_ops, flush_lazy),
};
static const struct pv_member time_members[] = {
	MEMBER(pv_time_ops, init), MEMBER(pv_time_ops, clock_ns), MEMBER(pv_time_ops, wallclock),
	MEMBER(pv_time_ops, set_timer), MEMBER(pv_time_ops, tsc_khz),
};

static int pv_check_one(const char *area, const void *table, const struct pv_member *m,
			unsigned int n, const char **what)
{
	static char gap[96];

	if (!table) {
		snprintf(gap, sizeof(gap), "no %s backend for this environment", area);
		*what = gap;
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n; i++) {
		void *const *slot = (void *const *)((const char *)table + m[i].offset);

		if (!*slot) {
			snprintf(gap, sizeof(gap), "%s backend \"%s\" lacks %s", area,
				 *(const char *const *)table, m[i].name);
			*what = gap;
			return -EINVAL;
		}
	}
	return 0;
}

int pv_check_tables(const struct pv_cpu_ops *cpu, const struct pv_irq_ops *irq,
		    const struct pv_mmu_ops *mmu, const struct pv_time_ops *time,
		    const char **what)
{
	int err;

	err = pv_check_one("cpu", cpu, cpu_members, ARRAY_SIZE(cpu_members), what);
	if (!err)
		err = pv_check_one("irq", irq, irq_members, ARRAY_SIZE(irq_members), what);
	if (!err)
		err = pv_check_one("mmu", mmu, mmu_members, ARRAY_SIZE(mmu_members), what);
	if (!err)
		err = pv_check_one("time", time, time_members, ARRAY_SIZE(time_members), what);
	return err;
}

/* `pvkit.pv_patch=0`: leave every site an indirect call (bench pvops, debugging). Any value
 * but 0 or 1 is refused with a line, and the sites are patched as by default. */
static bool pv_patch_disabled(const struct boot_info *bi)
{
	unsigned long v;
	int err = cmdline_get_ulong(bi->cmdline, PV_PATCH_CMDLINE, &v);

	if (err == -ENOENT)
		return false;
	if (err || v > 1) {
		printk("pvkit: " PV_PATCH_CMDLINE " ignored: want 0 or 1; call sites are patched\n");
		return false;
	}
	return v == 0;
}

int pv_init(const struct boot_info *bi)
{
	const struct pv_cpu_ops *cpu = NULL;
	const struct pv_irq_ops *irq = NULL;
	const struct pv_mmu_ops *mmu = NULL;
	const struct pv_time_ops *time = NULL;
	const char *what;
	int err;

	switch (bi->env) {
	case BOOT_NATIVE:
#ifdef CONFIG_NATIVE
		cpu = &native_cpu_ops;
		irq = &native_irq_ops;
		mmu = &native_mmu_ops;
		time = &native_time_ops;
#endif
		break;
	case BOOT_XEN_PV:
#ifdef CONFIG_XEN_PV
		cpu = &xen_pv_cpu_ops;
		irq = &xen_pv_irq_ops;
		mmu = &xen_pv_mmu_ops;
		time = &xen_time_ops;
#endif
		break;
	case BOOT_XEN_PVH:
#ifdef CONFIG_XEN_PVH
		cpu = &native_cpu_ops;		/* ring 0 in an HVM container */
		irq = &xen_pvh_irq_ops;		/* cli/sti, events on a vector */
		mmu = &native_mmu_ops;		/* hardware-assisted paging */
		time = &xen_time_ops;
#endif
		break;
	}
	err = pv_check_tables(cpu, irq, mmu, time, &what);
	if (err) {
		printk("pvkit: error: pv_ops for %s: %s\n", boot_env_name(bi->env), what);
		return err;
	}
	pv_cpu = cpu;
	pv_irq = irq;
	pv_mmu = mmu;
	pv_time = time;
	printk("pvkit: pv_ops cpu=%s irq=%s mmu=%s time=%s\n", cpu->name, irq->name, mmu->name,
	       time->name);
	/* The unpatched sites call through these; then the sites are patched (the text is still
	 * writable: mm_init has not yet mapped it read-only). */
	pv_patch_target[PV_PATCH_SAVE_FL] = (void *)irq->save_fl;
	pv_patch_target[PV_PATCH_RESTORE_FL] = (void *)irq->restore_fl;
	pv_patch_target[PV_PATCH_IRQ_DISABLE] = (void *)irq->irq_disable;
	pv_patch_target[PV_PATCH_IRQ_ENABLE] = (void *)irq->irq_enable;
	pv_patch_stats.enabled = !pv_patch_disabled(bi);
	pv_patch_apply(irq);		/* a refused site stays indirect and works: go on */
	return 0;
}

void pv_timer_set_handler(pv_timer_handler_t fn)
{
	pv_timer_handler = fn;
}

void pv_timer_fire(void)
{
	pv_timer_handler_t fn = READ_ONCE(pv_timer_handler);

	if (fn)
		fn();
}
