/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Console commands: any layer may define one next to its handler with SERVE_COMMAND(); a
 * kernel that reads console lines (the reference kernel's serve mode, init/serve.c) finds
 * them all in one table, the linker section .serve_commands sorted by name
 * (__serve_commands_start .. __serve_commands_end, arch/x86/pvkit.lds.S). No init call or
 * registration: a driver's command exists exactly when the driver is linked in.
 */
#ifndef PVKIT_COMMAND_H
#define PVKIT_COMMAND_H

#include <pvkit/compiler.h>
#include <pvkit/types.h>

/** One console command: the first word of an input line selects it. */
struct serve_command {
	const char *name;		/**< the first word */
	const char *help;		/**< one line for "help" */
	void (*fn)(const char *args);	/**< runs it; @p args: the rest of the line ("" if none) */
};

/**
 * SERVE_COMMAND(blk, "stress <disk> | ...", cmd_blk): the console command "blk". The name is
 * a C identifier: the entry's symbol is serve_command_<name>, global, so a name defined twice
 * does not link. The explicit alignment keeps the compiler from padding an entry to 32 bytes
 * (it may for objects this size), which would break the walk over the section as an array.
 */
#define SERVE_COMMAND(cmd, help_line, handler)						\
	const struct serve_command serve_command_##cmd					\
	__section(".serve_commands." #cmd) __used					\
	__aligned(__alignof__(struct serve_command)) = {				\
		.name = #cmd, .help = help_line, .fn = handler,				\
	}

/** The table's bounds (the linker script defines them). */
/** @{ */
extern const struct serve_command __serve_commands_start[], __serve_commands_end[];
/** @} */

/**
 * serve_words() - split a command's arguments at spaces.
 * @param args the arguments.
 * @param buf  receives a copy of @p args (truncated to @p size), cut into words.
 * @param size bytes of @p buf.
 * @param w    receives pointers into @p buf, one per word.
 * @param max  entries of @p w.
 * @return how many words.
 */
unsigned int serve_words(const char *args, char *buf, size_t size, char **w, unsigned int max);

#endif /* PVKIT_COMMAND_H */
