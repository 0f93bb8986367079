/* SPDX-License-Identifier: MIT */
/**
 * @file
 * pvclock arithmetic (lib/pvclock.c): the time record a hypervisor publishes per vCPU (Xen's
 * vcpu_time_info, KVM's pvclock_vcpu_time_info: the same 32-byte layout), read under its
 * version protocol and scaled to nanoseconds. Pure: no hypervisor, no globals; unit-tested.
 */
#ifndef PVKIT_PVCLOCK_H
#define PVKIT_PVCLOCK_H

#include <pvkit/types.h>

/** Xen public/xen.h struct vcpu_time_info; time.c checks the layout matches. */
struct pvclock_vcpu_time_info {
	uint32_t version;		/**< odd while the hypervisor updates the record */
	uint32_t pad0;			/**< ABI padding */
	uint64_t tsc_timestamp;		/**< TSC when system_time was taken */
	uint64_t system_time;		/**< ns since the hypervisor booted, at tsc_timestamp */
	uint32_t tsc_to_system_mul;	/**< ns per TSC tick as a 0.32 fixed-point fraction */
	int8_t tsc_shift;		/**< shift the TSC delta by this (either sign) first */
	uint8_t flags;			/**< PVCLOCK_TSC_STABLE_BIT, ... */
	uint8_t pad1[2];		/**< ABI padding */
};

/** Xen public/xen.h shared_info wc_version..wc_sec_hi (four consecutive fields). */
struct pvclock_wall_clock {
	uint32_t version;		/**< same protocol as pvclock_vcpu_time_info.version */
	uint32_t sec;			/**< wall time at system time 0: seconds, low 32 bits */
	uint32_t nsec;			/**< and nanoseconds */
	uint32_t sec_hi;		/**< seconds, high 32 bits (x86-64) */
};

#define PVCLOCK_TSC_STABLE_BIT	(1u << 0)	/**< TSC synchronised across vCPUs */
#define PVCLOCK_READ_TRIES	1000		/**< version retries before -EAGAIN */
#define NSEC_PER_SEC		((uint64_t)1000000000)	/**< nanoseconds in a second */

/**
 * pvclock_scale_delta() - ticks to nanoseconds: ((delta << shift) * mul) >> 32, computed as a
 * 64x32 -> 96-bit product so a huge delta cannot overflow on the way. A negative shift drops
 * low bits first, exactly as Xen's own scale_delta() does. Saturates at UINT64_MAX when the
 * result itself exceeds 64 bits (only possible with a positive shift).
 * @param delta    TSC ticks.
 * @param mul_frac nanoseconds per (shifted) tick, a 0.32 fixed-point fraction.
 * @param shift    the shift applied to @p delta first (either sign).
 * @return nanoseconds.
 */
uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul_frac, int shift);

/**
 * pvclock_read() - system time now: a consistent snapshot of @p ti (the version is even and
 * unchanged across the read), the TSC taken inside it, delta scaled and added. A TSC behind
 * tsc_timestamp counts as delta 0.
 * @param ti       the hypervisor's record.
 * @param read_tsc reads the TSC (a parameter, so the unit tests can feed their own).
 * @param ctx      passed to @p read_tsc.
 * @param ns       receives the system time in nanoseconds.
 * @return 0, or -EAGAIN when no consistent snapshot was seen in PVCLOCK_READ_TRIES attempts.
 */
int pvclock_read(const struct pvclock_vcpu_time_info *ti, uint64_t (*read_tsc)(void *ctx),
		 void *ctx, uint64_t *ns);

/**
 * pvclock_tsc_khz() - the TSC frequency a record describes.
 * @param ti the record.
 * @return kHz (0 if tsc_to_system_mul is 0).
 */
uint64_t pvclock_tsc_khz(const struct pvclock_vcpu_time_info *ti);

/**
 * pvclock_monotonic() - never go back: return max(*last, @p now) and raise *last to it. Safe
 * against an interrupt handler calling it in the middle (compare-and-swap on *last).
 * @param last the largest value returned so far.
 * @param now  the clock's reading.
 * @return the monotonic value.
 */
uint64_t pvclock_monotonic(uint64_t *last, uint64_t now);

/**
 * pvclock_wallclock() - wall time now = @p wc (under its version protocol) + @p system_ns.
 * @param wc        the wall-clock record.
 * @param system_ns the system time now.
 * @param sec       receives the seconds since the Unix epoch.
 * @param nsec      receives the nanoseconds (< 10^9).
 * @return 0, or -EAGAIN (no consistent snapshot).
 */
int pvclock_wallclock(const struct pvclock_wall_clock *wc, uint64_t system_ns, uint64_t *sec,
		      uint32_t *nsec);

#endif /* PVKIT_PVCLOCK_H */
