// SPDX-License-Identifier: MIT
/*
 * The serve-mode console command "balloon" (docs/smp.md "Balloon"): what the Xen balloon
 * holds, by its own count and by Xen's, so a test can compare both with `xl list`:
 *   pvkit: balloon target=T KiB current=C KiB xen=X KiB out=P given=G taken=K free=F KiB
 *          floor=L KiB static-max=S KiB slack=K KiB drift=D KiB state=idle|working
 * (one line; xen=unknown(E) when Xen does not answer), or "pvkit: balloon: not running".
 */
#include <pvkit/command.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/xen/balloon.h>

static void cmd_balloon(const char *args)
{
	struct xen_balloon_stats st;
	struct os_page_counts c;
	uint64_t xen = 0;
	char xs[24];
	int err;

	xen_balloon_get_stats(&st);
	if (!st.running) {
		printk("pvkit: balloon: not running\n");
		return;
	}
	err = xen_balloon_xen_pages(&xen);
	if (err)
		snprintf(xs, sizeof(xs), "unknown(%d)", err);
	else
		snprintf(xs, sizeof(xs), "%lu KiB", xen * 4);
	os_page_counts(&c);
	printk("pvkit: balloon target=%lu KiB current=%lu KiB xen=%s out=%lu given=%lu taken=%lu "
	       "free=%lu KiB floor=%lu KiB static-max=%lu KiB slack=%ld KiB drift=%ld KiB "
	       "state=%s\n", st.target_kib, st.current_pages * 4, xs, st.out_pages, st.given,
	       st.taken, c.free * 4, st.floor_pages * 4, st.static_max_kib, st.slack_pages * 4,
	       st.drift_pages * 4, st.working ? "working" : "idle");
}

SERVE_COMMAND(balloon, "balloon: the Xen balloon's target and counts (xl mem-set)", cmd_balloon);
