// SPDX-License-Identifier: MIT
/*
 * The guest's UDP services for tests and benchmarks: echo (RFC 862, port 7: every datagram
 * back to its sender, payload intact) and discard (RFC 863, port 9: counted, for throughput).
 * The source half (sending N bytes on a console command) lives in net_main.c: it blocks.
 */
#include <string.h>
#include <pvkit/errno.h>
#include "net_priv.h"

static struct udp_sock *svc_echo, *svc_sink;
static struct net_service_stats svc_stats;

static void svc_echo_recv(struct udp_sock *s, const struct udp_meta *m, const uint8_t *data,
			  size_t len, void *ctx)
{
	/* Never answer a broadcast (an echo storm), nor a port-0 or echo-port sender (two echo
	 * services would bounce a datagram forever). */
	if (m->broadcast || !m->sport || m->sport == NET_ECHO_PORT ||
	    udp_sendto(s, m->src, m->sport, data, len)) {
		svc_stats.echo_errors++;
		return;
	}
	svc_stats.echo_datagrams++;
	svc_stats.echo_bytes += len;
}

static void svc_sink_recv(struct udp_sock *s, const struct udp_meta *m, const uint8_t *data,
			  size_t len, void *ctx)
{
	svc_stats.sink_datagrams++;
	svc_stats.sink_bytes += len;
}

int net_services_start(void)
{
	int err;

	if (svc_echo)
		return 0;
	err = udp_bind(NET_ECHO_PORT, svc_echo_recv, NULL, &svc_echo);
	if (err)
		return err;
	err = udp_bind(NET_SINK_PORT, svc_sink_recv, NULL, &svc_sink);
	if (err)
		goto out_close_echo;
	memset(&svc_stats, 0, sizeof(svc_stats));
	return 0;

out_close_echo:
	udp_close(svc_echo);
	svc_echo = NULL;
	return err;
}

void net_services_stop(void)
{
	udp_close(svc_echo);
	udp_close(svc_sink);
	svc_echo = svc_sink = NULL;
}

void net_services_get_stats(struct net_service_stats *st)
{
	*st = svc_stats;
}
