/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The xenstore client (xen/io/xs_wire.h over the shared ring): requests with ids, answered
 * synchronously with a timeout; transactions; watches. Everything from the other side is
 * untrusted: a malformed reply fails that request with -EPROTO (or -EMSGSIZE, -EBADMSG) and
 * leaves the client usable.
 *
 * Context: requests sleep (pv_safe_halt) and must not be made from interrupt context. Watch
 * callbacks run from xs_poll(), which the idle loop calls, and from xs_wait_event() (and what
 * waits with it, e.g. xenbus_wait_otherend()): never inside the event-channel upcall, and
 * never inside another request, so a caller's xs_* sequence is not re-entered behind its back.
 */
#ifndef PVKIT_XEN_XENSTORE_H
#define PVKIT_XEN_XENSTORE_H

#include <stdarg.h>
#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

typedef uint32_t xs_transaction_t;	/**< a transaction id; XS_TXN_NONE for none */
#define XS_TXN_NONE		0	/**< outside any transaction */
/** Per request. xenstored shares dom0's one vCPU with hotplug scripts and, under TCG on a busy
 * host, a request has taken over 10 s (docs/tcg-quirks.md). A timeout still bounds a dead peer. */
#define XS_DEFAULT_TIMEOUT_NS	(30ull * 1000000000)
#define XS_TXN_RETRIES		16			/**< transaction() on -EAGAIN */

/**
 * xs_init() - find the ring (PV: start_info store_mfn/evtchn; PVH: HVM params) and bind its
 * event.
 * @param bi the boot information (the environment).
 * @return 0 or -errno.
 */
int xs_init(const struct boot_info *bi);

/**
 * @name Nodes
 * Every call takes a transaction, XS_TXN_NONE for none, and returns 0 or -errno: xenstored's
 * own error (-ENOENT, -EACCES, ...), -ETIMEDOUT, -EPROTO for a malformed reply, -EAGAIN in a
 * transaction that must be redone.
 */
/** @{ */

/**
 * xs_read() - read a node's value.
 * @param t    the transaction.
 * @param path the node.
 * @param buf  receives the value, NUL-terminated.
 * @param size the size of @p buf.
 * @param len  receives the length without the NUL (may be NULL).
 * @return 0, -ENOENT if absent, -E2BIG if it does not fit, or -errno.
 */
int xs_read(xs_transaction_t t, const char *path, char *buf, size_t size, size_t *len);

/**
 * xs_write() - write a string value at @p path (the node is created if needed).
 * @param t     the transaction.
 * @param path  the node.
 * @param value the value.
 * @return 0 or -errno.
 */
int xs_write(xs_transaction_t t, const char *path, const char *value);

/**
 * xs_printf() - write a formatted value at @p path.
 * @param t    the transaction.
 * @param path the node.
 * @param fmt  the format, as printk().
 * @return 0 or -errno.
 */
int xs_printf(xs_transaction_t t, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * xs_vprintf() - xs_printf() with a va_list.
 * @param t    the transaction.
 * @param path the node.
 * @param fmt  the format.
 * @param ap   the arguments.
 * @return 0 or -errno.
 */
int xs_vprintf(xs_transaction_t t, const char *path, const char *fmt, va_list ap);

/**
 * xs_read_ulong() - read a decimal number.
 * @param t    the transaction.
 * @param path the node.
 * @param v    receives the number.
 * @return 0, -EINVAL if the value is not one, or -errno as xs_read().
 */
int xs_read_ulong(xs_transaction_t t, const char *path, unsigned long *v);

/**
 * xs_mkdir() - create a node with no value.
 * @param t    the transaction.
 * @param path the node.
 * @return 0 or -errno.
 */
int xs_mkdir(xs_transaction_t t, const char *path);

/**
 * xs_rm() - remove a node and everything below it.
 * @param t    the transaction.
 * @param path the node.
 * @return 0 or -errno.
 */
int xs_rm(xs_transaction_t t, const char *path);

/**
 * xs_directory() - the children of @p path.
 * @param t     the transaction.
 * @param path  the node.
 * @param buf   receives the names, each NUL-terminated, one after the other.
 * @param size  the size of @p buf.
 * @param count receives how many.
 * @return 0, -E2BIG if they do not fit, or -errno.
 */
int xs_directory(xs_transaction_t t, const char *path, char *buf, size_t size,
		 unsigned int *count);
/** @} */

/** @name Transactions */
/** @{ */

/**
 * xs_transaction_start() - open a transaction (at most 16 at a time).
 * @param t receives its id.
 * @return 0, -ENOSPC (too many open), -EPROTO (a bad id from xenstored), or -errno.
 */
int xs_transaction_start(xs_transaction_t *t);

/**
 * xs_transaction_end() - commit or abort; the id is free afterwards either way.
 * @param t     the transaction.
 * @param abort abort instead of committing.
 * @return 0, -EAGAIN when the commit lost a race (or the transaction went stale across a
 *         resume) and must be redone, or -errno.
 */
int xs_transaction_end(xs_transaction_t t, bool abort);

/**
 * xs_transaction() - run @p fn inside a transaction, again (up to XS_TXN_RETRIES times)
 * while the commit answers -EAGAIN. (-EAGAIN from @p fn, e.g. an operation of a doomed
 * transaction refused early, is retried too.)
 * @param fn  the work: returns 0 to commit, or -errno to abort with that error.
 * @param ctx passed to @p fn.
 * @return 0 once committed, @p fn's error, -EAGAIN when every try lost the race, or -errno.
 */
int xs_transaction(int (*fn)(xs_transaction_t t, void *ctx), void *ctx);
/** @} */

/** A watch: a callback for changes at or below a node. The caller owns the storage. */
struct xs_watch {
	const char *path;		/**< watched node (and everything below it) */
	void (*cb)(struct xs_watch *w, const char *path);	/**< from xs_poll() */
	void *ctx;			/**< for cb */
	/* Owned by the client: */
	char token[16];			/**< identifies this watch in WATCH_EVENTs */
	struct xs_watch *next;		/**< registered watches */
	bool registered;		/**< between xs_watch() and xs_unwatch() */
	bool rerun;			/**< events were lost to a full queue: run cb once more */
};

/**
 * xs_watch() - register a watch; the callback also runs once right away (xenstore fires a
 * new watch), so a watcher needs no separate first look.
 * @param w the watch, with path and cb set.
 * @return 0, -EINVAL (no callback, or registered already), or -errno.
 */
int xs_watch(struct xs_watch *w);

/**
 * xs_unwatch() - unregister a watch. It is forgotten whatever xenstored answers: late events
 * find no token.
 * @param w the watch.
 * @return 0, -EINVAL (not registered), or xenstored's -errno.
 */
int xs_unwatch(struct xs_watch *w);

/**
 * xs_poll() - run the callbacks of watch events received so far (at most 64 a call).
 * @return how many ran (0 for a nested call from a callback).
 */
unsigned int xs_poll(void);

/**
 * xs_wait_event() - sleep until a watch event arrives (or @p timeout_ns passes), then
 * xs_poll().
 * @param timeout_ns how long at most.
 * @return the callbacks run (0 when the events were for nobody), -ETIMEDOUT, or -EDEADLK
 *         when called from a watch callback (its events could never run).
 */
int xs_wait_event(uint64_t timeout_ns);

/**
 * xs_set_timeout() - set the per-request timeout (tests shorten it).
 * @param ns nanoseconds (default XS_DEFAULT_TIMEOUT_NS).
 * @return the old one.
 */
uint64_t xs_set_timeout(uint64_t ns);

/**
 * xs_resume() - in a new domain (after evtchn_resume()), interrupts off: the ring and event
 * channel found again (PV start_info, PVH HVM params), the connection started afresh (our
 * counters kept), every open transaction made stale (each later use and its end return
 * -EAGAIN, so xs_transaction() starts it again), the domid read again when next asked.
 * @param bi the boot information.
 * @return 0 or -errno (no xenstore).
 */
int xs_resume(const struct boot_info *bi);

/**
 * xs_resume_watches() - after xs_resume(), interrupts on: every registered watch registered
 * again on the new connection, with its token (xenstored then fires each once, so every
 * watcher looks again).
 * @return 0, or the first failure's -errno (all are tried).
 */
int xs_resume_watches(void);

/** What the resumes did (tests, diagnostics). */
struct xs_resume_stats {
	uint32_t resumes;		/**< xs_resume() that succeeded */
	uint32_t watches;		/**< watches registered again */
	uint32_t watch_failed;		/**< ... refused (events lost for those) */
	uint32_t txn_stale;		/**< transactions open at a suspend */
};
/**
 * xs_get_resume_stats() - a copy of the resume counters.
 * @param st receives them.
 */
void xs_get_resume_stats(struct xs_resume_stats *st);

/**
 * xs_domid() - this domain's id, from the "domid" node (read once, again after a resume).
 * @param domid receives it.
 * @return 0, -ERANGE (a reserved id), or -errno as xs_read().
 */
int xs_domid(unsigned int *domid);

/** Counters for tests and diagnostics. */
struct xs_stats {
	uint64_t requests;		/**< sent */
	uint64_t replies;		/**< matched to a request */
	uint64_t errors;		/**< XS_ERROR replies */
	uint64_t malformed;		/**< replies or events rejected as malformed */
	uint64_t unmatched;		/**< replies with an id nobody waits for */
	uint64_t watch_events;		/**< WATCH_EVENTs received */
	uint64_t timeouts;		/**< requests that timed out */
	uint64_t txn_retries;		/**< xs_transaction() reruns after -EAGAIN */
	/* Added with the implementation (docs/xenstore.md, "Hostile input"): */
	uint64_t resyncs;		/**< times the reply stream was skipped to rsp_prod */
	uint64_t ring_errors;		/**< impossible ring indexes seen (req_cons, rsp_prod) */
	uint64_t watch_dropped;		/**< events for a token no registered watch has */
	uint64_t watch_overflows;	/**< events that did not fit the queue: all watches rerun */
};
/**
 * xs_get_stats() - a copy of the counters.
 * @param s receives them.
 */
void xs_get_stats(struct xs_stats *s);

#endif /* PVKIT_XEN_XENSTORE_H */
