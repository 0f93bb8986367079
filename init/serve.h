/* SPDX-License-Identifier: MIT */
/*
 * Serve mode (pvkit.serve=1): after the self-tests the kernel prints "pvkit: ready" and stays
 * up, idling in safe_halt and serving what it has (console commands, xenstore watches, later
 * disk and network services), until someone asks it to stop: the console ("poweroff",
 * "reboot"), or under Xen the toolstack (xl shutdown / xl reboot, through control/shutdown).
 */
#ifndef INIT_SERVE_H
#define INIT_SERVE_H

#include <pvkit/bootinfo.h>
#include <pvkit/command.h>
#include <pvkit/compiler.h>
#include <pvkit/pvkit.h>

/** The boot serve mode serves (for commands that need it); NULL before serve(). */
const struct boot_info *serve_boot_info(void);

/** Serve until pvkit_request_stop() (console poweroff/reboot, xl shutdown/reboot); returns
 * why. */
enum pvkit_stop serve(const struct boot_info *bi);

#endif /* INIT_SERVE_H */
