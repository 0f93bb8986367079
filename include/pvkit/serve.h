/* SPDX-License-Identifier: MIT */
/*
 * Serve mode (pvkit.serve=1): after the self-tests the kernel prints "pvkit: ready" and stays
 * up, idling in safe_halt and serving what it has (console commands, xenstore watches, later
 * disk and network services), until someone asks it to stop: the console ("poweroff",
 * "reboot"), or under Xen the toolstack (xl shutdown / xl reboot, through control/shutdown).
 */
#ifndef PVKIT_SERVE_H
#define PVKIT_SERVE_H

#include <pvkit/bootinfo.h>

enum serve_stop {
	SERVE_RUNNING,			/* nobody asked yet */
	SERVE_POWEROFF,			/* power off (the run passed if the tests did) */
	SERVE_REBOOT,			/* reboot */
};

/*
 * A console command: the first word of an input line selects it; @fn gets the rest of the line
 * ("" if none). Runs from the idle loop. Tests and drivers add their own (e.g. "blk ...").
 */
struct serve_command {
	const char *name;		/* the first word */
	const char *help;		/* one line for "help" */
	void (*fn)(const char *args);
	struct serve_command *next;	/* registry, owned by kernel/serve.c */
};

/** Make @cmd available on the console (before or during serve()). */
void serve_register_command(struct serve_command *cmd);

/** Split a command's @args at spaces into at most @max words, copied into @buf (@size
 * bytes, truncated to fit); @w points into it. Return: how many words. */
unsigned int serve_words(const char *args, char *buf, size_t size, char **w, unsigned int max);

/** Ask serve() to return (from pollers, watch callbacks, console commands). */
void serve_request_stop(enum serve_stop why);

/** Serve until asked to stop; returns why. */
enum serve_stop serve(const struct boot_info *bi);

#endif /* PVKIT_SERVE_H */
