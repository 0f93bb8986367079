// SPDX-License-Identifier: MIT
/*
 * Call-site patching of the hot interrupt ops (DESIGN.md §3, docs/pv_ops.md). Every
 * pv_save_fl / pv_restore_fl / pv_irq_disable / pv_irq_enable in the kernel is a site: an
 * indirect `call *pv_patch_target[op](%rip)` padded with nops to a fixed length, with a
 * record in section .pv_patch. Once pv_init has chosen the backend, each site is rewritten
 * into what that backend's function does, inline (natively and under PVH the instruction
 * itself; under Xen PV the event-mask load or store in this vCPU's vcpu_info, and on
 * unmasking the pending check with a call to xen_pv_force_upcall), or else into a direct call. Under Xen PV on TCG that
 * makes irq save/restore about 5x faster than the indirect call (docs/benchmarks.md).
 *
 * Before writing, each record is checked: a known op, its length, a site inside the kernel
 * text that holds exactly the unpatched call and padding. A record that fails is refused with
 * a line and its site left working as it is (indirectly); nothing is half-written.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <string.h>
#ifdef CONFIG_XEN_PV
#include <pvkit/smp.h>
#include <pvkit/xen/pv.h>
#include <xen/xen.h>
#endif

void *pv_patch_target[PV_PATCH_NR];
struct pv_patch_stats pv_patch_stats;

#define PV_PATCH_MAX_LEN	29	/* the longest site */
#define PV_PATCH_LOG_MAX	8	/* refusal lines, then only the count */

static const uint8_t pv_patch_len[PV_PATCH_NR] = {
	[PV_PATCH_SAVE_FL]	= PV_PATCH_LEN_SAVE_FL,
	[PV_PATCH_RESTORE_FL]	= PV_PATCH_LEN_RESTORE_FL,
	[PV_PATCH_IRQ_DISABLE]	= PV_PATCH_LEN_IRQ_DISABLE,
	[PV_PATCH_IRQ_ENABLE]	= PV_PATCH_LEN_IRQ_ENABLE,
};

static const char *const pv_patch_names[PV_PATCH_NR] = {
	"save_fl", "restore_fl", "irq_disable", "irq_enable"
};

/* Multi-byte nops (the Intel SDM's recommended forms), by length 1..8. */
static const uint8_t pv_nops[8][8] = {
	{ 0x90 },
	{ 0x66, 0x90 },
	{ 0x0f, 0x1f, 0x00 },
	{ 0x0f, 0x1f, 0x40, 0x00 },
	{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

static void pv_patch_fill_nops(uint8_t *p, unsigned int n)
{
	while (n) {
		unsigned int k = n > 8 ? 8 : n;

		memcpy(p, pv_nops[k - 1], k);
		p += k;
		n -= k;
	}
}

static void put_rel32(uint8_t *p, uintptr_t insn_end, uintptr_t target)
{
	int32_t rel = (int32_t)(int64_t)(target - insn_end);

	memcpy(p, &rel, 4);
}

/* Does @target lie within a rel32 of @insn_end? */
static bool rel32_reaches(uintptr_t insn_end, uintptr_t target)
{
	int64_t d = (int64_t)(target - insn_end);

	return d == (int32_t)d;
}

/* The inline form of @op for @kind into @buf as it will sit at @site (never longer than the
 * op's site: BUILD_BUG_ON below). Return: its length, or 0 when there is none (a direct
 * call then). */
static unsigned int pv_patch_inline(enum pv_irq_inline kind, unsigned int op, uintptr_t site,
				    uint8_t buf[PV_PATCH_MAX_LEN])
{
	switch (kind) {
	case PV_IRQ_INLINE_NATIVE:
		switch (op) {
		case PV_PATCH_SAVE_FL:		/* pushfq; popq %rax */
			buf[0] = 0x9c;
			buf[1] = 0x58;
			return 2;
		case PV_PATCH_RESTORE_FL:	/* pushq %rdi; popfq */
			buf[0] = 0x57;
			buf[1] = 0x9d;
			return 2;
		case PV_PATCH_IRQ_DISABLE:	/* cli */
			buf[0] = 0xfa;
			return 1;
		case PV_PATCH_IRQ_ENABLE:	/* sti */
			buf[0] = 0xfb;
			return 1;
		}
		return 0;
#ifdef CONFIG_XEN_PV
	case PV_IRQ_INLINE_XEN_PV: {
		/* xorl %eax, %eax; movq %gs:PERCPU_VCPU_INFO_OFF(%rax), %rax: this vCPU's
		 * vcpu_info (each CPU masks its own events), read each time because a suspend
		 * moves it (xen_pv_set_shared_info). Its evtchn_upcall_pending is at 0(%rax),
		 * evtchn_upcall_mask at 1(%rax). */
		static const uint8_t load[7] = { 0x31, 0xc0, 0x65, 0x48, 0x8b, 0x40,
						 PERCPU_VCPU_INFO_OFF };
		/* cmpb $1, 1(%rax); sbb %eax, %eax; and $0x200, %eax: IF iff the mask is 0 */
		static const uint8_t save[11] = { 0x80, 0x78, 0x01, 0x01, 0x19, 0xc0,
						  0x25, 0x00, 0x02, 0x00, 0x00 };
		static const uint8_t mask[4] = { 0xc6, 0x40, 0x01, 0x01 };	/* movb $1, 1(%rax) */
		/* movb $0, 1(%rax); cmpb $0, (%rax); je 1f; call xen_pv_force_upcall; 1: */
		static const uint8_t enable[14] = { 0xc6, 0x40, 0x01, 0x00, 0x80, 0x38, 0x00,
						    0x74, 0x05, 0xe8, 0, 0, 0, 0 };
		/* test $0x200, %edi; sete 1(%rax); je 1f; then as enable from the cmpb: the mask
		 * is set exactly when fl has no IF, and unmasking looks for a pending event. */
		static const uint8_t restore[22] = { 0xf7, 0xc7, 0x00, 0x02, 0x00, 0x00,
						     0x0f, 0x94, 0x40, 0x01, 0x74, 0x0a,
						     0x80, 0x38, 0x00, 0x74, 0x05,
						     0xe8, 0, 0, 0, 0 };
		const uint8_t *tail;
		unsigned int n;

		BUILD_BUG_ON(offsetof(struct vcpu_info, evtchn_upcall_pending) != 0);
		BUILD_BUG_ON(offsetof(struct vcpu_info, evtchn_upcall_mask) != 1);
		BUILD_BUG_ON(offsetof(struct percpu, vcpu_info) != PERCPU_VCPU_INFO_OFF ||
			     PERCPU_VCPU_INFO_OFF > 127);	/* a disp8 */
		BUILD_BUG_ON(sizeof(load) + sizeof(save) != PV_PATCH_LEN_SAVE_FL);
		BUILD_BUG_ON(sizeof(load) + sizeof(mask) != PV_PATCH_LEN_IRQ_DISABLE);
		BUILD_BUG_ON(sizeof(load) + sizeof(enable) != PV_PATCH_LEN_IRQ_ENABLE);
		BUILD_BUG_ON(sizeof(load) + sizeof(restore) != PV_PATCH_LEN_RESTORE_FL);
		switch (op) {
		case PV_PATCH_SAVE_FL:		tail = save;	n = sizeof(save);	break;
		case PV_PATCH_RESTORE_FL:	tail = restore;	n = sizeof(restore);	break;
		case PV_PATCH_IRQ_DISABLE:	tail = mask;	n = sizeof(mask);	break;
		case PV_PATCH_IRQ_ENABLE:	tail = enable;	n = sizeof(enable);	break;
		default:			return 0;
		}
		if (!rel32_reaches(site + 7 + n, (uintptr_t)xen_pv_force_upcall))
			return 0;
		memcpy(buf, load, sizeof(load));
		memcpy(buf + 7, tail, n);
		if (op == PV_PATCH_RESTORE_FL || op == PV_PATCH_IRQ_ENABLE)	/* the call ends it */
			put_rel32(buf + 7 + n - 4, site + 7 + n, (uintptr_t)xen_pv_force_upcall);
		return 7 + n;
	}
#endif
	default:
		(void)site;
		return 0;
	}
}

/* Is @s a record we may act on, and does its site hold the unpatched call? NULL, or why not. */
static const char *pv_patch_check(const struct pv_patch_site *s, uintptr_t text_lo,
				  uintptr_t text_hi)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)s->addr;
	int32_t rel;

	if (s->op >= PV_PATCH_NR)
		return "unknown op";
	if (s->len != pv_patch_len[s->op])
		return "wrong length for its op";
	if (s->addr < text_lo || s->addr > text_hi || text_hi - s->addr < s->len)
		return "site outside the kernel text";
	if (p[0] != 0xff || p[1] != 0x15)
		return "site does not start with call *rel32(%rip)";
	memcpy(&rel, p + 2, 4);
	if (s->addr + 6 + (int64_t)rel != (uintptr_t)&pv_patch_target[s->op])
		return "site calls something other than its op's slot";
	for (unsigned int i = 6; i < s->len; i++)
		if (p[i] != 0x90)
			return "site padding is not nops (patched twice?)";
	return NULL;
}

int pv_patch_apply_range(const struct pv_patch_site *begin, const struct pv_patch_site *end,
			 const struct pv_irq_ops *irq, uintptr_t text_lo, uintptr_t text_hi)
{
	void *const fn[PV_PATCH_NR] = {
		[PV_PATCH_SAVE_FL]	= (void *)irq->save_fl,
		[PV_PATCH_RESTORE_FL]	= (void *)irq->restore_fl,
		[PV_PATCH_IRQ_DISABLE]	= (void *)irq->irq_disable,
		[PV_PATCH_IRQ_ENABLE]	= (void *)irq->irq_enable,
	};
	struct pv_patch_stats *st = &pv_patch_stats;

	BUILD_BUG_ON(sizeof(struct pv_patch_site) != 16);
	BUILD_BUG_ON(PV_PATCH_SAVE_FL != 0 || PV_PATCH_RESTORE_FL != 1 ||
		     PV_PATCH_IRQ_DISABLE != 2 || PV_PATCH_IRQ_ENABLE != 3);	/* PV_PATCH_SITE */
	BUILD_BUG_ON(PV_PATCH_LEN_SAVE_FL > PV_PATCH_MAX_LEN ||
		     PV_PATCH_LEN_RESTORE_FL > PV_PATCH_MAX_LEN ||
		     PV_PATCH_LEN_IRQ_DISABLE > PV_PATCH_MAX_LEN ||
		     PV_PATCH_LEN_IRQ_ENABLE > PV_PATCH_MAX_LEN);
	for (const struct pv_patch_site *s = begin; s < end; s++) {
		uint8_t buf[PV_PATCH_MAX_LEN];
		const char *why = pv_patch_check(s, text_lo, text_hi);
		unsigned int n;

		st->sites++;
		if (!why)
			st->per_op[s->op]++;
		if (!why && !st->enabled)
			continue;		/* pvkit.pv_patch=0: indirect, as built */
		if (!why) {
			n = pv_patch_inline(irq->patch, s->op, s->addr, buf);
			if (n) {
				st->inlined++;
			} else if (rel32_reaches(s->addr + 5, (uintptr_t)fn[s->op])) {
				buf[0] = 0xe8;		/* call rel32 */
				put_rel32(buf + 1, s->addr + 5, (uintptr_t)fn[s->op]);
				n = 5;
			} else {
				why = "the function is out of a direct call's reach";
			}
		}
		if (why) {
			if (st->refused++ < PV_PATCH_LOG_MAX)
				printk("pvkit: pv_patch: record %ld (site %#lx, op %u, len %u) "
				       "refused: %s\n", (long)(s - begin), (unsigned long)s->addr,
				       s->op, s->len, why);
			continue;
		}
		pv_patch_fill_nops(buf + n, s->len - n);
		memcpy((void *)(uintptr_t)s->addr, buf, s->len);
		st->patched++;
	}
	return st->refused ? -EINVAL : (int)st->patched;
}

#ifdef __PVKIT_KERNEL__
#include <pvkit/x86.h>

int pv_patch_apply(const struct pv_irq_ops *irq)
{
	unsigned int a, b, c, d;
	int ret;

	ret = pv_patch_apply_range(__pv_patch_start, __pv_patch_end, irq, (uintptr_t)_text,
				   (uintptr_t)_etext);
	/* Serialise: this CPU must not run stale bytes of a site it fetched before. */
	__asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0)
			     : "memory");
	printk("pvkit: pv_patch: %u sites (save_fl %u restore_fl %u irq_disable %u irq_enable "
	       "%u): %u patched, %u inline, %u direct calls, %u refused%s\n",
	       pv_patch_stats.sites, pv_patch_stats.per_op[0], pv_patch_stats.per_op[1],
	       pv_patch_stats.per_op[2], pv_patch_stats.per_op[3], pv_patch_stats.patched,
	       pv_patch_stats.inlined, pv_patch_stats.patched - pv_patch_stats.inlined,
	       pv_patch_stats.refused, pv_patch_stats.enabled ? "" :
	       " (pvkit.pv_patch=0: every site stays an indirect call)");
	return ret;
}
#endif

const char *pv_patch_op_name(unsigned int op)
{
	return op < PV_PATCH_NR ? pv_patch_names[op] : "?";
}
