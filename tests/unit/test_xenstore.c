// SPDX-License-Identifier: MIT
/*
 * The xenstore client (xen-guest/xenstore.c, xs_proto.c) and xenbus (xenbus.c) against the
 * in-process fake xenstored of fake_xenstored.c: every operation, transactions with forced
 * and real conflicts, watches, and each hostile reply the client must survive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/xen/xenbus.h>
#include <pvkit/xen/xenstore.h>
#include "../../xen-guest/xs_proto.h"
#include "fake_xenstored.h"
#include "unit.h"

#define DOMID		5
#define HOME		"/local/domain/5"
#define SEC		1000000000ull

/* A fresh daemon and client; @start_idx places the ring indexes. */
static void setup_at(uint32_t start_idx)
{
	xs_reset();
	fxs_init(DOMID, "guest-five", start_idx);
	CHECK(xs_init_ring(fxs.ring, FXS_PORT) == 0);
}

static void setup(void)
{
	setup_at(0);
}

static struct xs_stats stats(void)
{
	struct xs_stats s;

	xs_get_stats(&s);
	return s;
}

/* Invariants every case ends with: the client sent nothing malformed, no upcall came with
 * interrupts off, and the client still works (a read after whatever happened). */
static void teardown(void)
{
	char buf[64];

	CHECKF(fxs.bad_requests == 0, "%u malformed requests", fxs.bad_requests);
	CHECKF(fxs.irq_violations == 0, "%u upcalls with interrupts off", fxs.irq_violations);
	fxs.fault = FXS_OK;
	fxs.stall = false;
	fxs.chunk = 0;
	fxs.req_stuck = false;
	CHECK(xs_read(XS_TXN_NONE, "name", buf, sizeof(buf), NULL) == 0);
	CHECK(!strcmp(buf, "guest-five"));
}

static bool read_is(const char *path, const char *want)
{
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	size_t len;

	return xs_read(XS_TXN_NONE, path, buf, sizeof(buf), &len) == 0 && len == strlen(want) &&
	       !strcmp(buf, want);
}

/* ---- operations ----------------------------------------------------------------------- */

static void test_read_write(void)
{
	char buf[16];
	size_t len = 99;
	unsigned int domid = 0;

	setup();
	CHECK(xs_write(XS_TXN_NONE, "data/a", "hello") == 0);
	CHECK(fxs_get(HOME "/data/a") && !strcmp(fxs_get(HOME "/data/a"), "hello"));
	CHECK(xs_read(XS_TXN_NONE, "data/a", buf, sizeof(buf), &len) == 0);
	CHECK(len == 5 && !strcmp(buf, "hello"));
	CHECK(xs_read(XS_TXN_NONE, HOME "/data/a", buf, sizeof(buf), NULL) == 0);	/* absolute */
	CHECK(xs_read(XS_TXN_NONE, "data/a", buf, 5, &len) == -E2BIG);	/* no room for NUL */
	CHECK(xs_read(XS_TXN_NONE, "data/missing", buf, sizeof(buf), &len) == -ENOENT);
	CHECK(xs_write(XS_TXN_NONE, "/local/domain/0/x", "no") == -EACCES);
	CHECK(xs_write(XS_TXN_NONE, "data/empty", "") == 0);
	CHECK(xs_read(XS_TXN_NONE, "data/empty", buf, sizeof(buf), &len) == 0 && len == 0);
	CHECK(xs_printf(XS_TXN_NONE, "data/n", "%u-%s", 42, "x") == 0);
	CHECK(read_is("data/n", "42-x"));
	CHECK(xs_domid(&domid) == 0 && domid == DOMID);
	CHECK(stats().errors == 2);		/* ENOENT, EACCES (E2BIG was ours) */
	teardown();
}

static void test_read_ulong(void)
{
	unsigned long v = 0;

	setup();
	fxs_set(HOME "/data/num", "42");
	fxs_set(HOME "/data/hex", "0x10");
	fxs_set(HOME "/data/neg", "-1");
	fxs_set(HOME "/data/big", "18446744073709551616");
	fxs_set(HOME "/data/empty", "");
	CHECK(xs_read_ulong(XS_TXN_NONE, "data/num", &v) == 0 && v == 42);
	CHECK(xs_read_ulong(XS_TXN_NONE, "data/hex", &v) == -EINVAL);
	CHECK(xs_read_ulong(XS_TXN_NONE, "data/neg", &v) == -EINVAL);
	CHECK(xs_read_ulong(XS_TXN_NONE, "data/big", &v) == -ERANGE);
	CHECK(xs_read_ulong(XS_TXN_NONE, "data/empty", &v) == -EINVAL);
	CHECK(xs_read_ulong(XS_TXN_NONE, "data/none", &v) == -ENOENT);
	CHECK(v == 42);
	teardown();
}

static bool dir_has(const char *buf, unsigned int count, const char *name)
{
	for (unsigned int i = 0; i < count; i++, buf += strlen(buf) + 1)
		if (!strcmp(buf, name))
			return true;
	return false;
}

static void test_mkdir_rm_directory(void)
{
	char buf[64];
	unsigned int count = 99;

	setup();
	CHECK(xs_mkdir(XS_TXN_NONE, "data/d") == 0);
	CHECK(fxs_get(HOME "/data/d") != NULL);
	CHECK(xs_write(XS_TXN_NONE, "data/d/x", "1") == 0);
	CHECK(xs_write(XS_TXN_NONE, "data/d/yy", "2") == 0);
	CHECK(xs_directory(XS_TXN_NONE, "data/d", buf, sizeof(buf), &count) == 0);
	CHECK(count == 2 && dir_has(buf, count, "x") && dir_has(buf, count, "yy"));
	CHECK(xs_directory(XS_TXN_NONE, "data/d", buf, 4, &count) == -E2BIG);	/* "x\0yy\0" */
	CHECK(xs_rm(XS_TXN_NONE, "data/d/x") == 0);
	CHECK(fxs_get(HOME "/data/d/x") == NULL);
	CHECK(xs_directory(XS_TXN_NONE, "data/d", buf, sizeof(buf), &count) == 0 && count == 1);
	CHECK(xs_rm(XS_TXN_NONE, "data/d") == 0);
	CHECK(fxs_get(HOME "/data/d/yy") == NULL);
	CHECK(xs_directory(XS_TXN_NONE, "data/d", buf, sizeof(buf), &count) == -ENOENT);
	CHECK(xs_mkdir(XS_TXN_NONE, "data/e") == 0);
	CHECK(xs_directory(XS_TXN_NONE, "data/e", buf, sizeof(buf), &count) == 0 && count == 0);
	teardown();
}

/* Check, then act: a bad argument sends nothing. */
static void test_arguments(void)
{
	static char longpath[XENSTORE_REL_PATH_MAX + 2];
	static char big[XENSTORE_PAYLOAD_MAX + 1];
	char buf[8];
	unsigned int kicks;

	setup();
	memset(longpath, 'a', sizeof(longpath) - 1);
	memset(big, 'v', sizeof(big) - 1);
	kicks = fxs.kicks;
	CHECK(xs_read(XS_TXN_NONE, NULL, buf, sizeof(buf), NULL) == -EINVAL);
	CHECK(xs_read(XS_TXN_NONE, "", buf, sizeof(buf), NULL) == -EINVAL);
	CHECK(xs_read(XS_TXN_NONE, "data", NULL, 0, NULL) == -EINVAL);
	CHECK(xs_read(XS_TXN_NONE, longpath, buf, sizeof(buf), NULL) == -ENAMETOOLONG);
	CHECK(xs_write(XS_TXN_NONE, "data/x", NULL) == -EINVAL);
	CHECK(xs_write(XS_TXN_NONE, "data/x", big) == -E2BIG);	/* path + value > 4096 */
	CHECK(xs_printf(XS_TXN_NONE, "data/x", "%s", big) == -E2BIG);
	CHECK(xs_directory(XS_TXN_NONE, "data", buf, sizeof(buf), NULL) == -EINVAL);
	CHECK(xs_transaction_end(XS_TXN_NONE, false) == -EINVAL);
	CHECK(xs_transaction(NULL, NULL) == -EINVAL);
	CHECK(xs_watch(NULL) == -EINVAL);
	CHECK(xs_unwatch(&(struct xs_watch){ .path = "x" }) == -EINVAL);
	CHECKF(fxs.kicks == kicks, "%u kicks for refused requests", fxs.kicks - kicks);
	CHECK(stats().requests == 0);
	teardown();
}

/* Longer than the ring both ways: written and read in several ring fills. */
static void test_long_values(void)
{
	static char v[4000 + 1], back[XENSTORE_PAYLOAD_MAX + 1];
	size_t len;

	setup();
	for (size_t i = 0; i < sizeof(v) - 1; i++)
		v[i] = 'a' + i % 26;
	CHECK(xs_write(XS_TXN_NONE, "data/long", v) == 0);
	CHECK(fxs.max_req_len == strlen("data/long") + 1 + 4000);
	CHECK(fxs_get(HOME "/data/long") && !strcmp(fxs_get(HOME "/data/long"), v));
	CHECK(xs_read(XS_TXN_NONE, "data/long", back, sizeof(back), &len) == 0);
	CHECK(len == 4000 && !memcmp(back, v, 4000));
	teardown();
}

/* One byte per ring update, one upcall each: the reply is assembled across them. */
static void test_reply_in_pieces(void)
{
	char v[301];

	setup();
	memset(v, 'z', 300);
	v[300] = '\0';
	fxs_set(HOME "/data/p", v);
	fxs.chunk = 1;
	unsigned int upcalls = fxs.upcalls;

	CHECK(read_is("data/p", v));
	CHECKF(fxs.upcalls - upcalls >= 16 + 300, "only %u upcalls", fxs.upcalls - upcalls);
	CHECK(stats().malformed == 0);
	teardown();
}

/* Messages across the end of the ring, and indexes across 2^32. */
static void test_ring_wrap(void)
{
	static const uint32_t starts[] = { 1000, 1024 - 8, 0xffffff00u, 0xfffffff9u };
	char v[700];

	for (size_t i = 0; i < ARRAY_SIZE(starts); i++) {
		setup_at(starts[i]);
		for (int round = 0; round < 6; round++) {
			memset(v, 'A' + round, sizeof(v) - 1);
			v[sizeof(v) - 1] = '\0';
			CHECK(xs_write(XS_TXN_NONE, "data/w", v) == 0);
			CHECK(read_is("data/w", v));
		}
		CHECKF(fxs.ring->rsp_prod - starts[i] > 4096, "start %#x: only %u bytes", starts[i],
		       fxs.ring->rsp_prod - starts[i]);
		CHECK(fxs.ring->rsp_cons == fxs.ring->rsp_prod);
		teardown();
	}
}

/* ---- transactions --------------------------------------------------------------------- */

static void test_transaction_basic(void)
{
	xs_transaction_t t;
	char buf[16];

	setup();
	CHECK(xs_transaction_start(&t) == 0 && t != XS_TXN_NONE);
	CHECK(xs_write(t, "data/t", "in-txn") == 0);
	CHECK(fxs_get(HOME "/data/t") == NULL);		/* not before the commit */
	CHECK(xs_read(t, "data/t", buf, sizeof(buf), NULL) == 0 && !strcmp(buf, "in-txn"));
	CHECK(xs_transaction_end(t, false) == 0);
	CHECK(fxs_get(HOME "/data/t") && !strcmp(fxs_get(HOME "/data/t"), "in-txn"));

	CHECK(xs_transaction_start(&t) == 0);
	CHECK(xs_write(t, "data/t", "aborted") == 0);
	CHECK(xs_transaction_end(t, true) == 0);
	CHECK(!strcmp(fxs_get(HOME "/data/t"), "in-txn"));
	CHECK(xs_transaction_end(t, false) == -ENOENT);	/* it is gone */
	teardown();
}

struct incr {
	unsigned int runs;		/* fn calls */
	int fail_with;			/* fn's result (0: commit) */
};

/* Read data/counter in the transaction, write it + 1. */
static int incr_fn(xs_transaction_t t, void *ctx)
{
	struct incr *c = ctx;
	unsigned long v;
	int err;

	c->runs++;
	err = xs_read_ulong(t, "data/counter", &v);
	if (err)
		return err;
	if (c->fail_with)
		return c->fail_with;
	return xs_printf(t, "data/counter", "%lu", v + 1);
}

static void test_transaction_retry(void)
{
	struct incr c = { 0 };

	setup();
	fxs_set(HOME "/data/counter", "7");
	fxs.force_eagain = 2;
	CHECK(xs_transaction(incr_fn, &c) == 0);
	CHECKF(c.runs == 3, "fn ran %u times", c.runs);
	CHECK(!strcmp(fxs_get(HOME "/data/counter"), "8"));
	CHECK(stats().txn_retries == 2);

	/* A real race: dom0 writes 100 between our read and our commit. The rerun must read
	 * 100 and commit 101, not 8 + 1. */
	c.runs = 0;
	fxs.race_path = HOME "/data/counter";
	fxs.race_value = "100";
	CHECK(xs_transaction(incr_fn, &c) == 0);
	CHECKF(c.runs == 2, "fn ran %u times", c.runs);
	CHECKF(!strcmp(fxs_get(HOME "/data/counter"), "101"), "counter %s",
	       fxs_get(HOME "/data/counter"));
	CHECK(fxs.conflicts == 3);
	teardown();
}

static void test_transaction_gives_up(void)
{
	struct incr c = { 0 };

	setup();
	fxs_set(HOME "/data/counter", "1");
	fxs.force_eagain = 1000;
	CHECK(xs_transaction(incr_fn, &c) == -EAGAIN);
	CHECKF(c.runs == XS_TXN_RETRIES + 1, "fn ran %u times", c.runs);
	CHECK(!strcmp(fxs_get(HOME "/data/counter"), "1"));
	fxs.force_eagain = 0;

	/* fn's own error aborts (F) and is returned; nothing committed. */
	c = (struct incr){ .fail_with = -ENOSPC };
	unsigned int commits = fxs.commits;

	CHECK(xs_transaction(incr_fn, &c) == -ENOSPC);
	CHECK(c.runs == 1 && fxs.commits == commits);
	CHECK(fxs.requests[XS_TRANSACTION_END] == XS_TXN_RETRIES + 2);
	teardown();
}

/* ---- watches -------------------------------------------------------------------------- */

#define SEEN_MAX 32
static struct {
	unsigned int n;				/* callbacks */
	char path[SEEN_MAX][64];		/* what each was given */
	struct xs_watch *w[SEEN_MAX];
	bool in_request;			/* a callback runs inside a request: wrong */
} seen;

static void seen_cb(struct xs_watch *w, const char *path)
{
	if (seen.n < SEEN_MAX) {
		snprintf(seen.path[seen.n], sizeof(seen.path[0]), "%s", path);
		seen.w[seen.n] = w;
	}
	seen.n++;
}

static void test_watch(void)
{
	struct xs_watch w = { .path = "data/w", .cb = seen_cb };
	struct xs_watch w2 = { .path = HOME "/data", .cb = seen_cb };

	setup();
	memset(&seen, 0, sizeof(seen));
	CHECK(xs_watch(&w) == 0 && w.registered);
	CHECK(xs_watch(&w) == -EINVAL);			/* twice */
	CHECK(seen.n == 0);				/* never from inside a request */
	CHECK(xs_poll() == 1 && seen.n == 1 && !strcmp(seen.path[0], "data/w"));
	fxs_set(HOME "/data/w", "x");			/* dom0 writes... */
	fxs_run();					/* ...the event arrives (upcall) */
	CHECK(stats().watch_events == 2);
	CHECK(seen.n == 1);				/* queued, not run in the upcall */
	CHECK(xs_poll() == 1 && seen.n == 2 && !strcmp(seen.path[1], "data/w"));
	fxs_set(HOME "/data/w/deep", "y");
	fxs_set(HOME "/data/other", "z");		/* not watched */
	fxs_run();
	CHECK(xs_poll() == 1 && seen.n == 3 && !strcmp(seen.path[2], "data/w/deep"));

	CHECK(xs_watch(&w2) == 0);
	CHECK(strcmp(w.token, w2.token) != 0);
	xs_poll();
	seen.n = 0;
	fxs_set(HOME "/data/w", "again");		/* both fire, each with its token */
	fxs_run();
	CHECK(xs_poll() == 2 && seen.n == 2);
	CHECK((seen.w[0] == &w && seen.w[1] == &w2) || (seen.w[0] == &w2 && seen.w[1] == &w));
	CHECK(!strcmp(seen.path[seen.w[0] == &w2 ? 0 : 1], HOME "/data/w"));	/* absolute */

	CHECK(xs_unwatch(&w) == 0 && !w.registered);
	CHECK(fxs_nr_watches() == 1);
	seen.n = 0;
	fxs_set(HOME "/data/w", "after");
	fxs_run();
	CHECK(xs_poll() == 1 && seen.n == 1 && seen.w[0] == &w2);
	CHECK(xs_unwatch(&w2) == 0 && fxs_nr_watches() == 0);
	CHECK(xs_unwatch(&w2) == -EINVAL);
	teardown();
}

/* ---- resume in a new domain ----------------------------------------------------------- */

#define NEW_DOMID	9
#define NEW_HOME	"/local/domain/9"

/* What suspend.c does to us in a new domain: a new xenstored connection on a fresh ring
 * (nothing of ours there), the port table emptied (evtchn_resume), then xs_resume_ring(). */
static void new_domain(void)
{
	fxs_init(NEW_DOMID, "guest-five", 0);
	evtchn_clear_handler(FXS_PORT);
	CHECK(xs_resume_ring(fxs.ring, FXS_PORT) == 0);
}

/* Stale transactions are refused without a request; watches come back with their tokens and
 * fire once; the domid is read again; counters survive. */
static void test_resume(void)
{
	struct xs_watch w = { .path = "data/w", .cb = seen_cb };
	struct xs_resume_stats rs;
	xs_transaction_t t, t2;
	unsigned int domid = 0;
	char token[sizeof(w.token)], buf[16];
	uint64_t requests;

	setup();
	memset(&seen, 0, sizeof(seen));
	CHECK(xs_domid(&domid) == 0 && domid == DOMID);
	CHECK(xs_watch(&w) == 0);
	xs_poll();
	seen.n = 0;
	memcpy(token, w.token, sizeof(token));
	CHECK(xs_transaction_start(&t) == 0);
	CHECK(xs_write(t, "data/t", "old") == 0);
	requests = stats().requests;
	new_domain();
	CHECK(stats().requests == requests);			/* counters kept */
	CHECK(xs_write(t, "data/t", "x") == -EAGAIN);		/* stale: its caller restarts */
	CHECK(xs_read(t, "data/t", buf, sizeof(buf), NULL) == -EAGAIN);
	CHECK(xs_transaction_end(t, false) == -EAGAIN);		/* and that frees it */
	CHECK(fxs.requests[XS_WRITE] == 0 && fxs.requests[XS_TRANSACTION_END] == 0);
	CHECK(xs_transaction_end(t, false) == -ENOENT);		/* the new xenstored's answer */
	CHECK(xs_domid(&domid) == 0 && domid == NEW_DOMID);	/* read again */
	CHECK(xs_resume_watches() == 0);
	CHECK(fxs_nr_watches() == 1 && !strcmp(w.token, token) && w.registered);
	CHECK(xs_poll() == 1 && seen.n == 1 && seen.w[0] == &w);	/* fired at registration */
	fxs_set(NEW_HOME "/data/w", "moved");
	fxs_run();
	CHECK(xs_poll() == 1 && seen.n == 2 && !strcmp(seen.path[1], "data/w"));
	xs_get_resume_stats(&rs);
	CHECK(rs.resumes == 1 && rs.watches == 1 && rs.watch_failed == 0 && rs.txn_stale == 1);
	/* New transactions work; a second resume does not count the freed one again. */
	CHECK(xs_transaction_start(&t2) == 0 && xs_write(t2, "data/t", "new") == 0);
	CHECK(xs_transaction_end(t2, false) == 0 && read_is("data/t", "new"));
	CHECK(xs_unwatch(&w) == 0);
	new_domain();
	CHECK(xs_resume_watches() == 0 && fxs_nr_watches() == 0);
	xs_get_resume_stats(&rs);
	CHECK(rs.resumes == 2 && rs.txn_stale == 1);
	teardown();
}

/* A transaction that a resume interrupts is run again by xs_transaction() against the new
 * connection: its first run's work is lost, never half committed. */
static int resume_mid_fn(xs_transaction_t t, void *ctx)
{
	struct incr *c = ctx;
	unsigned long v;
	int err;

	c->runs++;
	err = xs_read_ulong(t, "data/counter", &v);
	if (err)
		return err;
	if (c->runs == 1) {
		new_domain();
		fxs_set(NEW_HOME "/data/counter", "40");
	}
	return xs_printf(t, "data/counter", "%lu", v + 1);
}

static void test_resume_mid_transaction(void)
{
	struct incr c = { 0 };

	setup();
	fxs_set(HOME "/data/counter", "7");
	CHECK(xs_transaction(resume_mid_fn, &c) == 0);
	CHECKF(c.runs == 2, "fn ran %u times", c.runs);
	CHECK(!strcmp(fxs_get(NEW_HOME "/data/counter"), "41"));
	CHECK(stats().txn_retries == 1);
	teardown();
}

/* More transactions open at once than we keep track of: refused, not lost track of. */
static void test_transactions_bounded(void)
{
	xs_transaction_t t[17];

	setup();
	for (unsigned int i = 0; i < 16; i++)
		CHECK(xs_transaction_start(&t[i]) == 0);
	CHECK(xs_transaction_start(&t[16]) == -ENOSPC);
	CHECK(xs_transaction_end(t[3], true) == 0);
	CHECK(xs_transaction_start(&t[16]) == 0);
	for (unsigned int i = 0; i < 17; i++)
		if (i != 3)
			CHECK(xs_transaction_end(t[i], true) == 0);
	teardown();
}

static void test_wait_event(void)
{
	struct xs_watch w = { .path = "data/wait", .cb = seen_cb };
	uint64_t t0;

	setup();
	memset(&seen, 0, sizeof(seen));
	CHECK(xs_watch(&w) == 0);
	CHECK(xs_wait_event(SEC) == 1);			/* the initial event */
	fxs_later(50, HOME "/data/wait", "later");
	t0 = fake_now_ns;
	CHECK(xs_wait_event(SEC) == 1 && seen.n == 2);
	CHECKF(fake_now_ns - t0 < SEC, "woke after %lu ns", fake_now_ns - t0);
	t0 = fake_now_ns;
	CHECK(xs_wait_event(SEC) == -ETIMEDOUT);
	CHECKF(fake_now_ns - t0 >= SEC, "gave up after %lu ns", fake_now_ns - t0);
	CHECK(xs_unwatch(&w) == 0);
	teardown();
}

/* A callback may make requests; it may not wait for events (they would never run). */
static struct { int read_err, wait_err; char val[16]; } cbr;

static void request_cb(struct xs_watch *w, const char *path)
{
	cbr.read_err = xs_read(XS_TXN_NONE, path, cbr.val, sizeof(cbr.val), NULL);
	cbr.wait_err = xs_wait_event(SEC);
	seen.n++;
}

static void test_callback_requests(void)
{
	struct xs_watch w = { .path = "data/cb", .cb = request_cb };

	setup();
	memset(&seen, 0, sizeof(seen));
	fxs_set(HOME "/data/cb", "v1");
	CHECK(xs_watch(&w) == 0);
	CHECK(xs_poll() == 1);
	CHECK(cbr.read_err == 0 && !strcmp(cbr.val, "v1"));
	CHECK(cbr.wait_err == -EDEADLK);
	CHECK(xs_unwatch(&w) == 0);
	teardown();
}

static void test_watch_event_unknown_token(void)
{
	struct xs_watch w = { .path = "data/k", .cb = seen_cb };
	static const char one_string[] = "data/k";
	static const char no_nul[] = { 'd', 0, 'x' };
	static const char three[] = "data/k\0pvk0\0extra";
	static const char no_token[] = "data/k\0";		/* + its NUL: "data/k\0\0" */

	setup();
	memset(&seen, 0, sizeof(seen));
	CHECK(xs_watch(&w) == 0);
	xs_poll();
	seen.n = 0;
	fxs_send(XS_WATCH_EVENT, 0, 0, "data/k\0nobody", 14);	/* well formed, unknown */
	fxs_send(XS_WATCH_EVENT, 0, 0, one_string, sizeof(one_string));
	fxs_send(XS_WATCH_EVENT, 0, 0, no_nul, sizeof(no_nul));
	fxs_send(XS_WATCH_EVENT, 0, 0, three, sizeof(three));
	fxs_send(XS_WATCH_EVENT, 0, 0, "", 0);
	fxs_send(XS_WATCH_EVENT, 0, 0, no_token, sizeof(no_token));
	fxs_run();
	CHECK(xs_poll() == 0 && seen.n == 0);
	CHECK(stats().watch_dropped == 1);
	CHECKF(stats().malformed == 5, "malformed %lu", stats().malformed);
	/* An event for a watch that was just unwatched (in flight): dropped, not delivered. */
	char ev[64];
	int n = snprintf(ev, sizeof(ev), "data/k%c%s", 0, w.token);

	CHECK(xs_unwatch(&w) == 0);
	fxs_send(XS_WATCH_EVENT, 0, 0, ev, n + 1);
	fxs_run();
	CHECK(xs_poll() == 0 && seen.n == 0 && stats().watch_dropped == 2);
	teardown();
}

/* More events than the queue holds: none run in the upcall; every watch reruns once. */
static void test_watch_overflow(void)
{
	struct xs_watch w = { .path = "data/o", .cb = seen_cb };
	char path[64];
	unsigned int total = 0, ran;

	setup();
	memset(&seen, 0, sizeof(seen));
	CHECK(xs_watch(&w) == 0);
	xs_poll();
	seen.n = 0;
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), HOME "/data/o/node-%03d-with-a-longer-name", i);
		fxs_set(path, "v");
		if (i % 50 == 49)
			fxs_run();			/* the daemon's output buffer is finite */
	}
	fxs_run();
	CHECK(stats().watch_events == 301);
	CHECK(stats().watch_overflows > 0);
	while ((ran = xs_poll()) > 0)
		total += ran;
	CHECK(total == seen.n);
	CHECKF(total < 300, "%u callbacks", total);
	bool rerun = false;

	for (unsigned int i = 0; i < MIN(seen.n, SEEN_MAX); i++)
		rerun |= !strcmp(seen.path[i], "data/o");	/* the rerun passes w->path */
	CHECK(rerun);
	CHECK(xs_unwatch(&w) == 0);
	teardown();
}

/* ---- hostile replies ------------------------------------------------------------------ */

static void test_hostile_length(void)
{
	char buf[16];

	setup();
	fxs.fault = FXS_BAD_LEN;
	CHECK(xs_read(XS_TXN_NONE, "name", buf, sizeof(buf), NULL) == -EMSGSIZE);
	CHECK(stats().resyncs == 1 && stats().malformed == 1 && stats().timeouts == 0);
	CHECK(fxs.ring->rsp_cons == fxs.ring->rsp_prod);	/* skipped what was there */
	teardown();
}

static void test_hostile_type(void)
{
	char buf[16];

	setup();
	fxs.fault = FXS_BAD_TYPE;
	CHECK(xs_read(XS_TXN_NONE, "name", buf, sizeof(buf), NULL) == -EPROTO);
	fxs.fault = FXS_WRONG_TYPE;
	CHECK(xs_read(XS_TXN_NONE, "name", buf, sizeof(buf), NULL) == -EPROTO);
	CHECK(stats().malformed == 2 && stats().timeouts == 0 && stats().resyncs == 0);
	/* Unknown type with nobody's id: dropped and counted, nothing else. */
	fxs_send(12345, 77, 0, "junk", 4);
	fxs_run();
	CHECK(stats().malformed == 3);
	teardown();
}

static void test_hostile_reqid(void)
{
	char buf[16];

	setup();
	fxs.fault = FXS_BAD_REQID;
	CHECK(xs_read(XS_TXN_NONE, "name", buf, sizeof(buf), NULL) == -ETIMEDOUT);
	CHECK(stats().unmatched == 1 && stats().timeouts == 1);
	fxs.fault = FXS_DUP;				/* the copy is nobody's */
	CHECK(read_is("name", "guest-five"));
	fxs_set(HOME "/data/after", "after-dup");
	CHECK(read_is("data/after", "after-dup"));	/* not the duplicate's value */
	CHECK(stats().unmatched == 2);
	teardown();
}

static void test_hostile_missing_nul(void)
{
	char buf[64];
	unsigned int count;
	xs_transaction_t t;

	setup();
	fxs.fault = FXS_NO_NUL;				/* "OK" */
	CHECK(xs_write(XS_TXN_NONE, "data/x", "1") == -EBADMSG);
	fxs_set(HOME "/data/d/a", "1");
	fxs_set(HOME "/data/d/b", "2");
	fxs.fault = FXS_NO_NUL;				/* "a\0b" */
	CHECK(xs_directory(XS_TXN_NONE, "data/d", buf, sizeof(buf), &count) == -EBADMSG);
	fxs.fault = FXS_NO_NUL;				/* "ENOENT" */
	CHECK(xs_read(XS_TXN_NONE, "data/none", buf, sizeof(buf), NULL) == -EBADMSG);
	fxs.fault = FXS_NO_NUL;				/* "1" as transaction id */
	CHECK(xs_transaction_start(&t) == -EBADMSG);
	fxs.fault = FXS_NO_NUL;				/* a value needs none */
	CHECK(xs_read(XS_TXN_NONE, "data/d/a", buf, sizeof(buf), NULL) == 0);
	CHECK(stats().malformed == 4 && stats().timeouts == 0);
	teardown();
}

static void test_hostile_error_string(void)
{
	char buf[16];

	setup();
	fxs.fault = FXS_BAD_ERRSTR;
	CHECK(xs_read(XS_TXN_NONE, "name", buf, sizeof(buf), NULL) == -EIO);
	CHECK(stats().errors == 1);
	teardown();
}

/* Hostile acks and ids (the reply has the right type and id, the content is wrong). */
static void test_hostile_content(void)
{
	struct xsd_sockmsg h;
	char buf[16];
	xs_transaction_t t;

	setup();
	fxs.stall = true;
	CHECK(xs_write(XS_TXN_NONE, "data/x", "1") == -ETIMEDOUT);	/* req id 1 */
	fxs.stall = false;
	fxs_run();
	(void)h;
	/* Replies invented by hand for the next ids: "NO\0" ack, "0" / "x" transaction ids. */
	fxs.fault = FXS_DROP;
	fxs_send(XS_WRITE, 2, 0, "NO", 3);
	CHECK(xs_write(XS_TXN_NONE, "data/x", "1") == -EPROTO);
	fxs.fault = FXS_DROP;
	fxs_send(XS_TRANSACTION_START, 3, 0, "0", 2);
	CHECK(xs_transaction_start(&t) == -EPROTO);
	fxs.fault = FXS_DROP;
	fxs_send(XS_TRANSACTION_START, 4, 0, "1x", 3);
	CHECK(xs_transaction_start(&t) == -EPROTO);
	CHECK(xs_read(XS_TXN_NONE, "name", buf, sizeof(buf), NULL) == 0);
	teardown();
}

static void test_hostile_rsp_jump(void)
{
	char buf[16];

	setup();
	fxs.fault = FXS_JUMP;				/* 5000 ahead instead of the reply */
	CHECK(xs_read(XS_TXN_NONE, "name", buf, sizeof(buf), NULL) == -EPROTO);
	CHECK(stats().ring_errors == 1 && stats().resyncs == 1 && stats().timeouts == 0);
	CHECK(fxs.ring->rsp_cons == fxs.ring->rsp_prod);	/* resynchronised to the producer */
	CHECK(read_is("name", "guest-five"));
	/* Backwards, behind what we consumed. */
	fxs_jump_rsp_prod(-8);
	fxs_run();
	CHECK(stats().ring_errors == 2 && stats().resyncs == 2);
	CHECK(read_is("name", "guest-five"));
	teardown();
}

static void test_hostile_req_cons(void)
{
	char buf[16];
	uint32_t real;

	setup();
	fxs.req_stuck = true;
	real = fxs.ring->req_cons;
	fxs.ring->req_cons = fxs.ring->req_prod + 100;	/* consumer ahead of the producer */
	CHECK(xs_read(XS_TXN_NONE, "name", buf, sizeof(buf), NULL) == -EPROTO);
	CHECK(xs_read(XS_TXN_NONE, "name", buf, sizeof(buf), NULL) == -EPROTO);
	CHECK(stats().ring_errors >= 2);
	fxs.ring->req_cons = real;
	fxs.req_stuck = false;
	CHECK(read_is("name", "guest-five"));
	teardown();
}

/* The reply of a request that timed out comes late: it must not answer the next one. */
static void test_late_reply(void)
{
	char buf[32];

	setup();
	fxs_set(HOME "/data/first", "FIRST");
	fxs_set(HOME "/data/second", "SECOND");
	fxs.stall = true;
	CHECK(xs_read(XS_TXN_NONE, "data/first", buf, sizeof(buf), NULL) == -ETIMEDOUT);
	CHECK(stats().timeouts == 1);
	CHECK(fxs_out_pending() > 0);			/* the reply exists, held back */
	fxs.stall = false;
	CHECK(read_is("data/second", "SECOND"));
	CHECK(stats().unmatched == 1);
	teardown();
}

/* A request that times out half-written is finished first, so the stream stays framed. */
static void test_timeout_while_writing(void)
{
	static char v[3000 + 1];

	setup();
	memset(v, 'q', sizeof(v) - 1);
	fxs.req_stuck = true;				/* the daemon stops reading */
	CHECK(xs_write(XS_TXN_NONE, "data/big", v) == -ETIMEDOUT);
	CHECK(stats().timeouts == 1);
	fxs.req_stuck = false;
	fxs.kicks++;					/* it wakes up */
	CHECK(xs_write(XS_TXN_NONE, "data/small", "s") == 0);
	CHECK(fxs.requests[XS_WRITE] == 2 && fxs.bad_requests == 0);
	CHECK(fxs_get(HOME "/data/big") && strlen(fxs_get(HOME "/data/big")) == 3000);
	CHECK(stats().unmatched == 1);			/* the big write's late "OK" */
	teardown();
}

/* ---- xenbus --------------------------------------------------------------------------- */

static void vif(const char *id, const char *backend_id, const char *backend)
{
	char p[128];

	snprintf(p, sizeof(p), HOME "/device/vif/%s/backend-id", id);
	fxs_set(p, backend_id);
	snprintf(p, sizeof(p), HOME "/device/vif/%s/backend", id);
	fxs_set(p, backend);
	snprintf(p, sizeof(p), HOME "/device/vif/%s/state", id);
	fxs_set(p, "1");
	snprintf(p, sizeof(p), "%s/state", backend);
	fxs_set(p, "2");
}

static void test_xenbus_enumerate(void)
{
	char buf[64];
	unsigned int count = 0;

	setup();
	CHECK(xenbus_enumerate(NULL, buf, sizeof(buf), &count) == -ENOENT);
	vif("0", "0", "/local/domain/0/backend/vif/5/0");
	vif("1", "0", "/local/domain/0/backend/vif/5/1");
	fxs_set(HOME "/device/vbd/51712/backend-id", "0");
	CHECK(xenbus_enumerate(NULL, buf, sizeof(buf), &count) == 0 && count == 2);
	CHECK(dir_has(buf, count, "vif") && dir_has(buf, count, "vbd"));
	CHECK(xenbus_enumerate("vif", buf, sizeof(buf), &count) == 0 && count == 2);
	CHECK(dir_has(buf, count, "0") && dir_has(buf, count, "1"));
	CHECK(xenbus_enumerate("console", buf, sizeof(buf), &count) == -ENOENT);
	CHECK(xenbus_enumerate("../x", buf, sizeof(buf), &count) == -EINVAL);
	teardown();
}

static void test_xenbus_backend_checks(void)
{
	static const struct { const char *id, *backend; int err; } cases[] = {
		{ "0", "/local/domain/0/backend/vif/5/0", 0 },
		{ "0", "/local/domain/3/backend/vif/5/0", -EPROTO },	/* other domain */
		{ "0", "/local/domain/0/frontend/vif/5/0", -EPROTO },	/* not backend/ */
		{ "0", "/local/domain/0/backend/vif/6/0", -EPROTO },	/* another frontend's */
		{ "0", "/local/domain/0/backend/vif/5/1", -EPROTO },	/* another device */
		{ "0", "/local/domain/0/backend/../5/0", -EPROTO },
		{ "0", "/local/domain/0/backend/vif/5/0/", -EPROTO },
		{ "0", "/local/domain/00/backend/vif/5/0", -EPROTO },
		{ "0", "", -EPROTO },
	};
	struct xenbus_device dev;

	setup();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fxs_rm(HOME "/device");
		vif(cases[i].id, "0", cases[i].backend[0] ? cases[i].backend : "/x");
		fxs_set(HOME "/device/vif/0/backend", cases[i].backend);
		int err = xenbus_device_init(&dev, "vif", cases[i].id);

		CHECKF(err == cases[i].err, "%s: %d, want %d", cases[i].backend, err, cases[i].err);
	}
	fxs_rm(HOME "/device");
	vif("0", "0", "/local/domain/0/backend/vif/5/0");
	CHECK(xenbus_device_init(&dev, "vif", "0") == 0);
	CHECK(dev.otherend_id == 0 && !strcmp(dev.otherend, "/local/domain/0/backend/vif/5/0"));
	CHECK(!strcmp(dev.nodename, "device/vif/0"));
	CHECK(dev.state == XenbusStateInitialising && dev.otherend_state == XenbusStateInitWait);
	fxs_set(HOME "/device/vif/0/backend-id", "x");
	CHECK(xenbus_device_init(&dev, "vif", "0") == -EPROTO);
	fxs_set(HOME "/device/vif/0/backend-id", "32752");	/* DOMID_FIRST_RESERVED */
	CHECK(xenbus_device_init(&dev, "vif", "0") == -EPROTO);
	fxs_set(HOME "/device/vif/0/backend-id", "0");
	fxs_set("/local/domain/0/backend/vif/5/0/state", "9");	/* not a state */
	CHECK(xenbus_device_init(&dev, "vif", "0") == -EPROTO);
	CHECK(xenbus_device_init(&dev, "vif", "7") == -ENOENT);
	CHECK(xenbus_device_init(&dev, "vif/0", "0") == -EINVAL);
	teardown();
}

static void test_xenbus_switch_state(void)
{
	struct xenbus_device dev;
	unsigned int writes, txns;

	setup();
	vif("0", "0", "/local/domain/0/backend/vif/5/0");
	CHECK(xenbus_device_init(&dev, "vif", "0") == 0);
	txns = fxs.requests[XS_TRANSACTION_START];
	CHECK(xenbus_switch_state(&dev, XenbusStateInitialised) == 0);
	CHECK(!strcmp(fxs_get(HOME "/device/vif/0/state"), "3"));
	CHECK(dev.state == XenbusStateInitialised);
	CHECK(fxs.requests[XS_TRANSACTION_START] == txns + 1);
	writes = fxs.requests[XS_WRITE];
	CHECK(xenbus_switch_state(&dev, XenbusStateInitialised) == 0);	/* no write */
	CHECK(fxs.requests[XS_WRITE] == writes);
	fxs.force_eagain = 1;					/* retried inside */
	CHECK(xenbus_switch_state(&dev, XenbusStateConnected) == 0);
	CHECK(!strcmp(fxs_get(HOME "/device/vif/0/state"), "4"));
	CHECK(xenbus_switch_state(&dev, 42) == -EINVAL);
	fxs_rm(HOME "/device/vif/0/state");			/* being torn down */
	CHECK(xenbus_switch_state(&dev, XenbusStateClosing) == -ENOENT);
	CHECK(fxs_get(HOME "/device/vif/0/state") == NULL);	/* not brought back */
	teardown();
}

static struct { unsigned int calls; XenbusState last; } oe;

static void otherend_cb(struct xenbus_device *dev, XenbusState state)
{
	oe.calls++;
	oe.last = state;
}

static void test_xenbus_wait_and_watch(void)
{
	struct xenbus_device dev;
	XenbusState got = XenbusStateUnknown;
	uint64_t t0;

	setup();
	vif("0", "0", "/local/domain/0/backend/vif/5/0");
	fxs_set("/local/domain/0/backend/vif/5/0/state", "1");
	CHECK(xenbus_device_init(&dev, "vif", "0") == 0);
	fxs_later(100, "/local/domain/0/backend/vif/5/0/state", "2");
	CHECK(xenbus_wait_otherend(&dev, XENBUS_STATE_BIT(XenbusStateInitWait), SEC, &got) == 0);
	CHECK(got == XenbusStateInitWait && dev.otherend_state == XenbusStateInitWait);
	CHECK(fxs_nr_watches() == 0);			/* its own watch is gone */

	t0 = fake_now_ns;
	CHECK(xenbus_wait_otherend(&dev, XENBUS_STATE_BIT(XenbusStateConnected), SEC, &got) ==
	      -ETIMEDOUT);
	CHECK(got == XenbusStateInitWait && fake_now_ns - t0 >= SEC);

	fxs_later(10, "/local/domain/0/backend/vif/5/0/state", "5");	/* backend gives up */
	CHECK(xenbus_wait_otherend(&dev, XENBUS_STATE_BIT(XenbusStateConnected), SEC, &got) ==
	      -EPIPE);
	CHECK(got == XenbusStateClosing);
	/* Waiting for Closed passes through Closing. */
	fxs_later(10, "/local/domain/0/backend/vif/5/0/state", "6");
	CHECK(xenbus_wait_otherend(&dev, XENBUS_STATE_BIT(XenbusStateClosed), SEC, &got) == 0);
	CHECK(got == XenbusStateClosed);

	memset(&oe, 0, sizeof(oe));
	CHECK(xenbus_watch_otherend(&dev, otherend_cb) == 0);
	CHECK(xenbus_watch_otherend(&dev, otherend_cb) == -EBUSY);
	xs_poll();					/* the initial event */
	CHECK(oe.calls == 1 && oe.last == XenbusStateClosed);
	fxs_set("/local/domain/0/backend/vif/5/0/state", "4");
	fxs_run();
	CHECK(oe.calls == 1);
	CHECK(xs_poll() == 1 && oe.calls == 2 && oe.last == XenbusStateConnected);
	/* With the driver's watch in place, a wait uses it and leaves it. */
	CHECK(xenbus_wait_otherend(&dev, XENBUS_STATE_BIT(XenbusStateConnected), SEC, NULL) == 0);
	CHECK(dev.otherend_watch.registered && fxs_nr_watches() == 1);
	xenbus_device_release(&dev);
	CHECK(!dev.otherend_watch.registered && fxs_nr_watches() == 0);
	CHECK(dev.otherend_events >= 2);
	teardown();
}

static void test_xenbus_misc(void)
{
	unsigned long v;

	setup();
	CHECK(!strcmp(xenbus_strstate(XenbusStateConnected), "Connected"));
	CHECK(!strcmp(xenbus_strstate(99), "invalid"));
	fxs_set("/local/domain/0/backend/vif/5/0/feature-sg", "1");
	CHECK(xenbus_read_ulong(XS_TXN_NONE, "/local/domain/0/backend/vif/5/0", "feature-sg",
				&v) == 0 && v == 1);
	CHECK(xenbus_printf(XS_TXN_NONE, "device/vif/0", "tx-ring-ref", "%u", 8) == 0);
	CHECK(!strcmp(fxs_get(HOME "/device/vif/0/tx-ring-ref"), "8"));
	teardown();
}

UNIT_CASES(
	{ test_resume, "xenstore: resume: stale transactions -EAGAIN, watches again, domid again" },
	{ test_resume_mid_transaction, "xenstore: a resume inside xs_transaction reruns it" },
	{ test_transactions_bounded, "xenstore: open transactions bounded (-ENOSPC), slots reused" },
	{ test_read_write, "xenstore: read, write, printf, domid, XS_ERROR to -errno" },
	{ test_read_ulong, "xenstore: read_ulong takes decimal only, -ERANGE on overflow" },
	{ test_mkdir_rm_directory, "xenstore: mkdir, rm (subtree), directory, -E2BIG" },
	{ test_arguments, "xenstore: bad arguments are refused before anything is sent" },
	{ test_long_values, "xenstore: 4000-byte request and reply, several ring fills each" },
	{ test_reply_in_pieces, "xenstore: a reply in 1-byte ring updates is assembled" },
	{ test_ring_wrap, "xenstore: messages across the ring end and the 2^32 index wrap" },
	{ test_transaction_basic, "xenstore: transaction start, write, read, commit, abort" },
	{ test_transaction_retry, "xenstore: forced EAGAIN and a dom0 race retried, right value" },
	{ test_transaction_gives_up, "xenstore: EAGAIN forever gives up; fn error aborts" },
	{ test_watch, "xenstore: watches queued by the upcall, callbacks from xs_poll only" },
	{ test_wait_event, "xenstore: xs_wait_event wakes on an event, times out without" },
	{ test_callback_requests, "xenstore: callbacks may make requests, not wait (-EDEADLK)" },
	{ test_watch_event_unknown_token, "xenstore: events for unknown tokens or malformed dropped" },
	{ test_watch_overflow, "xenstore: event queue overflow reruns every watch once" },
	{ test_hostile_length, "xenstore: hostile: length over XENSTORE_PAYLOAD_MAX" },
	{ test_hostile_type, "xenstore: hostile: unknown and wrong message types" },
	{ test_hostile_reqid, "xenstore: hostile: unmatched and duplicated request ids" },
	{ test_hostile_missing_nul, "xenstore: hostile: missing NULs (ack, directory, error, id)" },
	{ test_hostile_error_string, "xenstore: hostile: unknown XS_ERROR string is -EIO" },
	{ test_hostile_content, "xenstore: hostile: wrong ack and transaction ids" },
	{ test_hostile_rsp_jump, "xenstore: hostile: rsp_prod jumps ahead and backwards" },
	{ test_hostile_req_cons, "xenstore: hostile: req_cons ahead of our producer" },
	{ test_late_reply, "xenstore: a late reply of a timed-out request is dropped" },
	{ test_timeout_while_writing, "xenstore: a half-written request is finished first" },
	{ test_xenbus_enumerate, "xenbus: enumerate device types and ids" },
	{ test_xenbus_backend_checks, "xenbus: backend path and id are validated" },
	{ test_xenbus_switch_state, "xenbus: switch state in a transaction, not recreated" },
	{ test_xenbus_wait_and_watch, "xenbus: wait for the backend's state; watch it" },
	{ test_xenbus_misc, "xenbus: strstate, read_ulong, printf" },
);
