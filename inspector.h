/*
 * inspector.h: what inspector.cpp, a C++ object without the C++ runtime,
 * offers the C code: the banner and the isolation report (carapace inspect).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CARAPACE_INSPECTOR_H
#define CARAPACE_INSPECTOR_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The line that says the container is ready, written to FD; 0 or -1. */
int inspector_banner(int fd, const char *hostname, unsigned long namespaces,
		     const char *root_mode, unsigned long long caps);

/* In the launcher, before the clone: the inodes of its namespaces; 0 if absent. */
void inspector_host_namespaces(unsigned long long inodes[8]);

/*
 * In the workload, at exec time: what it would get, written to FD as text
 * or JSON; 0 or -1. HOST_NS: from inspector_host_namespaces(). MASKED and
 * READONLY: the paths this container was given to mask and to make
 * read-only, NULL-terminated; the report says how each of them looks.
 */
int inspector_report(int fd, bool json, const unsigned long long host_ns[8],
		     const char *const *masked, const char *const *readonly);

#ifdef __cplusplus
}
#endif

#endif /* CARAPACE_INSPECTOR_H */
