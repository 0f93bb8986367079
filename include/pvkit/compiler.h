/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Compiler helpers used everywhere: attributes, sizes, alignment, one-shot memory accesses.
 *
 * The attribute shorthands are GCC's (clang's too) attributes under Linux's names:
 * __packed, __aligned(x), __section(s), __used, __unused, __noreturn, __printf(a, b) (format
 * string argument a, first variadic argument b), __always_inline, __noinline and
 * __must_check (warn_unused_result).
 */
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

/** @p x is expected to be true: lay the code out for that path. */
#define likely(x)		__builtin_expect(!!(x), 1)
/** @p x is expected to be false (error paths). */
#define unlikely(x)		__builtin_expect(!!(x), 0)

/** The number of elements of array @p a (not of a pointer). */
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
/** Fail the compilation when the constant @p cond is true. */
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)

/** @p n / @p d, rounded up. */
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
/** @p x rounded up to a multiple of @p a, a power of two. */
#define ALIGN_UP(x, a)		(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
/** @p x rounded down to a multiple of @p a, a power of two. */
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
/** Is @p x a multiple of @p a, a power of two? */
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)

/** The smaller of @p a and @p b (each evaluated twice). */
#define MIN(a, b)		((a) < (b) ? (a) : (b))
/** The larger of @p a and @p b (each evaluated twice). */
#define MAX(a, b)		((a) > (b) ? (a) : (b))

/** The structure of type @p type whose field @p member @p ptr points to. */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

/** Stops the compiler from moving memory accesses across this point (not the CPU). */
#define barrier()		__asm__ __volatile__("" ::: "memory")

/**
 * Exactly one read of the given size. For memory shared with another domain or a device:
 * the compiler may neither tear, repeat nor cache the access.
 */
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
/** Exactly one write of the given size (see READ_ONCE()). */
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))

/** STRINGIFY()'s second step: # stringifies its argument as written, unexpanded. */
#define STRINGIFY_(x)		#x
/** @p x, macro-expanded first, as a string literal. */
#define STRINGIFY(x)		STRINGIFY_(x)

#endif /* PVKIT_COMPILER_H */
