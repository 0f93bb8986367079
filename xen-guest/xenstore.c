// SPDX-License-Identifier: MIT
/*
 * The xenstore client (include/pvkit/xen/xenstore.h; docs/xenstore.md): synchronous requests
 * with a timeout over the shared ring of xs_proto.c, transactions, watches. The event-channel
 * handler only moves bytes (and queues watch events); callbacks run from xs_poll().
 */
#include <stdarg.h>
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/os.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/xenstore.h>
#include "xs_proto.h"
#ifdef __PVKIT_KERNEL__
#include <pvkit/x86.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#endif

#define XS_POLL_MAX	64	/* callbacks per xs_poll(): a watch that re-triggers itself
				 * cannot keep the caller in here */
/* Transactions open at once that we keep track of (a resume must know them: their ids mean
 * nothing, or something else, on the new connection). More at once: -ENOSPC. */
#define XS_TXN_OPEN_MAX	16

/* One open transaction. */
struct xs_txn_slot {
	xs_transaction_t id;		/* xenstored's id for it */
	bool used;			/* started, not ended */
	bool stale;			/* opened before a resume: every use -EAGAIN, end frees */
};

static struct {
	struct xs_conn conn;		/* the ring and protocol state (xs_proto.c) */
	evtchn_port_t port;		/* the ring's event channel */
	uint64_t ring_pa;		/* where the ring is (xs_init): a resume compares */
	bool ready;			/* xs_init_ring() done: requests may be made */
	bool polling;			/* inside xs_poll(): it does not nest */
	int tx_err;			/* the req ring's indexes were impossible (last push) */
	uint64_t timeout_ns;		/* per request (xs_set_timeout) */
	struct xs_watch *watches;	/* registered, newest first */
	unsigned int next_token;	/* tokens are never reused: a stale event can't match */
	bool have_domid;		/* domid below was read */
	unsigned int domid;		/* cached by xs_domid() */
	char event[XENSTORE_PAYLOAD_MAX];	/* the event xs_poll() is delivering */
	char fmt[XENSTORE_PAYLOAD_MAX + 1];	/* xs_printf()'s formatted value */
	struct xs_txn_slot txn[XS_TXN_OPEN_MAX];	/* open transactions */
	struct xs_resume_stats resume;		/* xs_get_resume_stats() */
} xs = { .timeout_ns = XS_DEFAULT_TIMEOUT_NS };

/* ---- the ring ------------------------------------------------------------------------ */

/* Move bytes both ways; kick the other end when we did. Interrupts off. */
static void xs_pump(void)
{
	uint32_t in = xs_conn_rx(&xs.conn);
	int out = xs_conn_tx(&xs.conn);

	if (out < 0)
		xs.tx_err = out;
	if (in || out > 0)
		evtchn_send(xs.port);
}

/* The event handler (interrupt context): bytes only; callbacks wait for xs_poll(). */
static void xs_event(evtchn_port_t port, void *ctx)
{
	xs_pump();
}

/* os_wait_until() conditions: called with interrupts off, so they may pump themselves (an event
 * that got lost costs nothing but the halt it would have ended). */
static bool xs_reply_in(void *ctx)
{
	xs_pump();
	return xs.conn.pend.done;
}

static bool xs_tx_flushed(void *ctx)
{
	xs_pump();
	return !xs_conn_tx_busy(&xs.conn) || xs.tx_err;
}

static bool xs_event_queued(void *ctx)
{
	xs_pump();
	return !xs_conn_evq_empty(&xs.conn);
}

static uint64_t xs_left(uint64_t deadline)
{
	uint64_t now = os_clock_ns();

	return now >= deadline ? 0 : deadline - now;
}

/* The slot of open transaction @t, or NULL. */
static struct xs_txn_slot *xs_txn_find(xs_transaction_t t)
{
	for (unsigned int i = 0; i < XS_TXN_OPEN_MAX; i++)
		if (xs.txn[i].used && xs.txn[i].id == t)
			return &xs.txn[i];
	return NULL;
}

static bool xs_txn_stale(xs_transaction_t t)
{
	struct xs_txn_slot *slot = xs_txn_find(t);

	return slot && slot->stale;
}

/*
 * One request: @type with the @n pieces of @iov in transaction @t; waits for its reply.
 * Return: 0 with *reply (NUL appended; valid until the next request) and *rlen, or -errno:
 * the XS_ERROR mapped, -ETIMEDOUT, -EPROTO/-EMSGSIZE/-EBADMSG for a broken reply.
 */
static int xs_talk(uint32_t type, xs_transaction_t t, const struct xs_iov *iov, unsigned int n,
		   const char **reply, uint32_t *rlen)
{
	uint64_t deadline;
	unsigned long fl;
	size_t total = 0;
	uint32_t id;
	int err;

	for (unsigned int i = 0; i < n; i++)
		total += iov[i].len;
	if (total > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	if (!xs.ready)
		return -ENODEV;
	if (t != XS_TXN_NONE && xs_txn_stale(t))
		return -EAGAIN;		/* from before a resume: its caller starts again */
	deadline = os_clock_ns() + xs.timeout_ns;
	/* The tail of a request that timed out while being written goes first: the stream
	 * must stay framed (its late reply is then dropped as unmatched). */
	xs.tx_err = 0;
	err = os_wait_until(xs_tx_flushed, NULL, xs_left(deadline));
	if (!err && xs.tx_err)
		err = xs.tx_err;
	fl = pv_irq_save();
	if (!err)
		err = xs_conn_start(&xs.conn, type, t, iov, n, &id);
	if (!err)
		xs_pump();
	pv_irq_restore(fl);
	if (err == -ETIMEDOUT)
		xs.conn.stats.timeouts++;
	if (err)
		return err;

	err = os_wait_until(xs_reply_in, NULL, xs_left(deadline));
	fl = pv_irq_save();
	if (err) {
		xs.conn.stats.timeouts++;
		err = -ETIMEDOUT;
	} else {
		err = xs.conn.pend.err;
		*reply = xs.conn.reply;
		*rlen = xs.conn.reply_len;
	}
	xs_conn_abandon(&xs.conn);	/* done with it either way */
	pv_irq_restore(fl);
	return err;
}

/* A path as a request piece (with its NUL). */
static int xs_path_iov(const char *path, struct xs_iov *iov)
{
	size_t len;

	if (!path || !*path)
		return -EINVAL;
	len = strnlen(path, XENSTORE_ABS_PATH_MAX + 1);
	if (len > (path[0] == '/' ? XENSTORE_ABS_PATH_MAX : XENSTORE_REL_PATH_MAX))
		return -ENAMETOOLONG;
	*iov = (struct xs_iov){ path, len + 1 };
	return 0;
}

/* Requests whose payload is one path and whose reply is "OK". */
static int xs_path_op(uint32_t type, xs_transaction_t t, const char *path)
{
	struct xs_iov iov;
	const char *r;
	uint32_t n;
	int err = xs_path_iov(path, &iov);

	return err ? err : xs_talk(type, t, &iov, 1, &r, &n);
}

/* ---- setup ---------------------------------------------------------------------------- */

int xs_init_ring(struct xenstore_domain_interface *ring, evtchn_port_t port)
{
	int err;

	if (xs.ready)
		return -EALREADY;
	xs_conn_init(&xs.conn, ring);
	xs.port = port;
	err = evtchn_set_handler(port, xs_event, NULL);
	if (err)
		return err;
	err = evtchn_unmask(port);
	if (err)
		goto out_clear_handler;
	xs.ready = true;
	return 0;

out_clear_handler:
	evtchn_clear_handler(port);
	return err;
}

int xs_resume_ring(struct xenstore_domain_interface *ring, evtchn_port_t port)
{
	struct xs_stats stats = xs.conn.stats;
	uint32_t next_id = xs.conn.next_req_id;
	int err;

	if (!xs.ready)
		return -ENODEV;
	/* Interrupts are off (suspend.c): no request can be half-way, none is waited for: a
	 * request is made and waited for without the idle loop, which is where a suspend is
	 * taken. A queued watch event is dropped: every watch fires once when registered. */
	xs.ready = false;
	xs_conn_init(&xs.conn, ring);
	xs.conn.stats = stats;
	xs.conn.next_req_id = next_id;
	xs.port = port;
	xs.tx_err = 0;
	xs.have_domid = false;		/* a new domain has a new id */
	for (unsigned int i = 0; i < XS_TXN_OPEN_MAX; i++) {
		if (xs.txn[i].used && !xs.txn[i].stale) {
			xs.txn[i].stale = true;
			xs.resume.txn_stale++;
		}
	}
	err = evtchn_set_handler(port, xs_event, NULL);
	if (!err)
		err = evtchn_unmask(port);
	if (err)
		return err;
	xs.ready = true;
	xs.resume.resumes++;
	return 0;
}

static int xs_watch_op(uint32_t type, struct xs_watch *w);

int xs_resume_watches(void)
{
	int err, first = 0;

	for (struct xs_watch *w = xs.watches; w; w = w->next) {
		err = xs_watch_op(XS_WATCH, w);
		if (err) {
			xs.resume.watch_failed++;
			first = first ? first : err;
			continue;
		}
		xs.resume.watches++;
	}
	return first;
}

void xs_get_resume_stats(struct xs_resume_stats *st)
{
	*st = xs.resume;
}

void xs_reset(void)
{
	if (xs.ready) {
		evtchn_mask(xs.port);
		evtchn_clear_handler(xs.port);
	}
	xs.ready = false;
	xs.polling = false;
	xs.watches = NULL;
	xs.have_domid = false;
	xs.timeout_ns = XS_DEFAULT_TIMEOUT_NS;
	memset(xs.txn, 0, sizeof(xs.txn));
	memset(&xs.resume, 0, sizeof(xs.resume));
}

uint64_t xs_set_timeout(uint64_t ns)
{
	uint64_t old = xs.timeout_ns;

	xs.timeout_ns = ns;
	return old;
}

#ifdef __PVKIT_KERNEL__
static int xs_hvm_param(uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
	int err = HYPERVISOR_hvm_op(HVMOP_get_param, &p);

	if (!err)
		*value = p.value;
	return err;
}

/* Where the ring is: PV from start_info (a machine frame of our RAM), PVH from HVM params (a
 * frame outside RAM). Either way memremap gives us a mapping (the window for RAM). */
static int xs_locate(const struct boot_info *bi, uint64_t *pa, evtchn_port_t *port)
{
	uint64_t pfn, evtchn;
	int err;

	if (bi->env == BOOT_XEN_PV) {
#ifdef CONFIG_XEN_PV
		pfn = xen_pv_mfn_to_pfn(xen_start_info.store_mfn);
		if (pfn == ~0ul)
			return -EINVAL;
		*pa = pfn << PAGE_SHIFT;
		*port = xen_start_info.store_evtchn;
		return 0;
#else
		return -ENODEV;
#endif
	}
	err = xs_hvm_param(HVM_PARAM_STORE_PFN, &pfn);
	if (!err)
		err = xs_hvm_param(HVM_PARAM_STORE_EVTCHN, &evtchn);
	if (err)
		return err;
	if (!pfn || evtchn >= EVTCHN_NR_PORTS)
		return -ENOENT;			/* no xenstore for this domain */
	*pa = pfn << PAGE_SHIFT;
	*port = evtchn;
	return 0;
}

int xs_init(const struct boot_info *bi)
{
	struct xenstore_domain_interface *ring;
	evtchn_port_t port;
	unsigned int domid;
	uint64_t pa;
	int err;

	err = xs_locate(bi, &pa, &port);
	if (err)
		return err;
	ring = os_memremap(pa, PAGE_SIZE);
	if (!ring)
		return -ENOMEM;
	err = xs_init_ring(ring, port);
	if (err)
		goto out_unmap;
	err = xs_domid(&domid);		/* the first request: is anybody there? */
	if (err)
		goto out_reset;
	xs.ring_pa = pa;
	printk("pvkit: xenstore: ring %#lx evtchn %u, domid %u\n", pa, port, domid);
	return 0;

out_reset:
	xs_reset();
out_unmap:
	if (bi->env == BOOT_XEN_PVH)
		os_iounmap(ring, PAGE_SIZE);	/* PV's is the window: nothing to undo */
	return err;
}
int xs_resume(const struct boot_info *bi)
{
	struct xenstore_domain_interface *ring = xs.conn.ring;
	evtchn_port_t port;
	uint64_t pa;
	int err;

	err = xs_locate(bi, &pa, &port);
	if (err)
		return err;
	if (pa != xs.ring_pa) {
		/* PV: the window, nothing to unmap. PVH: the frame moved (not seen on Xen 4.17,
		 * which keeps HVM_PARAM_STORE_PFN): map the new one first. */
		ring = os_memremap(pa, PAGE_SIZE);
		if (!ring)
			return -ENOMEM;
		if (bi->env == BOOT_XEN_PVH)
			os_iounmap(xs.conn.ring, PAGE_SIZE);
		xs.ring_pa = pa;
	}
	return xs_resume_ring(ring, port);
}
#endif /* __PVKIT_KERNEL__ */

/* ---- nodes ---------------------------------------------------------------------------- */

int xs_read(xs_transaction_t t, const char *path, char *buf, size_t size, size_t *len)
{
	struct xs_iov iov;
	const char *r;
	uint32_t n;
	int err;

	err = xs_path_iov(path, &iov);
	if (err)
		return err;
	if (!buf || !size)
		return -EINVAL;
	err = xs_talk(XS_READ, t, &iov, 1, &r, &n);
	if (err)
		return err;
	if (n >= size)
		return -E2BIG;
	memcpy(buf, r, n);
	buf[n] = '\0';
	if (len)
		*len = n;
	return 0;
}

int xs_write(xs_transaction_t t, const char *path, const char *value)
{
	struct xs_iov iov[2];
	const char *r;
	uint32_t n;
	int err;

	err = xs_path_iov(path, &iov[0]);
	if (err)
		return err;
	if (!value)
		return -EINVAL;
	iov[1] = (struct xs_iov){ value, strnlen(value, XENSTORE_PAYLOAD_MAX + 1) };
	return xs_talk(XS_WRITE, t, iov, 2, &r, &n);	/* the value goes without its NUL */
}

int xs_vprintf(xs_transaction_t t, const char *path, const char *fmt, va_list ap)
{
	int n = vsnprintf(xs.fmt, sizeof(xs.fmt), fmt, ap);

	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(xs.fmt))
		return -E2BIG;
	return xs_write(t, path, xs.fmt);
}

int xs_printf(xs_transaction_t t, const char *path, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = xs_vprintf(t, path, fmt, ap);
	va_end(ap);
	return err;
}

int xs_read_ulong(xs_transaction_t t, const char *path, unsigned long *v)
{
	char buf[32];
	size_t len;
	int err;

	err = xs_read(t, path, buf, sizeof(buf), &len);
	if (err == -E2BIG)
		return -EINVAL;			/* longer than any number we take */
	if (err)
		return err;
	return xs_parse_ulong(buf, len, v);
}

int xs_mkdir(xs_transaction_t t, const char *path)
{
	return xs_path_op(XS_MKDIR, t, path);
}

int xs_rm(xs_transaction_t t, const char *path)
{
	return xs_path_op(XS_RM, t, path);
}

int xs_directory(xs_transaction_t t, const char *path, char *buf, size_t size,
		 unsigned int *count)
{
	struct xs_iov iov;
	const char *r;
	unsigned int c;
	uint32_t n;
	int err;

	err = xs_path_iov(path, &iov);
	if (err)
		return err;
	if (!buf || !size || !count)
		return -EINVAL;
	err = xs_talk(XS_DIRECTORY, t, &iov, 1, &r, &n);
	if (err)
		return err;
	err = xs_parse_directory(r, n, &c);	/* checked on arrival already; cheap */
	if (err)
		return err;
	if (n > size)
		return -E2BIG;
	memcpy(buf, r, n);
	if (n < size)
		buf[n] = '\0';
	*count = c;
	return 0;
}

int xs_domid(unsigned int *domid)
{
	unsigned long v;
	int err;

	if (xs.have_domid) {
		*domid = xs.domid;
		return 0;
	}
	err = xs_read_ulong(XS_TXN_NONE, "domid", &v);
	if (err)
		return err;
	if (v >= DOMID_FIRST_RESERVED)
		return -ERANGE;
	xs.domid = v;
	xs.have_domid = true;
	*domid = v;
	return 0;
}

/* ---- transactions --------------------------------------------------------------------- */

int xs_transaction_start(xs_transaction_t *t)
{
	const struct xs_iov iov = { "", 1 };
	unsigned long id;
	const char *r;
	uint32_t n;
	int err;

	struct xs_txn_slot *slot = NULL;

	if (!t)
		return -EINVAL;
	for (unsigned int i = 0; i < XS_TXN_OPEN_MAX && !slot; i++)
		if (!xs.txn[i].used)
			slot = &xs.txn[i];
	if (!slot)
		return -ENOSPC;		/* XS_TXN_OPEN_MAX open already */
	err = xs_talk(XS_TRANSACTION_START, XS_TXN_NONE, &iov, 1, &r, &n);
	if (err)
		return err;
	if (!n || xs_parse_ulong(r, n - 1, &id) || id == XS_TXN_NONE || id > UINT32_MAX ||
	    xs_txn_find(id))
		return -EPROTO;		/* 0 is "none"; an id that is open already is a lie */
	*slot = (struct xs_txn_slot){ .id = id, .used = true };
	*t = id;
	return 0;
}

int xs_transaction_end(xs_transaction_t t, bool abort)
{
	const struct xs_iov iov = { abort ? "F" : "T", 2 };
	const char *r;
	uint32_t n;

	struct xs_txn_slot *slot = xs_txn_find(t);
	int err;

	if (t == XS_TXN_NONE)
		return -EINVAL;
	/* A stale one (opened before a resume) is -EAGAIN without a request (xs_talk). */
	err = xs_talk(XS_TRANSACTION_END, t, &iov, 1, &r, &n);
	if (slot)		/* ended, lost (a timeout) or stale: ours to reuse either way */
		*slot = (struct xs_txn_slot){ 0 };
	return err;
}

int xs_transaction(int (*fn)(xs_transaction_t t, void *ctx), void *ctx)
{
	unsigned int retries = 0;
	xs_transaction_t t;
	int err;

	if (!fn)
		return -EINVAL;
	for (;;) {
		err = xs_transaction_start(&t);
		if (err)
			return err;
		err = fn(t, ctx);
		if (err) {
			xs_transaction_end(t, true);
			/* xenstored may refuse an operation of a doomed transaction early. */
			if (err != -EAGAIN)
				return err;
		} else {
			err = xs_transaction_end(t, false);
			if (err != -EAGAIN)
				return err;
		}
		if (retries++ == XS_TXN_RETRIES)
			return -EAGAIN;
		xs.conn.stats.txn_retries++;
	}
}

/* ---- watches -------------------------------------------------------------------------- */

static int xs_watch_op(uint32_t type, struct xs_watch *w)
{
	struct xs_iov iov[2];
	const char *r;
	uint32_t n;
	int err;

	err = xs_path_iov(w->path, &iov[0]);
	if (err)
		return err;
	iov[1] = (struct xs_iov){ w->token, strlen(w->token) + 1 };
	return xs_talk(type, XS_TXN_NONE, iov, 2, &r, &n);
}

int xs_watch(struct xs_watch *w)
{
	struct xs_iov iov;
	int err;

	if (!w || !w->cb || w->registered)
		return -EINVAL;
	err = xs_path_iov(w->path, &iov);
	if (err)
		return err;
	snprintf(w->token, sizeof(w->token), "pvk%u", xs.next_token++);
	err = xs_watch_op(XS_WATCH, w);
	if (err)
		return err;
	w->rerun = false;
	w->registered = true;
	w->next = xs.watches;
	xs.watches = w;
	return 0;
}

int xs_unwatch(struct xs_watch *w)
{
	if (!w || !w->registered)
		return -EINVAL;
	/* Forget it whatever xenstored says: its late events then find no token. */
	for (struct xs_watch **pp = &xs.watches; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->registered = false;
	w->next = NULL;
	return xs_watch_op(XS_UNWATCH, w);
}

static struct xs_watch *xs_watch_find(const char *token)
{
	for (struct xs_watch *w = xs.watches; w; w = w->next)
		if (!strcmp(w->token, token))
			return w;
	return NULL;
}

/* Events were lost to a full queue: every watch looks again, once. A callback may
 * (un)register watches, so the list is rescanned after each. */
static unsigned int xs_rerun_all(void)
{
	unsigned int ran = 0;
	struct xs_watch *w;

	for (w = xs.watches; w; w = w->next)
		w->rerun = true;
	for (;;) {
		for (w = xs.watches; w && !w->rerun; w = w->next)
			;
		if (!w)
			return ran;
		w->rerun = false;
		w->cb(w, w->path);
		ran++;
	}
}

unsigned int xs_poll(void)
{
	const char *path, *token;
	struct xs_watch *w;
	unsigned int ran = 0;
	unsigned long fl;
	size_t len;
	bool lost;
	int err;

	if (!xs.ready || xs.polling)
		return 0;
	xs.polling = true;
	while (ran < XS_POLL_MAX) {
		fl = pv_irq_save();
		err = xs_conn_evq_pop(&xs.conn, xs.event, sizeof(xs.event), &len);
		lost = xs.conn.evq_overflow;
		xs.conn.evq_overflow = false;
		pv_irq_restore(fl);
		if (lost)
			ran += xs_rerun_all();
		if (err)
			break;
		if (xs_parse_event(xs.event, len, &path, &token))
			continue;		/* checked when queued: cannot happen */
		w = xs_watch_find(token);
		if (!w) {
			xs.conn.stats.watch_dropped++;	/* unwatched meanwhile, or invented */
			continue;
		}
		w->cb(w, path);
		ran++;
	}
	xs.polling = false;
	return ran;
}

int xs_wait_event(uint64_t timeout_ns)
{
	unsigned int ran;
	int err;

	if (!xs.ready)
		return -ENODEV;
	if (xs.polling)
		return -EDEADLK;	/* from a callback: the events would never be run */
	err = os_wait_until(xs_event_queued, NULL, timeout_ns);
	ran = xs_poll();
	if (ran)
		return ran;
	return err ? -ETIMEDOUT : 0;
}

void xs_get_stats(struct xs_stats *s)
{
	unsigned long fl = pv_irq_save();

	*s = xs.conn.stats;
	pv_irq_restore(fl);
}
