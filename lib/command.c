// SPDX-License-Identifier: MIT
/* Console-command helpers (include/pvkit/command.h). */
#include <pvkit/command.h>
#include <string.h>

unsigned int serve_words(const char *args, char *buf, size_t size, char **w, unsigned int max)
{
	unsigned int n = 0;

	strlcpy(buf, args, size);
	for (char *p = buf; *p && n < max;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		w[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return n;
}
