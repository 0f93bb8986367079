// SPDX-License-Identifier: MIT
/*
 * The fake xenstored and fake kernel of tests/unit/fake_xenstored.h. The daemon is honest
 * about the protocol (it reads requests only after a kick, writes only into free ring space)
 * and checks every request the client sends: a malformed one is counted in bad_requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/pv.h>
#include <pvkit/os.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/xenstore.h>
#include "fake_xenstored.h"

#define FXS_MSG_MAX	(sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)
#define FXS_LATER_MAX	16
#define FXS_TXN_OPS	64
#define FXS_TXN_MAX	20		/* open at once (xenstored's default quota is 10; more
					 * here so the client's own bound is what is tested) */
#define FXS_RO_MAX	8
#define FXS_BUCKETS	256		/* node lookup by path hash (a power of 2) */
#define FXS_INLINE	112		/* path or value bytes kept in a node or op itself */

struct fxs fxs;
uint64_t fake_now_ns;
bool fake_irqs_on = true;

/* ---- the fake kernel ----------------------------------------------------------------- */

static unsigned long fk_save_fl(void) { return fake_irqs_on; }
static void fk_restore_fl(unsigned long fl) { fake_irqs_on = fl; }
static void fk_irq_disable(void) { fake_irqs_on = false; }
static void fk_irq_enable(void) { fake_irqs_on = true; }
static void fk_safe_halt(void) { fake_irqs_on = true; fxs_step(); }

static const struct pv_irq_ops fk_irq_ops = {
	.name = "fake",
	.save_fl = fk_save_fl,
	.restore_fl = fk_restore_fl,
	.irq_disable = fk_irq_disable,
	.irq_enable = fk_irq_enable,
	.safe_halt = fk_safe_halt,
};
const struct pv_irq_ops *pv_irq = &fk_irq_ops;

static uint64_t fk_clock_ns(void) { return fake_now_ns; }
static const struct pv_time_ops fk_time_ops = { .name = "fake", .clock_ns = fk_clock_ns };
const struct pv_time_ops *pv_time = &fk_time_ops;

/* Halting lets the daemon take a step (1 us). When it has nothing left to do, nothing will
 * ever change: the clock jumps to the deadline. */
int os_wait_until(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns)
{
	uint64_t deadline = fake_now_ns + timeout_ns;

	for (unsigned int i = 0; i < 1000000; i++) {
		bool ok;

		fake_irqs_on = false;
		ok = cond(ctx);
		fake_irqs_on = true;
		if (ok)
			return 0;
		if (fake_now_ns >= deadline)
			return -ETIMEDOUT;
		fake_now_ns += 1000;
		if (!fxs_step())
			fake_now_ns = MAX(fake_now_ns, deadline);
	}
	return -ETIMEDOUT;
}

static struct {
	evtchn_handler_t fn;		/* the client's handler */
	void *ctx;
	bool masked;
	bool pending;			/* raised while masked */
} fk_ev = { .masked = true };

int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx)
{
	if (port != FXS_PORT || !fn)
		return -EINVAL;
	if (fk_ev.fn)
		return -EBUSY;
	fk_ev.fn = fn;
	fk_ev.ctx = ctx;
	return 0;
}

void evtchn_clear_handler(evtchn_port_t port)
{
	fk_ev.fn = NULL;
	fk_ev.ctx = NULL;
}

static void fxs_raise(void);

int evtchn_unmask(evtchn_port_t port)
{
	if (port != FXS_PORT)
		return -EINVAL;
	fk_ev.masked = false;
	if (fk_ev.pending)
		fxs_raise();
	return 0;
}

int evtchn_mask(evtchn_port_t port)
{
	fk_ev.masked = true;
	return 0;
}

int evtchn_send(evtchn_port_t port)
{
	if (port != FXS_PORT)
		return -EINVAL;
	fxs.kicks++;
	return 0;
}

/* The upcall: only with interrupts on and the port unmasked, as Xen would. */
static void fxs_raise(void)
{
	if (!fk_ev.fn || fk_ev.masked) {
		fk_ev.pending = true;
		return;
	}
	if (!fake_irqs_on) {
		fxs.irq_violations++;
		fk_ev.pending = true;
		return;
	}
	fk_ev.pending = false;
	fake_irqs_on = false;
	fxs.upcalls++;
	fk_ev.fn(FXS_PORT, fk_ev.ctx);
	fake_irqs_on = true;
}

/* ---- the store ----------------------------------------------------------------------- */

/* Nodes and transaction entries keep short strings in themselves and removed nodes are kept
 * for the next ones: a fuzzer's every input made some 470 heap calls here, under ASan (a stack
 * trace each) a fifth of its time (docs/testing.md, issue 12 item 13). */
struct fnode {
	char *path;			/* absolute (path_buf, or the heap if longer) */
	char *val;			/* value bytes + NUL for printing (val_buf or the heap) */
	uint32_t len;
	uint32_t hash;			/* of path: lookups compare it before the string */
	struct fnode *next;		/* every node (listing, subtree removal); spare list */
	struct fnode *hnext;		/* the nodes of its hash bucket */
	char path_buf[FXS_INLINE], val_buf[FXS_INLINE];
};

struct fwatch {
	char *path;			/* as the client gave it */
	char *abs;			/* absolute */
	char *token;
	struct fwatch *next;
};

struct ftxn_op {
	int type;			/* XS_WRITE, XS_MKDIR, XS_RM */
	char *path;			/* absolute (path_buf or the heap) */
	char *val;			/* (val_buf or the heap) */
	uint32_t len;
	char path_buf[FXS_INLINE], val_buf[FXS_INLINE];
};

static struct fnode *fnode_spare;	/* removed nodes, for the next ones (fxs_fini frees) */

/* *@dst := @len bytes of @src and a NUL, in @buf when they fit, else on the heap. */
static void fxs_store(char **dst, char *buf, const char *src, uint32_t len)
{
	if (*dst != buf)
		free(*dst);
	*dst = len < FXS_INLINE ? buf : malloc(len + 1);
	memcpy(*dst, src, len);
	(*dst)[len] = '\0';
}

/* Let go of what fxs_store put on the heap. */
static void fxs_unstore(char **dst, char *buf)
{
	if (*dst != buf)
		free(*dst);
	*dst = NULL;
}

static struct {
	struct fnode *nodes;
	/* A fuzzer asks for nodes thousands of times per input: a walk of every node with
	 * strcmp made a third of its time (docs/testing.md, issue 12 item 13). */
	struct fnode *bucket[FXS_BUCKETS];	/* by path hash: lookups */
	struct fwatch *watches;
	char home[64];			/* /local/domain/<domid> */
	uint64_t gen;			/* bumped by every change: transactions conflict on it */
	struct {
		uint32_t id;
		uint64_t gen;		/* store generation at start */
		unsigned int nops;
		struct ftxn_op ops[FXS_TXN_OPS];
	} txn[FXS_TXN_MAX];		/* open transactions (id 0: free slot) */
	uint32_t next_txn;
	const char *ro[FXS_RO_MAX];	/* read-only prefixes */
	struct { unsigned int steps; char path[128]; char val[128]; } later[FXS_LATER_MAX];
	/* Daemon side of the rings. */
	XENSTORE_RING_IDX req_cons, rsp_prod;	/* ours */
	uint8_t req[FXS_MSG_MAX];		/* request being assembled */
	uint32_t req_have;
	uint8_t out[FXS_OUT_MAX];		/* bytes for the rsp ring */
	uint32_t out_len;
	unsigned int pulled_kicks;		/* kicks seen when we last read requests */
	unsigned int push_kicks;		/* kicks seen when the rsp ring was last full */
	bool push_blocked;			/* full: wait for a kick */
} st;

static bool fxs_under(const char *path, const char *top)
{
	size_t n = strlen(top);

	return !strncmp(path, top, n) && (path[n] == '\0' || path[n] == '/');
}

/* FNV-1a of @path. */
static uint32_t fnode_hash(const char *path)
{
	uint32_t h = 2166136261u;

	for (; *path; path++)
		h = (h ^ (uint8_t)*path) * 16777619u;
	return h;
}

static struct fnode *fnode_find(const char *path)
{
	uint32_t h = fnode_hash(path);

	for (struct fnode *n = st.bucket[h % FXS_BUCKETS]; n; n = n->hnext)
		if (n->hash == h && !strcmp(n->path, path))
			return n;
	return NULL;
}

static void fnode_put(const char *path, const char *val, uint32_t len)
{
	struct fnode *n = fnode_find(path);
	char parent[XENSTORE_ABS_PATH_MAX + 1];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {		/* xenstored creates missing parents */
		*slash = '\0';
		if (!fnode_find(parent))
			fnode_put(parent, "", 0);
	}
	if (!n) {
		n = fnode_spare;
		if (n)
			fnode_spare = n->next;
		else
			n = calloc(1, sizeof(*n));
		fxs_store(&n->path, n->path_buf, path, strlen(path));
		n->hash = fnode_hash(path);
		n->next = st.nodes;
		st.nodes = n;
		n->hnext = st.bucket[n->hash % FXS_BUCKETS];
		st.bucket[n->hash % FXS_BUCKETS] = n;
	}
	fxs_store(&n->val, n->val_buf, val, len);
	n->len = len;
	st.gen++;
}

static void fnode_rm(const char *victim)
{
	char path[XENSTORE_ABS_PATH_MAX + 1];

	snprintf(path, sizeof(path), "%s", victim);	/* may be a node's own path */
	for (struct fnode **pp = &st.nodes; *pp;) {
		struct fnode *n = *pp;

		if (fxs_under(n->path, path)) {
			struct fnode **hp = &st.bucket[n->hash % FXS_BUCKETS];

			while (*hp != n)
				hp = &(*hp)->hnext;
			*hp = n->hnext;
			*pp = n->next;
			fxs_unstore(&n->path, n->path_buf);
			fxs_unstore(&n->val, n->val_buf);
			n->next = fnode_spare;
			fnode_spare = n;
		} else {
			pp = &n->next;
		}
	}
	st.gen++;
}

/* Watch events for a change at @path (a removal also fires watches below it). */
static void fxs_fire(const char *path, bool removal)
{
	for (struct fwatch *w = st.watches; w; w = w->next) {
		char ev[XENSTORE_PAYLOAD_MAX];
		const char *p = path;
		size_t hl = strlen(st.home);
		int n;

		if (!fxs_under(path, w->abs) && !(removal && fxs_under(w->abs, path)))
			continue;
		if (w->path[0] != '/' && !strncmp(path, st.home, hl) && path[hl] == '/')
			p = path + hl + 1;	/* relative watch: relative event path */
		n = snprintf(ev, sizeof(ev), "%s%c%s", p, 0, w->token);
		fxs_send(XS_WATCH_EVENT, 0, 0, ev, n + 1);
	}
}

void fxs_set(const char *path, const char *value)
{
	fnode_put(path, value, strlen(value));
	fxs_fire(path, false);
}

void fxs_set_bytes(const char *path, const void *value, uint32_t len)
{
	fnode_put(path, value, len);
	fxs_fire(path, false);
}

const char *fxs_get(const char *path)
{
	struct fnode *n = fnode_find(path);

	return n ? n->val : NULL;
}

void fxs_rm(const char *path)
{
	fnode_rm(path);
	fxs_fire(path, true);
}

void fxs_perm_ro(const char *prefix)
{
	for (int i = 0; i < FXS_RO_MAX; i++)
		if (!st.ro[i]) {
			st.ro[i] = prefix;
			return;
		}
}

void fxs_later(unsigned int steps, const char *path, const char *value)
{
	for (int i = 0; i < FXS_LATER_MAX; i++)
		if (!st.later[i].steps) {
			st.later[i].steps = steps + 1;
			snprintf(st.later[i].path, sizeof(st.later[i].path), "%s", path);
			snprintf(st.later[i].val, sizeof(st.later[i].val), "%s", value);
			return;
		}
}

unsigned int fxs_nr_watches(void)
{
	unsigned int n = 0;

	for (struct fwatch *w = st.watches; w; w = w->next)
		n++;
	return n;
}

/* ---- output -------------------------------------------------------------------------- */

void fxs_send_raw(const void *p, uint32_t len)
{
	if (st.out_len + len > FXS_OUT_MAX) {
		fprintf(stderr, "fake xenstored: output overflow\n");
		abort();
	}
	memcpy(st.out + st.out_len, p, len);
	st.out_len += len;
}

void fxs_send(uint32_t type, uint32_t req_id, uint32_t tx_id, const void *p, uint32_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx_id, .len = len };

	fxs_send_raw(&h, sizeof(h));
	fxs_send_raw(p, len);
}

uint32_t fxs_out_pending(void)
{
	return st.out_len;
}

/* A reply, with the fault asked for. */
static void fxs_reply(const struct xsd_sockmsg *req, uint32_t type, const void *p, uint32_t len)
{
	enum fxs_fault f = fxs.fault;
	uint32_t id = req->req_id;
	struct xsd_sockmsg h;

	fxs.fault = FXS_OK;
	switch (f) {
	case FXS_BAD_LEN:
		h = (struct xsd_sockmsg){ type, id, req->tx_id, XENSTORE_PAYLOAD_MAX + 1 };
		fxs_send_raw(&h, sizeof(h));
		fxs_send_raw(p, len);
		return;
	case FXS_BAD_TYPE:
		type = 999;
		break;
	case FXS_WRONG_TYPE:
		type = type == XS_READ ? XS_WRITE : XS_READ;
		break;
	case FXS_BAD_REQID:
		id += 1000;
		break;
	case FXS_NO_NUL:
		if (len && !((const char *)p)[len - 1])
			len--;
		break;
	case FXS_DUP:
		fxs_send(type, id, req->tx_id, p, len);
		break;
	case FXS_BAD_ERRSTR:
		type = XS_ERROR;
		p = "EWHATEVER";
		len = 10;
		break;
	case FXS_DROP:
		return;
	case FXS_JUMP:
		fxs_jump_rsp_prod(5000);
		return;
	case FXS_OK:
		break;
	}
	fxs_send(type, id, req->tx_id, p, len);
}

static void fxs_error(const struct xsd_sockmsg *req, const char *name)
{
	fxs_reply(req, XS_ERROR, name, strlen(name) + 1);
}

static void fxs_ack(const struct xsd_sockmsg *req)
{
	fxs_reply(req, req->type, "OK", 3);
}

/* ---- requests ------------------------------------------------------------------------ */

static void fxs_abs(char *buf, size_t size, const char *path)
{
	if (path[0] == '/')
		snprintf(buf, size, "%s", path);
	else
		snprintf(buf, size, "%s/%s", st.home, path);
}

static bool fxs_writable(const char *abs)
{
	if (!fxs_under(abs, st.home))
		return false;
	for (int i = 0; i < FXS_RO_MAX && st.ro[i]; i++)
		if (fxs_under(abs, st.ro[i]))
			return false;
	return true;
}

/* Count the NUL-terminated strings of a payload; -1 if it does not end in a NUL. */
static int fxs_strings(const char *p, uint32_t len)
{
	int n = 0;

	if (!len || p[len - 1])
		return -1;
	for (uint32_t i = 0; i < len; i++)
		n += !p[i];
	return n;
}

static int fxs_txn_slot(uint32_t id)
{
	for (int i = 0; i < FXS_TXN_MAX; i++)
		if (id && st.txn[i].id == id)
			return i;
	return -1;
}

/* Read @abs as transaction @slot sees it: 1 with *val and *len, 0 absent. */
static int fxs_txn_read(int slot, const char *abs, const char **val, uint32_t *len)
{
	struct fnode *n;

	if (slot >= 0) {
		for (int i = st.txn[slot].nops - 1; i >= 0; i--) {
			struct ftxn_op *op = &st.txn[slot].ops[i];

			if (op->type == XS_RM && fxs_under(abs, op->path))
				return 0;
			if (op->type != XS_RM && !strcmp(op->path, abs)) {
				*val = op->val;
				*len = op->len;
				return 1;
			}
		}
	}
	n = fnode_find(abs);
	if (!n)
		return 0;
	*val = n->val;
	*len = n->len;
	return 1;
}

static void fxs_txn_log(int slot, int type, const char *abs, const char *val, uint32_t len)
{
	struct ftxn_op *op = &st.txn[slot].ops[st.txn[slot].nops++];

	op->type = type;
	fxs_store(&op->path, op->path_buf, abs, strlen(abs));
	fxs_store(&op->val, op->val_buf, val, len);
	op->len = len;
}

static void fxs_txn_free(int slot)
{
	for (unsigned int i = 0; i < st.txn[slot].nops; i++) {
		fxs_unstore(&st.txn[slot].ops[i].path, st.txn[slot].ops[i].path_buf);
		fxs_unstore(&st.txn[slot].ops[i].val, st.txn[slot].ops[i].val_buf);
	}
	st.txn[slot].id = 0;		/* free slot (the ops' buffers are reused) */
	st.txn[slot].gen = 0;
	st.txn[slot].nops = 0;
}

/* A change by the client: logged in its transaction, or done and fired now. */
static void fxs_change(int slot, int type, const char *abs, const char *val, uint32_t len)
{
	if (slot >= 0) {
		fxs_txn_log(slot, type, abs, val, len);
		return;
	}
	if (type == XS_RM) {
		fnode_rm(abs);
		fxs_fire(abs, true);
	} else {
		if (type == XS_MKDIR && fnode_find(abs))
			return;
		fnode_put(abs, val, len);
		fxs_fire(abs, false);
	}
}

static void fxs_directory(const struct xsd_sockmsg *h, const char *abs)
{
	char out[XENSTORE_PAYLOAD_MAX];
	uint32_t len = 0;
	size_t al = strlen(abs);

	if (!fnode_find(abs)) {
		fxs_error(h, "ENOENT");
		return;
	}
	for (struct fnode *n = st.nodes; n; n = n->next) {
		const char *name = n->path + al + 1;

		if (strncmp(n->path, abs, al) || n->path[al] != '/' || strchr(name, '/'))
			continue;
		if (len + strlen(name) + 1 > sizeof(out)) {
			fxs_error(h, "E2BIG");
			return;
		}
		memcpy(out + len, name, strlen(name) + 1);
		len += strlen(name) + 1;
	}
	fxs_reply(h, XS_DIRECTORY, out, len);
}

static void fxs_txn_end(const struct xsd_sockmsg *h, int slot, const char *p)
{
	bool commit = p[0] == 'T';

	if (slot < 0) {
		fxs_error(h, "ENOENT");
		return;
	}
	if (commit) {
		fxs.commits++;
		if (fxs.race_path) {		/* dom0 gets in first */
			fxs_set(fxs.race_path, fxs.race_value);
			fxs.race_path = NULL;
		}
		if (fxs.force_eagain || st.gen != st.txn[slot].gen) {
			if (fxs.force_eagain)
				fxs.force_eagain--;
			fxs.conflicts++;
			fxs_txn_free(slot);
			fxs_error(h, "EAGAIN");
			return;
		}
		for (unsigned int i = 0; i < st.txn[slot].nops; i++) {
			struct ftxn_op *op = &st.txn[slot].ops[i];

			fxs_change(-1, op->type, op->path, op->val, op->len);
		}
	}
	fxs_txn_free(slot);
	fxs_ack(h);
}

static void fxs_watch(const struct xsd_sockmsg *h, const char *path, const char *token)
{
	struct fwatch *w;
	char abs[XENSTORE_ABS_PATH_MAX + 64];

	if (h->type == XS_UNWATCH) {
		for (struct fwatch **pp = &st.watches; *pp; pp = &(*pp)->next) {
			w = *pp;
			if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
				*pp = w->next;
				free(w->path);
				free(w->abs);
				free(w->token);
				free(w);
				fxs_ack(h);
				return;
			}
		}
		fxs_error(h, "ENOENT");
		return;
	}
	fxs_abs(abs, sizeof(abs), path);
	w = calloc(1, sizeof(*w));
	w->path = strdup(path);
	w->abs = strdup(abs);
	w->token = strdup(token);
	w->next = st.watches;
	st.watches = w;
	fxs_ack(h);
	char ev[XENSTORE_PAYLOAD_MAX];
	int n = snprintf(ev, sizeof(ev), "%s%c%s", path, 0, token);

	fxs_send(XS_WATCH_EVENT, 0, 0, ev, n + 1);	/* a new watch fires once */
}

/* The payload shape each request must have (the oracle for what the client sends). */
static bool fxs_request_ok(const struct xsd_sockmsg *h, const char *p)
{
	int strings = fxs_strings(p, h->len);

	switch (h->type) {
	case XS_READ: case XS_MKDIR: case XS_RM: case XS_DIRECTORY:
		return strings == 1 && p[0];
	case XS_WRITE:
		return memchr(p, 0, h->len) && p[0];
	case XS_WATCH: case XS_UNWATCH:
		return strings == 2 && p[0] && p[strlen(p) + 1];
	case XS_TRANSACTION_START:
		return h->len == 1 && !p[0] && h->tx_id == 0;
	case XS_TRANSACTION_END:
		return h->len == 2 && (p[0] == 'T' || p[0] == 'F') && !p[1];
	default:
		return false;
	}
}

static void fxs_handle(const struct xsd_sockmsg *h, const char *p)
{
	char abs[XENSTORE_ABS_PATH_MAX + 64];
	int slot = fxs_txn_slot(h->tx_id);
	const char *val;
	uint32_t len;

	if (!fxs_request_ok(h, p)) {
		fxs.bad_requests++;
		fxs_error(h, "EINVAL");
		return;
	}
	fxs.requests[h->type]++;
	if (h->len > fxs.max_req_len)
		fxs.max_req_len = h->len;
	if (h->tx_id && slot < 0 && h->type != XS_TRANSACTION_END) {
		fxs_error(h, "ENOENT");
		return;
	}
	if (h->type != XS_TRANSACTION_START && h->type != XS_TRANSACTION_END)
		fxs_abs(abs, sizeof(abs), p);
	switch (h->type) {
	case XS_READ:
		if (!fxs_txn_read(slot, abs, &val, &len))
			fxs_error(h, "ENOENT");
		else
			fxs_reply(h, XS_READ, val, len);
		return;
	case XS_WRITE:
	case XS_MKDIR:
	case XS_RM:
		if (!fxs_writable(abs)) {
			fxs_error(h, "EACCES");
			return;
		}
		len = h->type == XS_WRITE ? h->len - strlen(p) - 1 : 0;
		fxs_change(slot, h->type, abs, h->type == XS_WRITE ? p + strlen(p) + 1 : "", len);
		fxs_ack(h);
		return;
	case XS_DIRECTORY:
		fxs_directory(h, abs);
		return;
	case XS_WATCH:
	case XS_UNWATCH:
		fxs_watch(h, p, p + strlen(p) + 1);
		return;
	case XS_TRANSACTION_START:
		for (slot = 0; slot < FXS_TXN_MAX && st.txn[slot].id; slot++)
			;
		if (slot == FXS_TXN_MAX) {
			fxs_error(h, "ENOSPC");
			return;
		}
		st.txn[slot].id = ++st.next_txn;
		st.txn[slot].gen = st.gen;
		len = snprintf(abs, sizeof(abs), "%u", st.txn[slot].id) + 1;
		fxs_reply(h, XS_TRANSACTION_START, abs, len);
		return;
	case XS_TRANSACTION_END:
		fxs_txn_end(h, slot, p);
		return;
	}
}

/* ---- the rings ----------------------------------------------------------------------- */

static bool fxs_pull(void)
{
	struct xenstore_domain_interface *r = fxs.ring;
	uint32_t avail;
	bool did = false;

	if (fxs.req_stuck || fxs.kicks == st.pulled_kicks)
		return false;			/* xenstored sleeps until kicked */
	st.pulled_kicks = fxs.kicks;
	avail = r->req_prod - st.req_cons;
	if (avail > XENSTORE_RING_SIZE) {
		fxs.bad_requests++;
		return false;
	}
	while (avail) {
		struct xsd_sockmsg *h = (struct xsd_sockmsg *)st.req;
		uint32_t want = st.req_have < sizeof(*h) ? sizeof(*h) - st.req_have
							   : sizeof(*h) + h->len - st.req_have;
		uint32_t n = MIN(want, avail);

		for (uint32_t i = 0; i < n; i++)
			st.req[st.req_have + i] = r->req[MASK_XENSTORE_IDX(st.req_cons + i)];
		st.req_cons += n;
		st.req_have += n;
		avail -= n;
		did = true;
		if (st.req_have == sizeof(*h) && h->len > XENSTORE_PAYLOAD_MAX) {
			fxs.bad_requests++;
			st.req_have = 0;
			continue;
		}
		if (st.req_have >= sizeof(*h) && st.req_have == sizeof(*h) + h->len) {
			char payload[XENSTORE_PAYLOAD_MAX + 1];

			memcpy(payload, st.req + sizeof(*h), h->len);
			payload[h->len] = '\0';
			st.req_have = 0;
			if (h->type < XS_TYPE_COUNT)
				fxs_handle(h, payload);
			else
				fxs.bad_requests++;
		}
	}
	r->req_cons = st.req_cons;
	return did;
}

static bool fxs_push(void)
{
	struct xenstore_domain_interface *r = fxs.ring;
	uint32_t used, n;

	if (fxs.stall || !st.out_len)
		return false;
	if (st.push_blocked && fxs.kicks == st.push_kicks)
		return false;			/* ring was full: wait for the client's kick */
	used = st.rsp_prod - r->rsp_cons;
	if (used > XENSTORE_RING_SIZE) {
		fxs.bad_requests++;		/* the client's consumer index is impossible */
		return false;
	}
	n = MIN(XENSTORE_RING_SIZE - used, st.out_len);
	if (fxs.chunk)
		n = MIN(n, fxs.chunk);
	if (!n) {
		st.push_blocked = true;
		st.push_kicks = fxs.kicks;
		return false;
	}
	st.push_blocked = false;
	for (uint32_t i = 0; i < n; i++)
		r->rsp[MASK_XENSTORE_IDX(st.rsp_prod + i)] = st.out[i];
	__sync_synchronize();
	st.rsp_prod += n;
	r->rsp_prod = st.rsp_prod;
	memmove(st.out, st.out + n, st.out_len - n);
	st.out_len -= n;
	return true;
}

void fxs_jump_rsp_prod(int64_t delta)
{
	st.rsp_prod += (uint32_t)delta;
	fxs.ring->rsp_prod = st.rsp_prod;
	fxs_raise();
}

static bool fxs_tick_later(void)
{
	bool did = false;

	for (int i = 0; i < FXS_LATER_MAX; i++) {
		if (!st.later[i].steps)
			continue;
		did = true;
		if (--st.later[i].steps == 0)
			fxs_set(st.later[i].path, st.later[i].val);
	}
	return did;
}

bool fxs_step(void)
{
	bool did = fxs_pull();

	did |= fxs_tick_later();
	if (fxs_push()) {
		did = true;
		fxs_raise();
	} else if (did) {
		fxs_raise();			/* we consumed requests: the client may wait for space */
	}
	return did;
}

void fxs_pump(void)
{
	for (unsigned int i = 0; i < 1000; i++) {
		bool moved = fxs_step();

		if (!xs_poll() && !moved)
			break;
	}
}

void fxs_run(void)
{
	for (int i = 0; i < 100000 && fxs_step(); i++)
		;
}

/* ---- lifecycle ----------------------------------------------------------------------- */

void fxs_init(unsigned int domid, const char *name, uint32_t start_idx)
{
	char path[128], val[32];

	fxs_fini();
	memset(&fxs, 0, sizeof(fxs));
	fxs.ring = calloc(1, 4096);
	fxs.domid = domid;
	fxs.ring->req_prod = fxs.ring->req_cons = start_idx;
	fxs.ring->rsp_prod = fxs.ring->rsp_cons = start_idx;
	st.req_cons = st.rsp_prod = start_idx;
	snprintf(st.home, sizeof(st.home), "/local/domain/%u", domid);
	snprintf(path, sizeof(path), "%s/domid", st.home);
	snprintf(val, sizeof(val), "%u", domid);
	fnode_put(path, val, strlen(val));
	snprintf(path, sizeof(path), "%s/name", st.home);
	fnode_put(path, name, strlen(name));
	snprintf(path, sizeof(path), "%s/data", st.home);
	fnode_put(path, "", 0);
	fk_ev.masked = true;
	fk_ev.pending = false;
	fake_irqs_on = true;
}

void fxs_fini(void)
{
	while (st.nodes)
		fnode_rm(st.nodes->path);
	while (st.watches) {
		struct fwatch *w = st.watches;

		st.watches = w->next;
		free(w->path);
		free(w->abs);
		free(w->token);
		free(w);
	}
	for (int i = 0; i < FXS_TXN_MAX; i++)
		fxs_txn_free(i);
	while (fnode_spare) {
		struct fnode *n = fnode_spare;

		fnode_spare = n->next;
		free(n);
	}
	memset(&st, 0, sizeof(st));
	free(fxs.ring);
	fxs.ring = NULL;
	fk_ev.fn = NULL;
}
