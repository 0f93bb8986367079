// SPDX-License-Identifier: MIT
/*
 * Call-site patching (paravirt/patch.c) on sites of our own: an executable buffer near this
 * program holds unpatched sites, each `call *pv_patch_target[op](%rip)` plus nops, exactly as
 * PV_PATCH_SITE emits them, followed by a `ret` so that a site can be called as a function.
 * Each backend kind is patched and the result both compared byte for byte and run: the Xen PV
 * inline forms against a fake shared_info reached through a fake per-CPU area at the GS base
 * (as a vCPU's own vcpu_info is in the kernel), direct calls against fake ops that count their
 * calls. Refused records (unknown op, wrong length, outside the text, bytes that are not the
 * unpatched call, patched twice) leave their site untouched and say why.
 */
#include "unit.h"
#include <pvkit/errno.h>
#include <pvkit/pv.h>
#include <pvkit/xen/pv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SITE_STRIDE	32
#define NR_SITES	8
#define BUF_SIZE	4096

static shared_info_t fake_shared;
static struct percpu fake_percpu;	/* at our GS base: its vcpu_info is what the forms use */
static unsigned int upcalls_forced;	/* calls of xen_pv_force_upcall */

/* What the Xen PV unmasking forms call when an event is pending: here, count. */
void xen_pv_force_upcall(void)
{
	upcalls_forced++;
}

/* Fake backend functions: they count their calls and keep what they were given. */
static unsigned int calls[PV_PATCH_NR];
static unsigned long restored;

static unsigned long fake_save_fl(void) { calls[PV_PATCH_SAVE_FL]++; return 0x1234; }
static void fake_restore_fl(unsigned long fl) { calls[PV_PATCH_RESTORE_FL]++; restored = fl; }
static void fake_irq_disable(void) { calls[PV_PATCH_IRQ_DISABLE]++; }
static void fake_irq_enable(void) { calls[PV_PATCH_IRQ_ENABLE]++; }

static struct pv_irq_ops fake_ops = {
	.name = "fake",
	.save_fl = fake_save_fl,
	.restore_fl = fake_restore_fl,
	.irq_disable = fake_irq_disable,
	.irq_enable = fake_irq_enable,
};

static const uint8_t site_len[PV_PATCH_NR] = {
	PV_PATCH_LEN_SAVE_FL, PV_PATCH_LEN_RESTORE_FL, PV_PATCH_LEN_IRQ_DISABLE,
	PV_PATCH_LEN_IRQ_ENABLE
};

static uint8_t *buf;			/* the "text": RWX, within a rel32 of this program */
static struct pv_patch_site rec[NR_SITES];

static uint8_t *site(unsigned int i)
{
	return buf + i * SITE_STRIDE;
}

/* Site @i as PV_PATCH_SITE emits it for @op, then a ret; its record. */
static void emit(unsigned int i, unsigned int op)
{
	uint8_t *p = site(i);
	int32_t rel = (int32_t)((intptr_t)&pv_patch_target[op] - (intptr_t)(p + 6));

	memset(p, 0xcc, SITE_STRIDE);
	p[0] = 0xff;
	p[1] = 0x15;
	memcpy(p + 2, &rel, 4);
	memset(p + 6, 0x90, site_len[op] - 6);
	p[site_len[op]] = 0xc3;
	rec[i] = (struct pv_patch_site){ .addr = (uintptr_t)p, .op = op, .len = site_len[op] };
}

/* Sites 0-3: one per op; pv_patch_target as pv_init fills it; counters cleared. */
static void setup(const struct pv_irq_ops *ops)
{
	for (unsigned int op = 0; op < PV_PATCH_NR; op++)
		emit(op, op);
	pv_patch_target[PV_PATCH_SAVE_FL] = (void *)ops->save_fl;
	pv_patch_target[PV_PATCH_RESTORE_FL] = (void *)ops->restore_fl;
	pv_patch_target[PV_PATCH_IRQ_DISABLE] = (void *)ops->irq_disable;
	pv_patch_target[PV_PATCH_IRQ_ENABLE] = (void *)ops->irq_enable;
	memset(&pv_patch_stats, 0, sizeof(pv_patch_stats));
	pv_patch_stats.enabled = true;
	memset(calls, 0, sizeof(calls));
	upcalls_forced = 0;
	memset(&fake_shared, 0, sizeof(fake_shared));
	fake_percpu.self = &fake_percpu;
	fake_percpu.vcpu_info = &fake_shared.vcpu_info[0];
	unit_log_reset();
}

static int apply(unsigned int n, const struct pv_irq_ops *ops)
{
	return pv_patch_apply_range(rec, rec + n, ops, (uintptr_t)buf, (uintptr_t)buf + BUF_SIZE);
}

static unsigned long run_save(unsigned int i)
{
	return ((unsigned long (*)(void))(void *)site(i))();
}

static void run_arg(unsigned int i, unsigned long arg)
{
	((void (*)(unsigned long))(void *)site(i))(arg);
}

/* After @n bytes of code, the rest of site @i is nops that decode to exactly its length. */
static bool nops_fill(unsigned int i, unsigned int n)
{
	const uint8_t *p = site(i) + n, *end = site(i) + rec[i].len;

	while (p < end) {
		unsigned int k;

		if (p[0] == 0x90)
			k = 1;
		else if (p[0] == 0x66 && p[1] == 0x90)
			k = 2;
		else if (p[0] == 0x0f && p[1] == 0x1f)
			k = p[2] == 0x00 ? 3 : p[2] == 0x40 ? 4 : p[2] == 0x44 ? 5 :
			    p[2] == 0x80 ? 7 : p[2] == 0x84 ? 8 : 0;
		else if (p[0] == 0x66 && p[1] == 0x0f && p[2] == 0x1f && p[3] == 0x44)
			k = 6;
		else
			k = 0;
		if (!k)
			return false;
		for (unsigned int j = (k == 6 ? 4 : 3); j < k; j++)
			if (p[j] != 0)
				return false;
		p += k;
	}
	return p == end && *end == 0xc3;
}

static void native_forms(void)
{
	struct pv_irq_ops ops = fake_ops;
	static const uint8_t want[PV_PATCH_NR][2] = {
		{ 0x9c, 0x58 }, { 0x57, 0x9d }, { 0xfa }, { 0xfb }
	};
	static const unsigned int n[PV_PATCH_NR] = { 2, 2, 1, 1 };
	unsigned long fl;

	ops.patch = PV_IRQ_INLINE_NATIVE;
	setup(&ops);
	CHECK(apply(4, &ops) == 4);
	CHECK(pv_patch_stats.patched == 4 && pv_patch_stats.inlined == 4);
	for (unsigned int op = 0; op < PV_PATCH_NR; op++) {
		CHECKF(!memcmp(site(op), want[op], n[op]), "op %u: %02x %02x", op, site(op)[0],
		       site(op)[1]);
		CHECKF(nops_fill(op, n[op]), "op %u: padding", op);
	}
	/* pushf; pop %rax runs in user mode too: the flags word, reserved bit 1 and IF set. */
	fl = run_save(0);
	CHECKF((fl & 0x202) == 0x202, "%#lx", fl);
	run_arg(1, fl);			/* push %rdi; popf with our own flags: harmless */
	CHECK(calls[0] + calls[1] + calls[2] + calls[3] == 0);
}

/* Set the fake vcpu_info's mask and pending bytes. */
static void vcpu(uint8_t mask, uint8_t pending)
{
	fake_shared.vcpu_info[0].evtchn_upcall_mask = mask;
	fake_shared.vcpu_info[0].evtchn_upcall_pending = pending;
}

static void xen_pv_forms(void)
{
	struct pv_irq_ops ops = fake_ops;
	struct vcpu_info *v = &fake_shared.vcpu_info[0];

	ops.patch = PV_IRQ_INLINE_XEN_PV;
	setup(&ops);
	/* The kernel's GS base is its CPU's area; here a fake one (glibc uses FS, not GS). */
	CHECK(syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)&fake_percpu) == 0);
	CHECK(apply(4, &ops) == 4);
	CHECKF(pv_patch_stats.inlined == 4 && pv_patch_stats.patched == 4, "%u %u",
	       pv_patch_stats.inlined, pv_patch_stats.patched);
	/* xorl %eax,%eax; movq %gs:PERCPU_VCPU_INFO_OFF(%rax),%rax first, then the op's form */
	for (unsigned int op = 0; op < PV_PATCH_NR; op++)
		CHECKF(site(op)[0] == 0x31 && site(op)[1] == 0xc0 && site(op)[2] == 0x65 &&
		       site(op)[3] == 0x48 && site(op)[4] == 0x8b && site(op)[5] == 0x40 &&
		       site(op)[6] == PERCPU_VCPU_INFO_OFF && nops_fill(op, site_len[op]),
		       "op %u", op);
	/* save_fl: IF exactly when the mask is 0, whatever else the byte holds. */
	vcpu(0, 0);
	CHECKF(run_save(0) == 0x200, "%#lx", run_save(0));
	vcpu(1, 0);
	CHECK(run_save(0) == 0);
	vcpu(0xff, 0);
	CHECK(run_save(0) == 0);
	/* irq_disable: the mask set, pending untouched. */
	vcpu(0, 1);
	run_arg(2, 0);
	CHECK(v->evtchn_upcall_mask == 1 && v->evtchn_upcall_pending == 1);
	/* irq_enable: unmask; Xen asked to deliver only when something is pending. */
	vcpu(1, 0);
	run_arg(3, 0);
	CHECK(v->evtchn_upcall_mask == 0 && upcalls_forced == 0);
	vcpu(1, 1);
	run_arg(3, 0);
	CHECK(v->evtchn_upcall_mask == 0 && upcalls_forced == 1);
	/* restore_fl: fl without IF masks (no upcall even with one pending); with IF unmasks
	 * and forces a pending upcall; other flag bits do not matter. */
	upcalls_forced = 0;
	vcpu(0, 1);
	run_arg(1, 0x46);
	CHECK(v->evtchn_upcall_mask == 1 && upcalls_forced == 0);
	vcpu(1, 0);
	run_arg(1, 0x246);
	CHECK(v->evtchn_upcall_mask == 0 && upcalls_forced == 0);
	vcpu(1, 1);
	run_arg(1, 0x200);
	CHECK(v->evtchn_upcall_mask == 0 && upcalls_forced == 1);
	vcpu(0xff, 1);
	run_arg(1, 0);
	CHECK(v->evtchn_upcall_mask == 1 && upcalls_forced == 1);
	/* The pointer is read at each run: a moved shared_info (a suspend's stand-in) is
	 * followed, and another vCPU's area (its own vcpu_info) is the one acted on. */
	{
		static shared_info_t other;

		fake_percpu.vcpu_info = &other.vcpu_info[0];
		CHECK(run_save(0) == 0x200);
		run_arg(2, 0);
		CHECK(other.vcpu_info[0].evtchn_upcall_mask == 1);
		run_arg(1, 0x200);
		CHECK(other.vcpu_info[0].evtchn_upcall_mask == 0);
		fake_percpu.vcpu_info = &fake_shared.vcpu_info[3];
		vcpu(0, 0);
		run_arg(2, 0);
		CHECK(fake_shared.vcpu_info[3].evtchn_upcall_mask == 1 &&
		      fake_shared.vcpu_info[0].evtchn_upcall_mask == 0);
		CHECK(run_save(0) == 0);
		fake_shared.vcpu_info[3].evtchn_upcall_pending = 1;
		upcalls_forced = 0;
		run_arg(3, 0);
		CHECK(fake_shared.vcpu_info[3].evtchn_upcall_mask == 0 && upcalls_forced == 1);
		fake_percpu.vcpu_info = &fake_shared.vcpu_info[0];
	}
	/* The backend's own functions are never called: everything ran inline. */
	for (unsigned int op = 0; op < PV_PATCH_NR; op++)
		CHECKF(calls[op] == 0, "op %u: %u calls", op, calls[op]);
}

static void direct_calls(void)
{
	struct pv_irq_ops ops = fake_ops;	/* .patch = NONE */

	setup(&ops);
	CHECK(apply(4, &ops) == 4);
	CHECK(pv_patch_stats.inlined == 0 && pv_patch_stats.patched == 4);
	for (unsigned int op = 0; op < PV_PATCH_NR; op++)
		CHECKF(site(op)[0] == 0xe8 && nops_fill(op, 5), "op %u", op);
	CHECK(run_save(0) == 0x1234);
	run_arg(1, 77);
	run_arg(2, 0);
	run_arg(3, 0);
	for (unsigned int op = 0; op < PV_PATCH_NR; op++)
		CHECKF(calls[op] == 1, "op %u: %u calls", op, calls[op]);
	CHECK(restored == 77);
}

/* Unpatched sites work through pv_patch_target, and pvkit.pv_patch=0 leaves them so. */
static void disabled(void)
{
	struct pv_irq_ops ops = fake_ops;
	uint8_t before[BUF_SIZE];

	ops.patch = PV_IRQ_INLINE_NATIVE;
	setup(&ops);
	pv_patch_stats.enabled = false;
	memcpy(before, buf, BUF_SIZE);
	CHECK(apply(4, &ops) == 0);
	CHECK(!memcmp(before, buf, BUF_SIZE));
	CHECK(pv_patch_stats.sites == 4 && pv_patch_stats.patched == 0 &&
	      pv_patch_stats.per_op[0] == 1 && pv_patch_stats.per_op[3] == 1);
	CHECK(run_save(0) == 0x1234);
	run_arg(1, 5);
	CHECK(calls[0] == 1 && calls[1] == 1 && restored == 5);
}

static void refusals(void)
{
	struct pv_irq_ops ops = fake_ops;
	uint8_t before[BUF_SIZE];

	ops.patch = PV_IRQ_INLINE_NATIVE;
	setup(&ops);
	emit(4, PV_PATCH_SAVE_FL);
	rec[4].op = 9;				/* unknown op */
	emit(5, PV_PATCH_IRQ_DISABLE);
	rec[5].len = 6;				/* wrong length for its op */
	emit(6, PV_PATCH_RESTORE_FL);
	{					/* its call goes to another op's slot */
		int32_t rel = (int32_t)((intptr_t)&pv_patch_target[PV_PATCH_IRQ_ENABLE] -
					(intptr_t)(site(6) + 6));

		memcpy(site(6) + 2, &rel, 4);
	}
	emit(7, PV_PATCH_IRQ_ENABLE);
	rec[7].addr = (uintptr_t)buf + BUF_SIZE - 2;	/* runs past the text */
	memcpy(before, buf, BUF_SIZE);
	CHECK(apply(8, &ops) == -EINVAL);
	CHECKF(pv_patch_stats.patched == 4 && pv_patch_stats.refused == 4, "%u %u",
	       pv_patch_stats.patched, pv_patch_stats.refused);
	for (unsigned int i = 4; i < 8; i++)
		CHECKF(!memcmp(site(i), before + i * SITE_STRIDE, SITE_STRIDE), "site %u", i);
	CHECK(unit_logged("record 4 ") && unit_logged("unknown op"));
	CHECK(unit_logged("record 5 ") && unit_logged("wrong length for its op"));
	CHECK(unit_logged("record 6 ") && unit_logged("calls something other than its op's slot"));
	CHECK(unit_logged("record 7 ") && unit_logged("site outside the kernel text"));
	/* Patched twice: every site refused, nothing written again. */
	memcpy(before, buf, BUF_SIZE);
	memset(&pv_patch_stats, 0, sizeof(pv_patch_stats));
	pv_patch_stats.enabled = true;
	CHECK(apply(4, &ops) == -EINVAL);
	CHECK(pv_patch_stats.refused == 4 && pv_patch_stats.patched == 0);
	CHECK(!memcmp(before, buf, BUF_SIZE));
	CHECK(unit_logged("does not start with call"));
	/* A site whose padding someone changed is refused too. */
	setup(&ops);
	site(2)[9] = 0x0f;
	CHECK(apply(4, &ops) == -EINVAL && pv_patch_stats.refused == 1);
	CHECK(site(2)[0] == 0xff && unit_logged("padding is not nops"));
	CHECK(!strcmp(pv_patch_op_name(PV_PATCH_IRQ_ENABLE), "irq_enable") &&
	      !strcmp(pv_patch_op_name(9), "?"));
}

/* The buffer within a rel32 of this program (its data and functions), executable. */
static void map_buffer(void)
{
	uintptr_t near = ((uintptr_t)&pv_patch_target & ~(uintptr_t)0xfffff) + (64u << 20);

	buf = mmap((void *)near, BUF_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		abort();
	}
	if ((intptr_t)(buf - (uint8_t *)&pv_patch_target) > (1l << 30) ||
	    (intptr_t)(buf - (uint8_t *)&pv_patch_target) < -(1l << 30)) {
		printf("# the buffer landed at %p, out of a rel32 of %p\n", (void *)buf,
		       (void *)&pv_patch_target);
		abort();
	}
}

static void with_buffer(void (*fn)(void))
{
	if (!buf)
		map_buffer();
	fn();
}

static void native_forms_case(void) { with_buffer(native_forms); }
static void xen_pv_forms_case(void) { with_buffer(xen_pv_forms); }
static void direct_calls_case(void) { with_buffer(direct_calls); }
static void disabled_case(void) { with_buffer(disabled); }
static void refusals_case(void) { with_buffer(refusals); }

UNIT_CASES(
	{ native_forms_case, "pv_patch: native: pushf/pop, push/popf, cli, sti, padded with nops" },
	{ xen_pv_forms_case, "pv_patch: Xen PV: all four inline, pending events forced (run)" },
	{ direct_calls_case, "pv_patch: no inline form: direct calls to the backend (run)" },
	{ disabled_case, "pv_patch: pvkit.pv_patch=0: sites untouched, still call through the slot" },
	{ refusals_case, "pv_patch: bad records and unexpected bytes refused, site untouched" },
);
