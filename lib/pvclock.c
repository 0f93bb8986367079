// SPDX-License-Identifier: MIT
/*
 * pvclock arithmetic: the version protocol of a hypervisor's per-vCPU time record and the
 * fixed-point TSC scaling of Xen public/xen.h (struct vcpu_time_info). No hardware access:
 * the TSC comes from a callback, so hosted tests can change the record in the middle of a read.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/pvclock.h>

/* Order the loads of the record (x86 keeps loads in order; the compiler must too). */
#define pvclock_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)

uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul_frac, int shift)
{
	uint64_t lo, hi, p_lo, p_hi;
	int k;

	/* Xen scales with the shift applied to the delta first: a right shift loses the low
	 * bits there, and we must lose the same ones to agree with Xen's system time. */
	if (shift < 0) {
		delta = shift <= -64 ? 0 : delta >> -shift;
		shift = 0;
	}
	/* P = delta * mul_frac, 96 bits, as (p_hi:p_lo) from two 32x32 -> 64 products. */
	lo = (delta & 0xffffffffull) * mul_frac;
	hi = (delta >> 32) * mul_frac;
	p_lo = lo + (hi << 32);
	p_hi = (hi >> 32) + (p_lo < lo);
	/* Result = (P << shift) >> 32 = P >> k, k = 32 - shift. */
	k = 32 - shift;
	if (k > 0) {
		if (p_hi >> k)
			return UINT64_MAX;		/* more than 64 bits: saturate */
		return (p_lo >> k) | (p_hi << (64 - k));
	}
	/* shift >= 32 (a left shift of P): never published in practice, still defined. */
	if (!p_hi && !p_lo)
		return 0;
	if (p_hi || -k >= 64 || (k < 0 && (p_lo >> (64 + k))))
		return UINT64_MAX;
	return p_lo << -k;
}

int pvclock_read(const struct pvclock_vcpu_time_info *ti, uint64_t (*read_tsc)(void *ctx),
		 void *ctx, uint64_t *ns)
{
	uint32_t v1, v2, mul;
	uint64_t stamp, system, tsc;
	int8_t shift;

	for (unsigned int tries = 0; tries < PVCLOCK_READ_TRIES; tries++) {
		v1 = READ_ONCE(ti->version);
		pvclock_rmb();
		stamp = READ_ONCE(ti->tsc_timestamp);
		system = READ_ONCE(ti->system_time);
		mul = READ_ONCE(ti->tsc_to_system_mul);
		shift = READ_ONCE(ti->tsc_shift);
		tsc = read_tsc(ctx);
		pvclock_rmb();
		v2 = READ_ONCE(ti->version);
		if ((v1 & 1) || v1 != v2)
			continue;			/* an update was in progress: again */
		*ns = system + (tsc > stamp ? pvclock_scale_delta(tsc - stamp, mul, shift) : 0);
		return 0;
	}
	return -EAGAIN;
}

uint64_t pvclock_tsc_khz(const struct pvclock_vcpu_time_info *ti)
{
	uint32_t mul = READ_ONCE(ti->tsc_to_system_mul);
	int shift = READ_ONCE(ti->tsc_shift);
	uint64_t khz;

	if (!mul)
		return 0;
	/* ns per tick = mul / 2^32 * 2^shift, so kHz = 10^6 * 2^32 / mul / 2^shift. */
	khz = (1000000ull << 32) / mul;
	if (shift < 0)
		return -shift >= 64 || (khz >> (64 + shift)) ? UINT64_MAX : khz << -shift;
	return shift >= 64 ? 0 : khz >> shift;
}

uint64_t pvclock_monotonic(uint64_t *last, uint64_t now)
{
	uint64_t seen = __atomic_load_n(last, __ATOMIC_RELAXED);

	do {
		if (now <= seen)
			return seen;
	} while (!__atomic_compare_exchange_n(last, &seen, now, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return now;
}

int pvclock_wallclock(const struct pvclock_wall_clock *wc, uint64_t system_ns, uint64_t *sec,
		      uint32_t *nsec)
{
	uint32_t v1, v2, lo, hi, ns;
	uint64_t s, n;

	for (unsigned int tries = 0; tries < PVCLOCK_READ_TRIES; tries++) {
		v1 = READ_ONCE(wc->version);
		pvclock_rmb();
		lo = READ_ONCE(wc->sec);
		ns = READ_ONCE(wc->nsec);
		hi = READ_ONCE(wc->sec_hi);
		pvclock_rmb();
		v2 = READ_ONCE(wc->version);
		if ((v1 & 1) || v1 != v2)
			continue;
		/* Seconds and nanoseconds added apart: a sum in ns would overflow in 2554. */
		n = (uint64_t)ns + system_ns % NSEC_PER_SEC;
		s = (((uint64_t)hi << 32) | lo) + system_ns / NSEC_PER_SEC + n / NSEC_PER_SEC;
		*sec = s;
		*nsec = n % NSEC_PER_SEC;
		return 0;
	}
	return -EAGAIN;
}
