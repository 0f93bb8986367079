/* SPDX-License-Identifier: MIT */
/* Compiler helpers used everywhere: attributes, sizes, alignment, one-shot memory accesses. */
#ifndef PVKIT_COMPILER_H
#define PVKIT_COMPILER_H

/* Each guarded: hosted unit tests also see the C library's versions of some. */
#ifndef __packed
#define __packed		__attribute__((packed))
#endif
#ifndef __aligned
#define __aligned(x)		__attribute__((aligned(x)))
#endif
#ifndef __section
#define __section(s)		__attribute__((section(s)))
#endif
#ifndef __used
#define __used			__attribute__((used))
#endif
#ifndef __unused
#define __unused		__attribute__((unused))
#endif
#ifndef __noreturn
#define __noreturn		__attribute__((noreturn))
#endif
#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif
#ifndef __always_inline
#define __always_inline		inline __attribute__((always_inline))
#endif
#ifndef __noinline
#define __noinline		__attribute__((noinline))
#endif
#ifndef __must_check
#define __must_check		__attribute__((warn_unused_result))
#endif

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)

#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define ALIGN_UP(x, a)		(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)

#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* Stops the compiler from moving memory accesses across this point (not the CPU). */
#define barrier()		__asm__ __volatile__("" ::: "memory")

/*
 * Exactly one access of the given size. For memory shared with another domain or a device:
 * the compiler may neither tear, repeat nor cache the access.
 */
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))

#define STRINGIFY_(x)		#x
#define STRINGIFY(x)		STRINGIFY_(x)

#endif /* PVKIT_COMPILER_H */
