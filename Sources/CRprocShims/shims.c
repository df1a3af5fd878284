// CRprocShims: see include/CRprocShims.h for why each function exists.
#ifndef _GNU_SOURCE
#error "CRprocShims must be compiled with _GNU_SOURCE (cSettings in Package.swift)"
#endif

#include "CRprocShims.h"

#include <errno.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>

_Static_assert(sizeof(uid_t) == sizeof(uint32_t), "uid_t is 32 bits");
_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits");
_Static_assert(sizeof(pid_t) == sizeof(int32_t), "pid_t is 32 bits");

int rproc_shim_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

int rproc_shim_set_thread_name(const char *name) {
    char buf[16];
    size_t i = 0;
    for (; name[i] != '\0' && i < sizeof(buf) - 1; i++) buf[i] = name[i];
    buf[i] = '\0';
    return pthread_setname_np(pthread_self(), buf);
}

int rproc_shim_accept(int fd) {
    int r;
    do {
        r = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

int rproc_shim_peer_credentials(int fd, uint32_t *uid, uint32_t *gid, int32_t *pid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return -errno;
    if (len != sizeof(cred)) return -EIO;
    *uid = cred.uid;
    *gid = cred.gid;
    *pid = cred.pid;
    return 0;
}

const uint64_t rproc_shim_sd_bus_creds_augment = SD_BUS_CREDS_AUGMENT;
