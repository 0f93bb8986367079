// SPDX-License-Identifier: MIT
/*
 * save-check: read an `xl save` image and say what it holds, so a test can tell a complete
 * save from one that left pages out. Xen's save code does not fail when it cannot normalise a
 * page-table page whose entries map frames outside the guest's p2m (a grant-table frame, the
 * shared_info page): on a suspended domain it marks the page "deferred" and writes it as XTAB,
 * i.e. not sent (tools/libs/guest/xg_sr_save.c write_batch), and the image restores into a
 * guest without that page table. For a PV guest, whose every pfn below max_pfn is RAM, any
 * XTAB, XALLOC or BROKEN entry is such a page.
 *
 * Layout read (docs/specs/libxl-migration-stream.pandoc, libxc-migration-stream.pandoc in
 * Xen): xl's header (32-byte magic, byte-order word, two flag words, the length of the
 * config that follows), libxl's stream header (big-endian "LibxlFmt", version 2), libxl
 * records; the LIBXC_CONTEXT record is followed by libxc's stream: image header (big-endian
 * marker, "XENF", version), domain header, records up to END; PAGE_DATA records list
 * (type << 32 | pfn) per page, then the pages that carry data.
 *
 *   save-check [-n] FILE     -n: fail if any page was left out (a PV image)
 * Prints one line; exit 0 (well-formed, and complete with -n), 1 (left pages out), 2 (bad).
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XL_MAGIC		"Xen saved domain, xl format\n \0 \r"
#define LIBXL_IDENT		0x4c6962786c466d74ull	/* "LibxlFmt" */
#define LIBXL_REC_END		0
#define LIBXL_REC_LIBXC		1
#define LIBXC_MARKER		0xffffffffffffffffull
#define LIBXC_ID		0x58454e46u		/* "XENF" */
#define LIBXC_REC_END		0
#define LIBXC_REC_PAGE_DATA	1
#define PFINFO_SHIFT		28
#define PFINFO_XTAB		0xfu
#define PFINFO_XALLOC		0xeu
#define PFINFO_BROKEN		0xdu
#define PFINFO_LPINTAB		0x8u			/* pinned bit, with L1..L4 */
#define MAX_PFNS		(1u << 24)		/* 64 GiB of 4 KiB pages */
#define MAX_REC			(64u << 20)		/* no record of ours comes near it */

static FILE *in;
static uint64_t off;

static void bad(const char *what)
{
	printf("save-check: bad image at byte %llu: %s\n", (unsigned long long)off, what);
	exit(2);
}

static void get(void *p, size_t n, const char *what)
{
	if (n && fread(p, 1, n, in) != n)
		bad(what);
	off += n;
}

static void skip(uint64_t n, const char *what)
{
	static char buf[65536];

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		get(buf, k, what);
		n -= k;
	}
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int main(int argc, char **argv)
{
	struct { uint64_t pfns, data, xtab, xalloc, broken, tables, records, dups; } n = { 0 };
	uint8_t hdr[48], rec[8], ihdr[24], dhdr[16];
	uint64_t ident, *pfns = NULL;
	uint32_t optlen, dtype = ~0u, max_pfn = 0, *seen;
	int need_all = 0, i = 1;

	if (argc == 3 && !strcmp(argv[1], "-n")) {
		need_all = 1;
		i = 2;
	}
	if (argc != i + 1) {
		fprintf(stderr, "usage: save-check [-n] FILE\n");
		return 2;
	}
	in = fopen(argv[i], "rb");
	if (!in) {
		printf("save-check: %s: %s\n", argv[i], strerror(errno));
		return 2;
	}
	seen = calloc(MAX_PFNS / 32, sizeof(*seen));
	if (!seen)
		bad("out of memory");

	get(hdr, sizeof(hdr), "xl header");
	if (memcmp(hdr, XL_MAGIC, 32))
		bad("no xl magic");
	if (le32(hdr + 32) != 0x01020304)
		bad("xl byte order is not little-endian");
	optlen = le32(hdr + 44);
	if (optlen > MAX_REC)
		bad("xl config length");
	skip(optlen, "xl config");

	get(rec, 8, "libxl header");
	memcpy(&ident, rec, 8);
	if (be64toh(ident) != LIBXL_IDENT)
		bad("no libxl stream ident");
	get(rec, 8, "libxl header");
	if (be32toh(*(uint32_t *)rec) != 2)
		bad("libxl stream version is not 2");

	for (;;) {			/* libxl records */
		uint32_t type, len;

		get(rec, 8, "libxl record header");
		type = le32(rec);
		len = le32(rec + 4);
		if (len > MAX_REC)
			bad("libxl record length");
		if (type == LIBXL_REC_END)
			break;
		if (type != LIBXL_REC_LIBXC) {
			skip((len + 7ull) & ~7ull, "libxl record");
			continue;
		}
		if (len)
			bad("LIBXC_CONTEXT record with a body");
		get(ihdr, sizeof(ihdr), "libxc image header");
		if (memcmp(ihdr, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) ||
		    be32toh(*(uint32_t *)(ihdr + 8)) != LIBXC_ID)
			bad("no libxc image header");
		if (be16toh(*(uint16_t *)(ihdr + 16)) & 1)
			bad("libxc stream is big-endian");
		get(dhdr, sizeof(dhdr), "libxc domain header");
		dtype = le32(dhdr);
		if (dhdr[4] != 12)
			bad("page shift is not 12");
		for (;;) {		/* libxc records */
			uint32_t t, l, count;
			uint8_t ph[8];

			get(rec, 8, "libxc record header");
			t = le32(rec);
			l = le32(rec + 4);
			if (l > MAX_REC)
				bad("libxc record length");
			n.records++;
			if (t == LIBXC_REC_END)
				break;
			if (t != LIBXC_REC_PAGE_DATA) {
				skip((l + 7ull) & ~7ull, "libxc record");
				continue;
			}
			if (l < 8)
				bad("short PAGE_DATA");
			get(ph, 8, "PAGE_DATA header");
			count = le32(ph);
			if (count == 0 || 8 + 8ull * count > l)
				bad("PAGE_DATA count");
			free(pfns);
			pfns = malloc(8ull * count);
			if (!pfns)
				bad("out of memory");
			get(pfns, 8ull * count, "PAGE_DATA pfns");
			uint64_t with_data = 0;
			for (uint32_t k = 0; k < count; k++) {
				uint64_t e = le64toh(pfns[k]);
				uint32_t pfn = (uint32_t)e, type = (uint32_t)(e >> 32) >> PFINFO_SHIFT;

				if (e >> 32 & ((1u << PFINFO_SHIFT) - 1))
					bad("PAGE_DATA type with low bits set");
				if (pfn >= MAX_PFNS)
					bad("pfn past 2^24");
				if (seen[pfn / 32] & 1u << pfn % 32)
					n.dups++;
				seen[pfn / 32] |= 1u << pfn % 32;
				if (pfn + 1 > max_pfn)
					max_pfn = pfn + 1;
				n.pfns++;
				if (type == PFINFO_XTAB)
					n.xtab++;
				else if (type == PFINFO_XALLOC)
					n.xalloc++;
				else if (type == PFINFO_BROKEN)
					n.broken++;
				else {
					with_data++;
					if ((type & ~PFINFO_LPINTAB) >= 1 && (type & ~PFINFO_LPINTAB) <= 4)
						n.tables++;
				}
			}
			if (8 + 8ull * count + 4096 * with_data != l)
				bad("PAGE_DATA length does not match its pages");
			skip(4096 * with_data, "PAGE_DATA pages");
			n.data += with_data;
		}
	}
	if (dtype == ~0u)
		bad("no libxc stream in the image");
	printf("save-check: %s: domain type %u, %llu libxc records, %llu pfns (up to %u) sent "
	       "%llu times: %llu with data (%llu page tables), %llu xtab, %llu xalloc, "
	       "%llu broken\n", argv[i], dtype, (unsigned long long)n.records,
	       (unsigned long long)(n.pfns - n.dups), max_pfn, (unsigned long long)n.pfns,
	       (unsigned long long)n.data, (unsigned long long)n.tables,
	       (unsigned long long)n.xtab, (unsigned long long)n.xalloc,
	       (unsigned long long)n.broken);
	if (need_all && (n.xtab || n.xalloc || n.broken)) {
		printf("save-check: %llu pages left out of the image\n",
		       (unsigned long long)(n.xtab + n.xalloc + n.broken));
		return 1;
	}
	return 0;
}
