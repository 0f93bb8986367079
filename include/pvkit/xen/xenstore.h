/* SPDX-License-Identifier: MIT */
/*
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

typedef uint32_t xs_transaction_t;
#define XS_TXN_NONE		0
/* Per request. xenstored shares dom0's one vCPU with hotplug scripts and, under TCG on a busy
 * host, a request has taken over 10 s (docs/tcg-quirks.md). A timeout still bounds a dead peer. */
#define XS_DEFAULT_TIMEOUT_NS	(30ull * 1000000000)
#define XS_TXN_RETRIES		16			/* transaction() on -EAGAIN */

/** Find the ring (PV: start_info store_mfn/evtchn; PVH: HVM params) and bind its event.
 * Return: 0 or -errno. */
int xs_init(const struct boot_info *bi);

/** Read @path into @buf (NUL-terminated; *len excludes the NUL). -ENOENT if absent,
 * -E2BIG if it does not fit. */
int xs_read(xs_transaction_t t, const char *path, char *buf, size_t size, size_t *len);
/** Write @value (a string) at @path. */
int xs_write(xs_transaction_t t, const char *path, const char *value);
int xs_printf(xs_transaction_t t, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int xs_vprintf(xs_transaction_t t, const char *path, const char *fmt, va_list ap);
/** Read a decimal number. -EINVAL if the value is not one. */
int xs_read_ulong(xs_transaction_t t, const char *path, unsigned long *v);
int xs_mkdir(xs_transaction_t t, const char *path);
int xs_rm(xs_transaction_t t, const char *path);
/** The children of @path as NUL-separated names in @buf; *count of them. */
int xs_directory(xs_transaction_t t, const char *path, char *buf, size_t size,
		 unsigned int *count);

int xs_transaction_start(xs_transaction_t *t);
/** Commit (or abort); -EAGAIN when the commit lost a race and must be redone. */
int xs_transaction_end(xs_transaction_t t, bool abort);
/**
 * xs_transaction() - run @fn inside a transaction, again (up to XS_TXN_RETRIES times) while
 * the commit answers -EAGAIN. @fn returns 0 to commit, or -errno to abort with that error
 * (-EAGAIN from @fn, e.g. an operation of a doomed transaction refused early, is retried too).
 */
int xs_transaction(int (*fn)(xs_transaction_t t, void *ctx), void *ctx);

struct xs_watch {
	const char *path;		/* watched node (and everything below it) */
	void (*cb)(struct xs_watch *w, const char *path);	/* from xs_poll() */
	void *ctx;			/* for cb */
	/* Owned by the client: */
	char token[16];			/* identifies this watch in WATCH_EVENTs */
	struct xs_watch *next;		/* registered watches */
	bool registered;		/* between xs_watch() and xs_unwatch() */
	bool rerun;			/* events were lost to a full queue: run cb once more */
};

/** Register; the callback also runs once right away (xenstore fires a new watch). */
int xs_watch(struct xs_watch *w);
int xs_unwatch(struct xs_watch *w);

/** Run the callbacks of watch events received so far (at most 64 a call; a nested call from
 * a callback returns 0). Returns how many ran. */
unsigned int xs_poll(void);

/**
 * xs_wait_event() - sleep until a watch event arrives (or @timeout_ns passes), then xs_poll().
 * Return: the callbacks run (0 when the events were for nobody), -ETIMEDOUT, or -EDEADLK
 * when called from a watch callback (its events could never run).
 */
int xs_wait_event(uint64_t timeout_ns);

/** Set the per-request timeout (default XS_DEFAULT_TIMEOUT_NS). Returns the old one. */
uint64_t xs_set_timeout(uint64_t ns);

/**
 * xs_resume() - in a new domain (after evtchn_resume()), interrupts off: the ring and event
 * channel found again (PV start_info, PVH HVM params), the connection started afresh (our
 * counters kept), every open transaction made stale (each later use and its end return
 * -EAGAIN, so xs_transaction() starts it again), the domid read again when next asked.
 * Return: 0 or -errno (no xenstore).
 */
int xs_resume(const struct boot_info *bi);
/**
 * xs_resume_watches() - after xs_resume(), interrupts on: every registered watch registered
 * again on the new connection, with its token (xenstored then fires each once, so every
 * watcher looks again). Return: 0, or the first failure's -errno (all are tried).
 */
int xs_resume_watches(void);

/* What the resumes did (tests, diagnostics). */
struct xs_resume_stats {
	uint32_t resumes;		/* xs_resume() that succeeded */
	uint32_t watches;		/* watches registered again */
	uint32_t watch_failed;		/* ... refused (events lost for those) */
	uint32_t txn_stale;		/* transactions open at a suspend */
};
void xs_get_resume_stats(struct xs_resume_stats *st);

/** This domain's id (from the "domid" node). */
int xs_domid(unsigned int *domid);

/* Counters for tests and diagnostics. */
struct xs_stats {
	uint64_t requests;		/* sent */
	uint64_t replies;		/* matched to a request */
	uint64_t errors;		/* XS_ERROR replies */
	uint64_t malformed;		/* replies or events rejected as malformed */
	uint64_t unmatched;		/* replies with an id nobody waits for */
	uint64_t watch_events;		/* WATCH_EVENTs received */
	uint64_t timeouts;		/* requests that timed out */
	uint64_t txn_retries;		/* xs_transaction() reruns after -EAGAIN */
	/* Added with the implementation (docs/xenstore.md, "Hostile input"): */
	uint64_t resyncs;		/* times the reply stream was skipped to rsp_prod */
	uint64_t ring_errors;		/* impossible ring indexes seen (req_cons, rsp_prod) */
	uint64_t watch_dropped;		/* events for a token no registered watch has */
	uint64_t watch_overflows;	/* events that did not fit the queue: all watches rerun */
};
void xs_get_stats(struct xs_stats *s);

#endif /* PVKIT_XEN_XENSTORE_H */
