/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The library's version. The Makefile reads it from here for pvkit.pc, so the header and
 * pkg-config never disagree; CHANGELOG.md says what each version changed.
 */
#ifndef PVKIT_VERSION_H
#define PVKIT_VERSION_H

/** Incompatible interface changes (include/pvkit/os.h, the platform API). */
#define PVKIT_VERSION_MAJOR	0
/** New interfaces, compatible with the same major version. */
#define PVKIT_VERSION_MINOR	15
/** Fixes only. */
#define PVKIT_VERSION_PATCH	0

/** The version as one comparable number: 0xMMmmpp. */
#define PVKIT_VERSION \
	((PVKIT_VERSION_MAJOR << 16) | (PVKIT_VERSION_MINOR << 8) | PVKIT_VERSION_PATCH)

#endif /* PVKIT_VERSION_H */
