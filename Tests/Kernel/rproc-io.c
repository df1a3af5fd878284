// rproc-io: the exact-bytes file helper the kernel-tier scenarios use (in the guest and on the host).
//
//   rproc-io write PATH BYTES          one open(O_WRONLY) + one write(2) of BYTES (C escapes: \n \r \t
//                                      \0 \\ \xHH); prints "ok N" or the errno name (EINVAL, EACCES…)
//   rproc-io read PATH                 one open + read until EOF; prints the bytes escaped on one line
//                                      (newline as \n), or the errno name
//   rproc-io wait PATH TEXT MS         re-reads PATH every 5 ms until it equals TEXT + "\n"; prints "ok"
//                                      or "timeout <last content escaped>" after MS milliseconds
//   rproc-io size PATH                 reads PATH to EOF; prints the byte count, or the errno name
//   rproc-io kmsg STATEFILE            prints the messages of /dev/kmsg (given as PATH with -k) logged
//                                      after the sequence number saved in STATEFILE, one per line,
//                                      without priority/sequence/timestamp; saves the last number
//   rproc-io appear PATH MS            waits until PATH exists: "ok" or "timeout"
//   rproc-io gone PATH MS              waits until PATH does not exist: "ok" or "timeout"
//   rproc-io waitlog KMSG STATEFILE TEXT MS
//                                      waits until a /dev/kmsg message logged after the number saved in
//                                      STATEFILE contains TEXT: "ok" or "timeout" (STATEFILE unchanged)
//   rproc-io echo PATH TEXT            rpmsg round trip: open PATH, write TEXT, read one reply;
//                                      prints "ok <reply escaped>" or "<step> <errno name>"
// With RPROC_IO_SIGUSR1=1 in the environment, SIGUSR1 is caught (no SA_RESTART), so a write blocked
// in the kernel can be interrupted (EINTR, or what the kernel makes of it).
// Exit status 0 unless the arguments are wrong.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
    const char *n = strerrorname_np(e);
    static char buf[32];
    if (n)
        return n;
    snprintf(buf, sizeof buf, "errno%d", e);
    return buf;
}

static size_t unescape(const char *s, char *out)
{
    size_t n = 0;
    for (; *s; s++) {
        if (*s != '\\' || !s[1]) { out[n++] = *s; continue; }
        s++;
        switch (*s) {
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case '0': out[n++] = '\0'; break;
        case 'x': {
            char hex[3] = { s[1], s[1] ? s[2] : 0, 0 };
            out[n++] = (char)strtoul(hex, NULL, 16);
            s += s[1] ? (s[2] ? 2 : 1) : 0;
            break;
        }
        default: out[n++] = *s;
        }
    }
    return n;
}

static void escape(const char *b, size_t n, FILE *f)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c == '\n') fputs("\\n", f);
        else if (c == '\\') fputs("\\\\", f);
        else if (c < 0x20 || c >= 0x7f) fprintf(f, "\\x%02x", c);
        else fputc(c, f);
    }
}

/* Reads the whole file into buf (at most cap bytes); returns the length or -errno. */
static long slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -errno;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) { int e = errno; close(fd); return -e; }
        if (r == 0 || (n += (size_t)r) == cap) break;
    }
    close(fd);
    return (long)n;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int do_write(const char *path, const char *arg)
{
    char *buf = malloc(strlen(arg) + 1);
    size_t n = unescape(arg, buf);
    int fd = open(path, O_WRONLY);
    if (fd < 0) { puts(ename(errno)); return 0; }
    ssize_t r = write(fd, buf, n);
    if (r < 0) puts(ename(errno));
    else printf("ok %zd\n", r);
    close(fd);
    return 0;
}

static int do_read(const char *path)
{
    static char buf[1 << 16];
    long n = slurp(path, buf, sizeof buf);
    if (n < 0) { puts(ename((int)-n)); return 0; }
    escape(buf, (size_t)n, stdout);
    putchar('\n');
    return 0;
}

static int do_size(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) { puts(ename(errno)); return 0; }
    static char buf[1 << 16];
    long long total = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) total += r;
    if (r < 0) puts(ename(errno));
    else printf("%lld\n", total);
    close(fd);
    return 0;
}

static int do_wait(const char *path, const char *text, long ms)
{
    static char buf[4096], want[4096];
    size_t wn = unescape(text, want);
    want[wn++] = '\n';
    long long end = now_ms() + ms;
    long n;
    for (;;) {
        n = slurp(path, buf, sizeof buf);
        if (n == (long)wn && memcmp(buf, want, wn) == 0) { puts("ok"); return 0; }
        if (now_ms() >= end) break;
        usleep(5000);
    }
    fputs("timeout ", stdout);
    if (n < 0) fputs(ename((int)-n), stdout);
    else escape(buf, (size_t)n, stdout);
    putchar('\n');
    return 0;
}

/* Reads the sequence number saved in a state file; -1 when there is none. */
static long long saved_seq(const char *state)
{
    long long last = -1;
    FILE *s = fopen(state, "r");
    if (s) { if (fscanf(s, "%lld", &last) != 1) last = -1; fclose(s); }
    return last;
}

/*
 * Calls fn(message, ctx) for every /dev/kmsg record after sequence number `last` (message text only,
 * up to its first newline) until fn returns nonzero; returns the highest sequence number seen
 * (at least last), or -2 - errno when kmsg cannot be opened.
 */
static long long kmsg_each(const char *kmsg, long long last, int (*fn)(const char *, void *), void *ctx)
{
    int fd = open(kmsg, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return -2 - errno;
    static char rec[8192];
    long long seq, max = last;
    for (;;) {
        ssize_t r = read(fd, rec, sizeof rec - 1);
        if (r < 0) { if (errno == EPIPE) continue; break; }
        if (r == 0) break;
        rec[r] = 0;
        char *semi = strchr(rec, ';');
        if (!semi || sscanf(rec, "%*u,%lld", &seq) != 1 || seq <= last) continue;
        if (seq > max) max = seq;
        char *nl = strchr(semi + 1, '\n');
        if (nl) *nl = 0;
        if (fn(semi + 1, ctx)) break;
    }
    close(fd);
    return max;
}

static int print_message(const char *msg, void *ctx) { (void)ctx; puts(msg); return 0; }
struct search { const char *text; int found; };
static int contains(const char *msg, void *ctx)
{
    struct search *q = ctx;
    return q->found = strstr(msg, q->text) != NULL;
}

static int do_kmsg(const char *kmsg, const char *state)
{
    long long max = kmsg_each(kmsg, saved_seq(state), print_message, NULL);
    if (max < -1) { printf("kmsg %s\n", ename((int)(-2 - max))); return 0; }
    FILE *s = fopen(state, "w");
    if (s) { fprintf(s, "%lld\n", max); fclose(s); }
    return 0;
}

static int do_exists(const char *path, long ms, int want)
{
    long long end = now_ms() + ms;
    for (;;) {
        if ((access(path, F_OK) == 0) == want) { puts("ok"); return 0; }
        if (now_ms() >= end) { puts("timeout"); return 0; }
        usleep(5000);
    }
}

static int do_waitlog(const char *kmsg, const char *state, const char *text, long ms)
{
    long long last = saved_seq(state), end = now_ms() + ms;
    for (;;) {
        struct search q = { text, 0 };
        kmsg_each(kmsg, last, contains, &q);
        if (q.found) { puts("ok"); return 0; }
        if (now_ms() >= end) { puts("timeout"); return 0; }
        usleep(5000);
    }
}

static int do_echo(const char *path, const char *text)
{
    char *msg = malloc(strlen(text) + 1);
    size_t n = unescape(text, msg);
    int fd = open(path, O_RDWR);
    if (fd < 0) { printf("open %s\n", ename(errno)); return 0; }
    if (write(fd, msg, n) < 0) { printf("write %s\n", ename(errno)); close(fd); return 0; }
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int pr = poll(&p, 1, 2000);
    if (pr <= 0) { printf("read %s\n", pr == 0 ? "timeout" : ename(errno)); close(fd); return 0; }
    static char buf[512];
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0) printf("read %s\n", ename(errno));
    else { fputs("ok ", stdout); escape(buf, (size_t)r, stdout); putchar('\n'); }
    close(fd);
    return 0;
}

static void on_signal(int sig) { (void)sig; }

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getenv("RPROC_IO_SIGUSR1")) {
        struct sigaction sa = { .sa_handler = on_signal };
        sigaction(SIGUSR1, &sa, NULL);
    }
    if (argc == 4 && !strcmp(argv[1], "write")) return do_write(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "read")) return do_read(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "size")) return do_size(argv[2]);
    if (argc == 5 && !strcmp(argv[1], "wait")) return do_wait(argv[2], argv[3], atol(argv[4]));
    if (argc == 4 && !strcmp(argv[1], "kmsg")) return do_kmsg(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "appear")) return do_exists(argv[2], atol(argv[3]), 1);
    if (argc == 4 && !strcmp(argv[1], "gone")) return do_exists(argv[2], atol(argv[3]), 0);
    if (argc == 6 && !strcmp(argv[1], "waitlog")) return do_waitlog(argv[2], argv[3], argv[4], atol(argv[5]));
    if (argc == 4 && !strcmp(argv[1], "echo")) return do_echo(argv[2], argv[3]);
    fputs("usage: rproc-io write PATH BYTES | read PATH | size PATH | wait PATH TEXT MS |"
          " kmsg KMSG STATEFILE | appear PATH MS | gone PATH MS | waitlog KMSG STATEFILE TEXT MS |"
          " echo RPMSGDEV TEXT\n", stderr);
    return 2;
}
