#ifndef SECRETS_CPROCESSCONTROL_SHIM_H
#define SECRETS_CPROCESSCONTROL_SHIM_H

// prctl(2) is variadic, and Swift cannot call variadic C functions: this non-variadic wrapper
// is the only thing the module provides. Header only; it links nothing beyond the C library.
#if defined(__linux__)
#include <sys/prctl.h>

// Marks the process non-dumpable: no core file even through a piped core handler
// (core_pattern "|…", which ignores RLIMIT_CORE), no ptrace attach and no reading of
// /proc/<pid>/mem, environ or fd by other processes of the same user. Returns 0 or -1 (errno).
static inline int secrets_disable_dumping(void) {
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

// 1 when the process may dump core (the default), 0 when not, -1 on error.
static inline int secrets_is_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}
#endif

#endif
