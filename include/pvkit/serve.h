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
#include <pvkit/compiler.h>

enum serve_stop {
	SERVE_RUNNING,			/* nobody asked yet */
	SERVE_POWEROFF,			/* power off (the run passed if the tests did) */
	SERVE_REBOOT,			/* reboot */
};

/*
 * A console command: the first word of an input line selects it; @fn gets the rest of the line
 * ("" if none). Runs from the idle loop. The code that owns a command defines it next to its
 * handler with SERVE_COMMAND(); serve mode finds them all in one table (the linker section
 * .serve_commands, sorted by name), so no init call, test or driver has to register anything
 * and "help" lists every command the image has.
 */
struct serve_command {
	const char *name;		/* the first word */
	const char *help;		/* one line for "help" */
	void (*fn)(const char *args);	/* runs the command; args: the rest of the line */
};

/*
 * SERVE_COMMAND(blk, "stress <disk> | ...", cmd_blk): the console command "blk". The name is a
 * C identifier: the entry's symbol is serve_command_<name>, global, so a name defined twice
 * does not link. The explicit alignment keeps the compiler from padding an entry to 32 bytes
 * (it may for objects this size), which would break the walk over the section as an array.
 */
#define SERVE_COMMAND(cmd, help_line, handler)						\
	const struct serve_command serve_command_##cmd					\
	__section(".serve_commands." #cmd) __used					\
	__aligned(__alignof__(struct serve_command)) = {				\
		.name = #cmd, .help = help_line, .fn = handler,				\
	}

/** The boot serve mode serves (for commands that need it); NULL before serve(). */
const struct boot_info *serve_boot_info(void);

/** Split a command's @args at spaces into at most @max words, copied into @buf (@size
 * bytes, truncated to fit); @w points into it. Return: how many words. */
unsigned int serve_words(const char *args, char *buf, size_t size, char **w, unsigned int max);

/** Ask serve() to return (from pollers, watch callbacks, console commands). */
void serve_request_stop(enum serve_stop why);

/** Serve until asked to stop; returns why. */
enum serve_stop serve(const struct boot_info *bi);

#endif /* PVKIT_SERVE_H */
