// SPDX-License-Identifier: MIT
/*
 * `xs txn <seconds>` (serve mode, Xen; the lifecycle fault case, tests/xen/restore-faults.sh):
 * open a xenstore transaction, write data/pvkit-txn in it, and leave it open for <seconds>
 * while the guest serves (the idle loop ends it): a save, restore or migration may come in
 * the middle. Its end then says -EAGAIN (the transaction died with the old connection,
 * xs_resume), and it is run again whole, as any caller of xs_transaction() does. Lines:
 *   pvkit: xs txn open id=T value=V
 *   pvkit: xs txn committed value=V tries=K      (K > 1: it was run again)
 *   pvkit: xs txn failed: E
 */
#include <pvkit/errno.h>
#include <pvkit/idle.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include "serve.h"
#include <pvkit/xen/xenstore.h>
#include <string.h>

#define TXN_NODE	"data/pvkit-txn"
#define TXN_TRIES	4		/* runs before giving up */

static struct {
	bool open;			/* a transaction is held */
	xs_transaction_t t;
	uint64_t deadline;		/* pv_clock_ns() at which it is ended */
	unsigned long value;		/* what it writes */
	unsigned int tries;		/* runs so far */
} txn;

/* One run: start, write. Return: 0 (txn.t open) or -errno. */
static int txn_begin(void)
{
	int err = xs_transaction_start(&txn.t);

	if (err)
		return err;
	txn.tries++;
	err = xs_printf(txn.t, TXN_NODE, "%lu", txn.value);
	if (err)
		xs_transaction_end(txn.t, true);
	return err;
}

static unsigned int txn_poll(void)
{
	int err;

	if (!txn.open || pv_clock_ns() < txn.deadline)
		return 0;
	err = xs_transaction_end(txn.t, false);
	while (err == -EAGAIN && txn.tries < TXN_TRIES) {	/* stale or conflicting: again */
		err = txn_begin();
		if (!err)
			err = xs_transaction_end(txn.t, false);
	}
	txn.open = false;
	if (err)
		printk("pvkit: xs txn failed: %d (tries=%u)\n", err, txn.tries);
	else
		printk("pvkit: xs txn committed value=%lu tries=%u\n", txn.value, txn.tries);
	return 1;
}

static struct os_poller txn_poller = { .name = "xs-txn", .poll = txn_poll };

static void cmd_xs(const char *args)
{
	unsigned long secs = 0;
	const char *p = args;
	int err;

	if (strncmp(p, "txn ", 4)) {
		printk("pvkit: xs: txn <seconds>\n");
		return;
	}
	for (p += 4; *p >= '0' && *p <= '9' && secs < 3600; p++)
		secs = secs * 10 + (unsigned long)(*p - '0');
	if (*p || !secs || secs >= 3600 || txn.open) {
		printk("pvkit: xs txn: <seconds> in 1..3599, one at a time\n");
		return;
	}
	txn.value = pv_clock_ns() / 1000000 + 1;
	txn.tries = 0;
	err = txn_begin();
	if (err) {
		printk("pvkit: xs txn failed: %d\n", err);
		return;
	}
	txn.deadline = pv_clock_ns() + secs * 1000000000ull;
	txn.open = true;
	os_poller_register(&txn_poller);
	printk("pvkit: xs txn open id=%u value=%lu\n", txn.t, txn.value);
}

SERVE_COMMAND(xs, "xs txn <seconds>: hold a xenstore transaction open that long (tests)", cmd_xs);
