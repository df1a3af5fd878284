// CRprocShims: the only hand-written C in rprocd. See docs/ARCHITECTURE.md ("C interop").
//
// Only what Swift cannot call directly. Every symbol is prefixed `rproc_shim_`. The declarations use plain
// C types so that this header pulls in no system header that would need _GNU_SOURCE; the definitions in
// shims.c are compiled with _GNU_SOURCE (set in Package.swift and checked there).
//
// Not here, on purpose: sd-bus needs no shim. Its variadic helpers (sd_bus_message_append/read,
// sd_bus_reply_method_errorf, sd_bus_emit_signal, sd_bus_call_method) are avoided by using the
// non-variadic calls (append_basic, open/close_container, read_basic, enter/exit_container, peek_type,
// sd_bus_error_set, sd_bus_reply_method_error, sd_bus_message_new_signal + sd_bus_send); sd_bus_error is
// initialized field by field in Swift (SD_BUS_ERROR_NULL is `{NULL, NULL, 0}`) and freed with
// sd_bus_error_free in a `defer` (the Swift form of `_cleanup_`); sd_notify is not variadic.
#pragma once

#include <stdint.h>

// eventfd(2) with EFD_CLOEXEC|EFD_NONBLOCK. Why: <sys/eventfd.h> is not part of Swift's Glibc module.
// Delete when Glibc exports eventfd.
int rproc_shim_eventfd(void);

// Names the calling thread (pthread_setname_np(pthread_self(), name); at most 15 bytes are kept).
// Why: pthread_setname_np is a GNU extension, hidden from Swift's Glibc module (no _GNU_SOURCE there).
int rproc_shim_set_thread_name(const char *name);

// accept4(fd, NULL, NULL, SOCK_NONBLOCK|SOCK_CLOEXEC), retried on EINTR. Returns the fd or -errno.
// Why: accept4 is a GNU extension, hidden from Swift's Glibc module.
int rproc_shim_accept(int fd);

// SO_PEERCRED of a connected AF_UNIX socket. Returns 0 or -errno.
// Why: struct ucred is declared only under _GNU_SOURCE, so Swift's Glibc module does not see it.
int rproc_shim_peer_credentials(int fd, uint32_t *uid, uint32_t *gid, int32_t *pid);

// SD_BUS_CREDS_AUGMENT (1ULL << 63). Why: the enum constant does not fit the Int that Swift imports the
// anonymous sd-bus enum as, so Swift does not see it.
extern const uint64_t rproc_shim_sd_bus_creds_augment;
