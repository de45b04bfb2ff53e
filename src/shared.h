/*
 * shared.h: the tables that carapace's C code and inspector.cpp both use,
 * declared once for C and C++ and defined once, in shared.c: the names of
 * the capabilities, and the paths every container has masked and read-only.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CARAPACE_SHARED_H
#define CARAPACE_SHARED_H

#ifdef __cplusplus
extern "C" {
#endif

/* The capabilities carapace knows by name: CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE. */
#define N_CAPS 41

/* Capability I's name, without CAP_: cap_names[CAP_CHOWN] is "CHOWN". */
extern const char *const cap_names[N_CAPS];

/* What runc hides from, and makes read-only for, every container; NULL-terminated. */
extern const char *const default_masked_paths[];
extern const char *const default_readonly_paths[];

#ifdef __cplusplus
}
#endif

#endif /* CARAPACE_SHARED_H */
