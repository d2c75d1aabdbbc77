/* The C test suite: every exported function, its success and its error paths, on real queues.
 * Exit status 0 when every check passed; one line per failed check on stderr. Leaves no queue behind. */
#define _GNU_SOURCE
/* A 64-bit time_t on every target (glibc 2.34+): time() and glibc's own msgctl stay right past 2038 on
 * the 32-bit ones too (.ci/vm runs this suite with the clock past 2^31 and 2^32 seconds). */
#define _FILE_OFFSET_BITS 64
#define _TIME_BITS 64
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/time.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "svmq.h"

/* A type beyond 32 bits where long has 64; the largest type where long has 32 (i686, armv7, powerpc). */
#if LONG_MAX > 2147483647L
#define WIDE_TYPE (1L << 40)
#else
#define WIDE_TYPE LONG_MAX
#endif

static int checks, failures;
#define CHECK(cond) do { checks++; if (!(cond)) { failures++; \
    fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define EQ(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); checks++; if (a_ != b_) { failures++; \
    fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, a_, #b, b_); } } while (0)

/* qemu-user's msgctl writes its own target_msqid_ds, whose layout differs from the kernel's msqid64_ds on
 * some targets (tests/common/qemu_msgctl.rs has the details): probed once from the raw bytes the direct
 * system call leaves for a queue with known values, named in a NOTE line per difference; the checks then
 * read (and set) those fields where qemu put them. Nothing is found on a real kernel. */
#if defined(__s390x__)
#define TARGET_NAME "s390x-unknown-linux-gnu"
#elif defined(__powerpc__) && !defined(__powerpc64__)
#define TARGET_NAME "powerpc-unknown-linux-gnu"
#endif
static int quirk_mode_high, quirk_pids_long, quirk_time_high;

#ifdef TARGET_NAME
#include <sys/syscall.h>
static int raw_stat(int32_t id, unsigned char *b) {
    return (int)syscall(SYS_msgctl, id, IPC_STAT, b);
}
static uint32_t raw32(const unsigned char *b, int at) { uint32_t v; memcpy(&v, b + at, 4); return v; }
#endif
#if defined(__s390x__)
static uint64_t raw64(const unsigned char *b, int at) { uint64_t v; memcpy(&v, b + at, 8); return v; }
#endif

static void probe_emulator(void) {
#ifdef TARGET_NAME
    int id = msgget(IPC_PRIVATE, 0640);
    struct { long t; char c[1]; } m = {1, {'p'}};
    unsigned char b[256] = {0};
    if (id < 0 || msgsnd(id, &m, 1, 0) || msgsnd(id, &m, 1, 0) || msgrcv(id, &m, 1, 0, 0) != 1 || raw_stat(id, b)) {
        fprintf(stderr, "probe queue failed\n");
        exit(2);
    }
    msgctl(id, IPC_RMID, NULL);
#if defined(__s390x__)
    if (raw32(b, 20) == 0640u << 16) {
        quirk_mode_high = 1;
        printf("NOTE: " TARGET_NAME " emulator: qemu-user's msgctl puts the mode in the high half of the kernel's "
               "32-bit field (IPC_STAT and IPC_SET): checked there\n");
    }
    if ((int32_t)raw32(b, 100) == getpid() && raw64(b, 104) == (uint64_t)getpid()) {
        quirk_pids_long = 1;
        printf("NOTE: " TARGET_NAME " emulator: qemu-user's msgctl writes msg_lspid/msg_lrpid as 8-byte longs at 96 "
               "and 104 (kernel: ints at 96 and 100): checked there\n");
    }
#else
    long long hi = raw32(b, 48), now = (long long)time(NULL);
    if (raw32(b, 52) == 0 && hi > now - 60 && hi < now + 5) {
        quirk_time_high = 1;
        printf("NOTE: " TARGET_NAME " emulator: qemu-user's msgctl writes each time's 32 bits into the kernel's "
               "_high word and never the low word (glibc reads whatever its buffer held there): checked there\n");
    }
#endif
#endif
}

/* svmq_stat's fields as the kernel has them, from where this emulator put them (unchanged elsewhere). */
static void kernel_view(int32_t id, svmq_stat_t *st) {
    if (!(quirk_mode_high || quirk_pids_long || quirk_time_high)) return;
#ifdef TARGET_NAME
    unsigned char b[256] = {0};
    if (raw_stat(id, b)) return;
#if defined(__s390x__)
    if (quirk_mode_high) st->mode = (raw32(b, 20) >> 16) & 07777;
    if (quirk_pids_long) { st->lspid = (int32_t)raw32(b, 100); st->lrpid = (int32_t)raw64(b, 104); }
#else
    if (quirk_time_high) { st->stime = raw32(b, 48); st->rtime = raw32(b, 56); st->ctime = raw32(b, 64); }
#endif
#else
    (void)id; (void)st;
#endif
}

/* svmq_set, then, where this emulator reads IPC_SET's mode from the high half, the mode put there. */
static int32_t kernel_set(int32_t id, const svmq_set_t *s) {
    int32_t r = svmq_set(id, s);
#if defined(__s390x__)
    if (r == 0 && quirk_mode_high) {
        unsigned char b[256] = {0};
        uint32_t v = s->mode << 16;
        uint64_t q = s->qbytes;
        memcpy(b + 4, &s->uid, 4);
        memcpy(b + 8, &s->gid, 4);
        memcpy(b + 20, &v, 4);
        memcpy(b + 88, &q, 8);
        r = (int32_t)syscall(SYS_msgctl, id, IPC_SET, b);
    }
#endif
    return r;
}

/* The kernel's real-time clock in seconds, from the clock_gettime system call itself (clock_gettime64 on
 * 32-bit targets), the clock the queue times come from. Not time(): glibc 2.36 on 32-bit powerpc reads the
 * vDSO's 32-bit call and takes any positive answer, so past 2106 it says the seconds modulo 2^32. */
static int64_t kernel_time(void) {
    struct { int64_t sec, nsec; } ts = {0, 0};
#ifdef SYS_clock_gettime64
    long r = syscall(SYS_clock_gettime64, CLOCK_REALTIME, &ts);
#else
    long r = syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
#endif
    if (r != 0) { fprintf(stderr, "clock_gettime: %ld\n", r); exit(2); }
    return ts.sec;
}

static int32_t fresh(void) {
    int32_t id = svmq_get(SVMQ_IPC_PRIVATE, 0600);
    if (id < 0) { fprintf(stderr, "cannot create a queue: %d\n", id); exit(2); }
    return id;
}

static long read_proc(const char *name) {
    char path[64];
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f) { if (fscanf(f, "%ld", &v) != 1) v = -1; fclose(f); }
    return v;
}

static void test_ftok(void) {
    int32_t key = 0;
    EQ(svmq_ftok(NULL, 1, &key), -EFAULT);
    EQ(svmq_ftok("/", 1, NULL), -EFAULT);
    EQ(svmq_ftok("/nonexistent/svmq", 1, &key), -ENOENT);
    const char *paths[] = {"/", "/tmp", "/proc/self", "/dev/null"};
    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++)
        for (int id = 1; id <= 255; id += 17) {
            EQ(svmq_ftok(paths[p], id, &key), 0);
            EQ(key, ftok(paths[p], id));
        }
    EQ(svmq_ftok("/", 0x141, &key), 0);
    EQ(key, ftok("/", 0x141)); /* only the low 8 bits count, as in glibc */
}

static void test_get(void) {
    EQ(svmq_get(SVMQ_IPC_PRIVATE, 0600 | 01000000), -EINVAL); /* unknown flag bit */
    EQ(svmq_get(SVMQ_IPC_PRIVATE, 04600), -EINVAL);           /* setuid bit: not a queue mode */
    int32_t key = (int32_t)(0x5c000000u | ((unsigned)getpid() & 0xffffff));
    EQ(svmq_get(key, 0), -ENOENT);
    int32_t id = svmq_get(key, SVMQ_IPC_CREAT | SVMQ_IPC_EXCL | 0640);
    CHECK(id >= 0);
    EQ(svmq_get(key, SVMQ_IPC_CREAT | SVMQ_IPC_EXCL | 0640), -EEXIST);
    EQ(svmq_get(key, 0), id);
    EQ(svmq_get(key, SVMQ_IPC_CREAT | 0600), id);
    svmq_stat_t st;
    EQ(svmq_stat(id, &st), 0);
    kernel_view(id, &st);
    EQ(st.key, key);
    EQ(st.mode, 0640);
    EQ(st.id, id);
    EQ(svmq_remove(id), 0);
    int32_t a = fresh(), b = fresh();
    CHECK(a != b);
    svmq_remove(a);
    svmq_remove(b);
}

static void test_send_recv(void) {
    int32_t id = fresh();
    char buf[64];
    long t = -1;
    EQ(svmq_send(-1, 1, "x", 1, 0), -EINVAL);
    EQ(svmq_send(id, 0, "x", 1, 0), -EINVAL);
    EQ(svmq_send(id, -5, "x", 1, 0), -EINVAL);
    EQ(svmq_send(id, 1, NULL, 1, 0), -EFAULT);
    EQ(svmq_send(id, 1, "x", 1, SVMQ_MSG_NOERROR), -EINVAL);
    static char big[SVMQ_MAX_PAYLOAD + 1];
    EQ(svmq_send(id, 1, big, sizeof big, 0), -E2BIG);
    svmq_stat_t st;
    EQ(svmq_stat(id, &st), 0);
    EQ(st.qnum, 0); /* nothing was queued by the failures */

    EQ(svmq_send(id, 1, NULL, 0, 0), 0); /* empty message, NULL allowed */
    EQ(svmq_recv(id, 0, NULL, 0, &t, SVMQ_IPC_NOWAIT), 0);
    EQ(t, 1);
    EQ(svmq_send(id, 1, big, SVMQ_MAX_PAYLOAD, 0), 0); /* full capacity */
    static char back[SVMQ_MAX_PAYLOAD];
    EQ(svmq_recv(id, 0, back, sizeof back, NULL, 0), SVMQ_MAX_PAYLOAD);

    EQ(svmq_recv(-3, 0, buf, sizeof buf, NULL, 0), -EINVAL);
    EQ(svmq_recv(id, 0, NULL, 8, NULL, 0), -EFAULT);
    EQ(svmq_recv(id, 0, buf, sizeof buf, NULL, 0x7), -EINVAL);
    EQ(svmq_recv(id, 0, buf, sizeof buf, NULL, SVMQ_IPC_NOWAIT), -ENOMSG);

    /* selectors */
    EQ(svmq_send(id, 5, "five", 4, 0), 0);
    EQ(svmq_send(id, 3, "three", 5, 0), 0);
    EQ(svmq_send(id, 9, "nine", 4, 0), 0);
    EQ(svmq_send(id, WIDE_TYPE, "wide", 4, 0), 0);
    t = 0;
    EQ(svmq_recv(id, WIDE_TYPE, buf, sizeof buf, &t, SVMQ_IPC_NOWAIT), 4); /* exact, the widest */
    EQ(t, WIDE_TYPE);
    EQ(svmq_recv(id, -6, buf, sizeof buf, &t, SVMQ_IPC_NOWAIT), 5);         /* lowest <= 6 */
    EQ(t, 3);
    CHECK(memcmp(buf, "three", 5) == 0);
    EQ(svmq_recv(id, 5, buf, sizeof buf, &t, SVMQ_IPC_NOWAIT | SVMQ_MSG_EXCEPT), 4); /* all but 5 */
    EQ(t, 9);
    EQ(svmq_recv(id, 4, buf, sizeof buf, &t, SVMQ_IPC_NOWAIT), -ENOMSG);
    EQ(svmq_recv(id, 0, buf, sizeof buf, &t, SVMQ_IPC_NOWAIT), 4); /* any */
    EQ(t, 5);

    /* E2BIG keeps the message queued; MSG_NOERROR truncates */
    EQ(svmq_send(id, 2, "0123456789", 10, 0), 0);
    EQ(svmq_recv(id, 0, buf, 4, &t, SVMQ_IPC_NOWAIT), -E2BIG);
    EQ(svmq_stat(id, &st), 0);
    EQ(st.qnum, 1);
    memset(buf, 0, sizeof buf);
    EQ(svmq_recv(id, 0, buf, 4, &t, SVMQ_IPC_NOWAIT | SVMQ_MSG_NOERROR), 4);
    CHECK(memcmp(buf, "0123", 4) == 0 && buf[4] == 0);
    EQ(svmq_stat(id, &st), 0);
    EQ(st.qnum, 0);

    /* outputs untouched on failure */
    t = 1234;
    EQ(svmq_recv(id, 0, buf, sizeof buf, &t, SVMQ_IPC_NOWAIT), -ENOMSG);
    EQ(t, 1234);

    /* MSG_COPY: copy by index, nothing dequeued */
    EQ(svmq_send(id, 1, "a", 1, 0), 0);
    EQ(svmq_send(id, 2, "b", 1, 0), 0);
    int64_t n = svmq_recv(id, 1, buf, sizeof buf, &t, SVMQ_IPC_NOWAIT | SVMQ_MSG_COPY);
    if (n == -ENOSYS) {
        fprintf(stderr, "note: kernel without MSG_COPY, got -ENOSYS\n");
    } else {
        EQ(n, 1);
        EQ(t, 2);
        EQ(buf[0], 'b');
        EQ(svmq_recv(id, 2, buf, sizeof buf, &t, SVMQ_IPC_NOWAIT | SVMQ_MSG_COPY), -ENOMSG);
        /* A copy longer than the buffer: -E2BIG, and with MSG_NOERROR -EINVAL (a copy is never cut). */
        EQ(svmq_send(id, 3, "0123456789", 10, 0), 0);
        t = 1234;
        EQ(svmq_recv(id, 2, buf, 4, &t, SVMQ_IPC_NOWAIT | SVMQ_MSG_COPY), -E2BIG);
        EQ(svmq_recv(id, 2, buf, 4, &t, SVMQ_IPC_NOWAIT | SVMQ_MSG_COPY | SVMQ_MSG_NOERROR), -EINVAL);
        EQ(t, 1234);
        EQ(svmq_recv(id, 3, buf, sizeof buf, &t, SVMQ_IPC_NOWAIT | SVMQ_MSG_NOERROR), 10); /* take it back */
        EQ(t, 3);
    }
    EQ(svmq_stat(id, &st), 0);
    EQ(st.qnum, 2);
    EQ(svmq_remove(id), 0);
}

static void test_raw(void) {
    int32_t id = fresh();
    struct { long mtype; char mtext[32]; } m = {7, "raw payload"}, r;
    EQ(svmq_send_raw(id, NULL, 4, 0), -EFAULT);
    EQ(svmq_send_raw(-1, &m, 4, 0), -EINVAL);
    m.mtype = 0;
    EQ(svmq_send_raw(id, &m, 4, 0), -EINVAL);
    m.mtype = -2;
    EQ(svmq_send_raw(id, &m, 4, 0), -EINVAL);
    m.mtype = 7;
    EQ(svmq_send_raw(id, &m, 11, SVMQ_IPC_NOWAIT), 0);
    EQ(svmq_recv_raw(id, NULL, 32, 0, 0), -EFAULT);
    EQ(svmq_recv_raw(id, &r, 4, 0, SVMQ_IPC_NOWAIT), -E2BIG);
    EQ(svmq_recv_raw(id, &r, sizeof r.mtext, 0, SVMQ_IPC_NOWAIT), 11);
    EQ(r.mtype, 7);
    CHECK(memcmp(r.mtext, "raw payload", 11) == 0);
    /* beyond the kernel's msgmax: the kernel says EINVAL */
    long msgmax = read_proc("msgmax");
    char *huge = calloc(1, sizeof(long) + (size_t)msgmax + 1);
    *(long *)huge = 1;
    EQ(svmq_send_raw(id, huge, (size_t)msgmax + 1, SVMQ_IPC_NOWAIT), -EINVAL);
    EQ(svmq_send_raw(id, huge, (size_t)msgmax, SVMQ_IPC_NOWAIT), 0);
    EQ(svmq_recv_raw(id, huge, (size_t)msgmax, 0, SVMQ_IPC_NOWAIT), msgmax);
    free(huge);
    EQ(svmq_remove(id), 0);
}

static void test_full_queue(void) {
    int32_t id = fresh();
    svmq_stat_t st;
    EQ(svmq_stat(id, &st), 0);
    svmq_set_t s = {st.uid, st.gid, st.mode, 16};
    EQ(svmq_set(id, &s), 0);
    EQ(svmq_send(id, 1, "0123456789abcdef", 16, SVMQ_IPC_NOWAIT), 0);
    EQ(svmq_send(id, 1, "x", 1, SVMQ_IPC_NOWAIT), -EAGAIN);
    EQ(svmq_remove(id), 0);
}

static void test_stat_set_remove(void) {
    int32_t id = fresh();
    svmq_stat_t st;
    svmq_set_t s;
    EQ(svmq_stat(id, NULL), -EFAULT);
    EQ(svmq_stat(-1, &st), -EINVAL);
    EQ(svmq_set(id, NULL), -EFAULT);
    EQ(svmq_stat(id, &st), 0);
    EQ(st.uid, geteuid());
    EQ(st.cgid, getegid());
    EQ(st.qbytes, read_proc("msgmnb"));
    EQ(st.lspid, 0);
    EQ(svmq_send(id, 1, "abc", 3, 0), 0);
    EQ(svmq_stat(id, &st), 0);
    svmq_stat_t k = st;
    kernel_view(id, &k);
    EQ(k.lspid, getpid());
    EQ(st.cbytes, 3);
    CHECK(k.stime > 0 && k.stime <= kernel_time());
    /* the same fields as glibc's msgctl */
    struct msqid_ds ds;
    EQ(msgctl(id, IPC_STAT, &ds), 0);
    EQ(ds.msg_qnum, st.qnum);
    EQ(ds.msg_qbytes, st.qbytes);
    EQ(ds.msg_lspid, st.lspid);
    if (!quirk_time_high) EQ(ds.msg_stime, st.stime); /* else glibc's own low word is never written: see probe_emulator */
    EQ(ds.msg_perm.mode & 0777, st.mode);
    EQ(ds.msg_perm.__key, st.key);

    s = (svmq_set_t){1000, 1001, 0604, st.qbytes / 2};
    EQ(kernel_set(id, &s), 0);
    EQ(svmq_stat(id, &st), 0);
    kernel_view(id, &st);
    EQ(st.uid, 1000);
    EQ(st.gid, 1001);
    EQ(st.mode, 0604);
    EQ(st.qbytes, s.qbytes);
    s.mode = 01604;
    EQ(svmq_set(id, &s), -EINVAL);
    s.mode = 0604;
    /* The kernel takes qbytes as a C int (2^32 + 100 would become 100, 2^31 negative): refused first. */
    s.qbytes = UINT64_MAX;
    EQ(svmq_set(id, &s), -EINVAL);
    s.qbytes = (UINT64_C(1) << 32) + 100;
    EQ(svmq_set(id, &s), -EINVAL);
    s.qbytes = UINT64_C(1) << 31;
    EQ(svmq_set(id, &s), -EINVAL);
    EQ(svmq_stat(id, &st), 0);
    EQ(st.qbytes, read_proc("msgmnb") / 2); /* unchanged by the refused calls */
    EQ(svmq_remove(id), 0);
    EQ(svmq_remove(id), -EINVAL);
    EQ(svmq_stat(id, &st), -EINVAL);
    EQ(svmq_send(id, 1, "x", 1, SVMQ_IPC_NOWAIT), -EINVAL);
    EQ(svmq_remove(-1), -EINVAL);
}

/* The kernel's send, receive and change times in svmq_stat_t, exactly: each within the clock's readings
 * just before and just after the call that set it, and equal to what glibc's msgctl reports. */
static void test_times(void) {
    int32_t id = fresh();
    svmq_stat_t st;
    char buf[8];
    int64_t s0 = kernel_time();
    EQ(svmq_send(id, 2, "tick", 4, 0), 0);
    int64_t s1 = kernel_time();
    int64_t r0 = kernel_time();
    EQ(svmq_recv(id, 0, buf, sizeof buf, NULL, 0), 4);
    int64_t r1 = kernel_time();
    EQ(svmq_stat(id, &st), 0);
    svmq_set_t s = {st.uid, st.gid, st.mode, st.qbytes};
    int64_t c0 = kernel_time();
    EQ(kernel_set(id, &s), 0);
    int64_t c1 = kernel_time();
    EQ(svmq_stat(id, &st), 0);
    kernel_view(id, &st);
    CHECK(s0 <= st.stime && st.stime <= s1);
    CHECK(r0 <= st.rtime && st.rtime <= r1);
    CHECK(c0 <= st.ctime && st.ctime <= c1);
    struct msqid_ds ds;
    EQ(msgctl(id, IPC_STAT, &ds), 0);
    if (!quirk_time_high) { /* else glibc's own low words are never written: see probe_emulator */
        EQ(ds.msg_stime, st.stime);
        EQ(ds.msg_rtime, st.rtime);
        EQ(ds.msg_ctime, st.ctime);
    }
    EQ(svmq_remove(id), 0);
}

static void test_limits_and_enumeration(void) {
    svmq_limits_t l;
    EQ(svmq_limits(NULL), -EFAULT);
    EQ(svmq_limits(&l), 0);
    EQ(l.msgmax, read_proc("msgmax"));
    EQ(l.msgmnb, read_proc("msgmnb"));
    EQ(l.msgmni, read_proc("msgmni"));
    int32_t id = fresh();
    EQ(svmq_send(id, 1, "12345", 5, 0), 0);
    EQ(svmq_limits(&l), 0);
    CHECK(l.queues >= 1 && l.messages >= 1 && l.bytes >= 5 && l.max_index >= 0);
    svmq_stat_t st;
    int found = 0;
    for (int32_t i = 0; i <= l.max_index; i++) {
        int32_t got = svmq_stat_index(i, &st);
        if (got == id) {
            found = 1;
            EQ(st.id, id);
            EQ(st.cbytes, 5);
        }
    }
    CHECK(found);
    EQ(svmq_stat_index(-1, &st), -EINVAL);
    EQ(svmq_stat_index(0, NULL), -EFAULT);
    svmq_remove(id);
}

static void test_strerror(void) {
    CHECK(strcmp(svmq_strerror(-ENOMSG), "No message of desired type") == 0);
    CHECK(strcmp(svmq_strerror(EIDRM), "Identifier removed") == 0);
    CHECK(strcmp(svmq_strerror(-EAGAIN), strerror(EAGAIN)) == 0);
    CHECK(svmq_strerror(0) != NULL && svmq_strerror(99999) != NULL && svmq_strerror(INT32_MIN) != NULL);
    CHECK(strcmp(svmq_errname(-E2BIG), "E2BIG") == 0);
    CHECK(svmq_errname(INT32_MIN) != NULL);
}

/* The library's version is the header's: both are Cargo.toml's. */
static void test_version(void) {
    char v[64];
    snprintf(v, sizeof v, "%d.%d.%d", SVMQ_VERSION_MAJOR, SVMQ_VERSION_MINOR, SVMQ_VERSION_PATCH);
    CHECK(strncmp(SVMQ_VERSION, v, strlen(v)) == 0);
    CHECK(svmq_version() != NULL && strcmp(svmq_version(), SVMQ_VERSION) == 0);
}

static void test_spin(void) {
    int32_t id = fresh();
    svmq_spin_t spin;
    struct { long mtype; char mtext[8]; } m = {4, "spin"}, r;
    EQ(svmq_spin_init(NULL, 1000), -EFAULT);
    EQ(svmq_spin_init(&spin, SVMQ_SPIN_DEFAULT_NS), 0);
    EQ(svmq_recv_raw_spin(id, &r, 8, 0, 0, NULL), -EFAULT);
    EQ(svmq_recv_raw_spin(id, &r, 8, 0, SVMQ_IPC_NOWAIT, &spin), -ENOMSG);
    EQ(svmq_send_raw(id, &m, 4, 0), 0);
    m.mtype = 6;
    EQ(svmq_send_raw(id, &m, 4, 0), 0);
    EQ(svmq_recv_raw_spin(id, &r, 8, 4, SVMQ_MSG_EXCEPT, &spin), 4);
    EQ(r.mtype, 6);
    EQ(svmq_recv_raw_spin(id, &r, 8, -5, 0, &spin), 4);
    EQ(r.mtype, 4);
    EQ(svmq_remove(id), 0);
}

/* --- deadline calls ------------------------------------------------------------------------------ */

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define MS 1000000ull

static volatile sig_atomic_t usr1_seen;
static void on_usr1(int sig) { (void)sig; usr1_seen++; }

struct pester { pthread_t target; volatile int done; };
static void *pester_main(void *arg) {
    struct pester *p = arg;
    usleep(30 * 1000);
    while (!p->done) { pthread_kill(p->target, SIGUSR1); usleep(20 * 1000); }
    return NULL;
}

struct drain { int32_t id; };
static void *drain_main(void *arg) {
    struct drain *d = arg;
    char buf[16];
    usleep(100 * 1000);
    svmq_recv(d->id, 0, buf, sizeof buf, NULL, 0);
    return NULL;
}

static int same_action(int sig, const struct sigaction *a) {
    struct sigaction b;
    sigaction(sig, NULL, &b);
    return a->sa_handler == b.sa_handler && a->sa_flags == b.sa_flags;
}

static void test_timed(void) {
    int32_t id = fresh();
    char buf[16];
    long t = 0;
    struct { long mtype; char mtext[16]; } m = {3, "raw"}, r;

    /* Arguments: as the untimed calls. */
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, NULL, 01000000, MS), -EINVAL);
    EQ(svmq_recv_timed(id, 0, NULL, sizeof buf, NULL, 0, MS), -EFAULT);
    EQ(svmq_recv_timed(-1, 0, buf, sizeof buf, NULL, 0, MS), -EINVAL);
    EQ(svmq_recv_raw_timed(id, NULL, 8, 0, 0, MS), -EFAULT);
    EQ(svmq_recv_raw_timed(id, &r, 8, 0, 01000000, MS), -EINVAL);
    EQ(svmq_send_timed(id, 0, "x", 1, 0, MS), -EINVAL);
    EQ(svmq_send_timed(id, 1, NULL, 1, 0, MS), -EFAULT);
    EQ(svmq_send_timed(id, 1, buf, SVMQ_MAX_PAYLOAD + 1, 0, MS), -E2BIG);
    EQ(svmq_send_raw_timed(id, NULL, 1, 0, MS), -EFAULT);
    EQ(svmq_send_raw_timed(id, &m, 1, SVMQ_MSG_NOERROR, MS), -EINVAL);

    /* An empty queue: -ETIMEDOUT, never before the deadline; 0 is one attempt; IPC_NOWAIT keeps -ENOMSG. */
    int64_t start = now_ns();
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, &t, 0, 20 * MS), -ETIMEDOUT);
    CHECK(now_ns() - start >= (int64_t)(20 * MS));
    start = now_ns();
    EQ(svmq_recv_raw_timed(id, &r, 16, 0, 0, 20 * MS), -ETIMEDOUT);
    CHECK(now_ns() - start >= (int64_t)(20 * MS));
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, &t, 0, 0), -ETIMEDOUT);
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, &t, SVMQ_IPC_NOWAIT, 1000 * MS), -ENOMSG);

    /* Messages there: selectors, out_mtype, truncation, as svmq_recv / svmq_recv_raw. */
    EQ(svmq_send_timed(id, 5, "five", 4, 0, MS), 0);
    EQ(svmq_send_raw_timed(id, &m, 3, 0, MS), 0);
    EQ(svmq_recv_timed(id, 3, buf, sizeof buf, &t, SVMQ_MSG_EXCEPT, MS), 4);
    EQ(t, 5);
    EQ(svmq_recv_timed(id, 3, buf, 2, &t, 0, MS), -E2BIG);
    EQ(svmq_recv_raw_timed(id, &r, 2, -4, SVMQ_MSG_NOERROR, MS), 2);
    EQ(r.mtype, 3);
    CHECK(memcmp(r.mtext, "ra", 2) == 0);

    /* A full queue: the timed sends give up, queue nothing, and succeed once space appears. */
    svmq_stat_t st;
    EQ(svmq_stat(id, &st), 0);
    svmq_set_t s = {st.uid, st.gid, st.mode, 4};
    EQ(svmq_set(id, &s), 0);
    EQ(svmq_send_timed(id, 1, "full", 4, 0, 0), 0);
    start = now_ns();
    EQ(svmq_send_timed(id, 1, "more", 4, 0, 20 * MS), -ETIMEDOUT);
    CHECK(now_ns() - start >= (int64_t)(20 * MS));
    EQ(svmq_send_raw_timed(id, &m, 3, 0, 20 * MS), -ETIMEDOUT);
    EQ(svmq_send_raw_timed(id, &m, 3, SVMQ_IPC_NOWAIT, 20 * MS), -EAGAIN);
    EQ(svmq_stat(id, &st), 0);
    EQ(st.qnum, 1);
    pthread_t th;
    struct drain d = {id};
    EQ(pthread_create(&th, NULL, drain_main, &d), 0);
    EQ(svmq_send_raw_timed(id, &m, 3, 0, 20000 * MS), 0);
    pthread_join(th, NULL);
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, &t, 0, 0), 3);

    /* The application's own signal (SIGUSR1, its handler): -EINTR long before the deadline; its handler
     * and the thread's mask are as they were. */
    struct sigaction sa, before;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR1, NULL, &before);
    sigset_t mask_before, mask_after;
    pthread_sigmask(SIG_BLOCK, NULL, &mask_before);
    struct pester p = {pthread_self(), 0};
    EQ(pthread_create(&th, NULL, pester_main, &p), 0);
    start = now_ns();
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, &t, 0, 20000 * MS), -EINTR);
    EQ(svmq_send_timed(id, 1, "full", 4, 0, 0), 0);
    EQ(svmq_send_timed(id, 1, "more", 4, 0, 20000 * MS), -EINTR);
    p.done = 1;
    pthread_join(th, NULL);
    CHECK(now_ns() - start < (int64_t)(20000 * MS));
    CHECK(usr1_seen > 0);
    CHECK(same_action(SIGUSR1, &before));
    pthread_sigmask(SIG_BLOCK, NULL, &mask_after);
    for (int sig = 1; sig < 65; sig++) EQ(sigismember(&mask_after, sig), sigismember(&mask_before, sig));
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, &t, 0, 0), 4);

    /* The signal: reported, chosen, refused outside the real-time signals no C library reserves (35 to
     * 64), refused when the program uses it. */
    EQ(svmq_timeout_signal(0), SVMQ_DEFAULT_TIMEOUT_SIGNAL);
    EQ(SVMQ_TIMEOUT_SIGNAL_MIN, 35);
    EQ(SVMQ_TIMEOUT_SIGNAL_MAX, 64);
    int refused[] = {-1, 65, SIGUSR1, SIGTERM, SIGSEGV, SIGALRM, SIGKILL, 32, 33, 34, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) EQ(svmq_timeout_signal(refused[i]), -EINVAL);
    EQ(svmq_timeout_signal(0), SVMQ_DEFAULT_TIMEOUT_SIGNAL);
    CHECK(same_action(SIGUSR1, &before));
    struct sigaction rt_before;
    sigaction(SIGRTMIN + 5, &sa, NULL);
    sigaction(SIGRTMIN + 5, NULL, &rt_before);
    EQ(svmq_timeout_signal(SIGRTMIN + 5), -EBUSY);
    CHECK(same_action(SIGRTMIN + 5, &rt_before));
    EQ(svmq_timeout_signal(SIGRTMIN + 6), 0);
    EQ(svmq_timeout_signal(0), SIGRTMIN + 6);
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, &t, 0, 5 * MS), -ETIMEDOUT);
    EQ(svmq_timeout_signal(SVMQ_DEFAULT_TIMEOUT_SIGNAL), 0);
    EQ(svmq_remove(id), 0);

    /* Removal while a timed receive waits in another process: -EIDRM. */
    id = fresh();
    pid_t pid = fork();
    if (pid == 0) _exit(svmq_recv_timed(id, 0, buf, sizeof buf, NULL, 0, 20000 * MS) == -EIDRM ? 0 : 1);
    usleep(100 * 1000);
    EQ(svmq_remove(id), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The alarm + siglongjmp pattern: the application's own SIGALRM handler leaves a timed receive with
 * siglongjmp, so svmq never deletes that call's timer. The timer must not keep firing: at most
 * SVMQ_TIMER_SIGNALS_MAX stray signals (each interrupts a nanosleep with EINTR), none left in
 * /proc/self/timers a few milliseconds after the abandoned call's deadline, and a blocking receive of
 * the same thread afterwards is not interrupted. */
static sigjmp_buf alarm_jump;
static void on_alarm_jump(int sig) { (void)sig; siglongjmp(alarm_jump, 1); }

static int posix_timers(void) {
    FILE *f = fopen("/proc/self/timers", "r");
    if (!f) return -1;
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) n += strncmp(line, "ID:", 3) == 0;
    fclose(f);
    return n;
}

struct late { int32_t id; int delay_ms; };
static void *send_late(void *arg) {
    struct late *l = arg;
    usleep(l->delay_ms * 1000);
    svmq_send(l->id, 9, "late", 4, 0);
    return NULL;
}

/* Whether a POSIX timer's signal names the timer that timer_create returned (si_timerid), as the kernel
 * does. qemu-user passes the host's timer id through instead (its timer_create answers an id of its own):
 * svmq's handler cannot tell its timers apart there. */
static volatile int probed_timerid = -2;
static void on_probe_timer(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)context;
    probed_timerid = info->si_timerid;
}

static int timer_signals_name_their_timer(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_probe_timer;
    sa.sa_flags = SA_SIGINFO;
    int sig = SIGRTMIN + 7;
    sigaction(sig, &sa, &old);
    timer_t timer;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    int named = 1;
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer) == 0) {
        struct itimerspec in_1ms = {{0, 0}, {0, 1000000}};
        timer_settime(timer, 0, &in_1ms, NULL);
        for (int i = 0; i < 1000 && probed_timerid == -2; i++) {
            struct timespec ms = {0, MS};
            nanosleep(&ms, NULL);
        }
        named = probed_timerid == (int)(intptr_t)timer;
        timer_delete(timer);
    }
    sigaction(sig, &old, NULL);
    return named;
}

static void test_timed_longjmp(void) {
    if (!timer_signals_name_their_timer()) {
        printf("NOTE: emulator: a timer's signal carries the host's timer id (si_timerid), not the one "
               "timer_create answered: svmq's handler cannot bound a timer left by siglongjmp, so the "
               "alarm + siglongjmp case is not run here (it would leave a timer firing for the rest of the run)\n");
        fflush(stdout);
        return;
    }
    int32_t id = fresh();
    char buf[16];
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm_jump;
    sigaction(SIGALRM, &sa, &old);
    int timers_before = posix_timers();
    CHECK(timers_before >= 0);
    int rounds_with_strays = 0;
    for (int round = 0; round < 3; round++) {
        volatile int jumped = 0;
        int64_t start = now_ns();
        if (sigsetjmp(alarm_jump, 1) == 0) {
            struct itimerval alarm_in = {{0, 0}, {0, 20000}}; /* 20 ms: before the 50 ms deadline */
            setitimer(ITIMER_REAL, &alarm_in, NULL);
            svmq_recv_timed(id, 0, buf, sizeof buf, NULL, 0, 50 * MS);
        } else {
            jumped = 1;
        }
        CHECK(jumped);
        /* The abandoned deadline is 50 ms after start: count the stray signals until 150 ms. */
        int strays = 0;
        while (now_ns() - start < (int64_t)(150 * MS)) {
            struct timespec ms = {0, MS};
            if (nanosleep(&ms, NULL) != 0 && errno == EINTR) strays++;
        }
        /* No stray at all: the alarm came while the call was still setting up (a loaded machine), and the
         * call deleted its timer before the jump. */
        rounds_with_strays += strays >= 1;
        CHECK(strays <= SVMQ_TIMER_SIGNALS_MAX);
        EQ(posix_timers(), timers_before);
    }
    CHECK(rounds_with_strays >= 1); /* an abandoned timer did fire: the case is the one meant */
    sigaction(SIGALRM, &old, NULL);
    pthread_t th;
    struct late l = {id, 30};
    EQ(pthread_create(&th, NULL, send_late, &l), 0);
    long t = 0;
    EQ(svmq_recv(id, 9, buf, sizeof buf, &t, 0), 4);
    pthread_join(th, NULL);
    EQ(svmq_remove(id), 0);
}

/* The timeout signal's disposition changed by another thread while a call waits (documented in
 * svmq_timeout_signal(3)): SIG_IGN discards the timer's signals, so the wait outlives its deadline and
 * ends when a message comes; later calls are refused (-EBUSY) until the disposition is SIG_DFL again.
 * SIG_DFL lets the next timer signal end the process. */
struct change { int sig; void (*to)(int); int after_ms; int32_t id; int send_after_ms; };
static void *change_disposition(void *arg) {
    struct change *c = arg;
    usleep(c->after_ms * 1000);
    signal(c->sig, c->to);
    if (c->send_after_ms) {
        usleep((c->send_after_ms - c->after_ms) * 1000);
        svmq_send(c->id, 1, "came", 4, 0);
    }
    return NULL;
}

static void test_timed_disposition_changed(void) {
    int32_t id = fresh();
    char buf[16];
    int sig = svmq_timeout_signal(0);
    pthread_t th;
    struct change ign = {sig, SIG_IGN, 20, id, 300};
    int64_t start = now_ns();
    EQ(pthread_create(&th, NULL, change_disposition, &ign), 0);
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, NULL, 0, 100 * MS), 4);
    CHECK(now_ns() - start >= (int64_t)(300 * MS));
    pthread_join(th, NULL);
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, NULL, 0, 10 * MS), -EBUSY);
    signal(sig, SIG_DFL);
    EQ(svmq_recv_timed(id, 0, buf, sizeof buf, NULL, 0, 10 * MS), -ETIMEDOUT);

    /* Under valgrind a process that dies of a signal with a second thread's memory in use gets a leak
     * report ("possibly lost": that thread's TLS): the plain run checks this case. */
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "vgpreload")) {
        printf("NOTE: under valgrind: the SIG_DFL case (the process dies of the signal) is left to the plain run\n");
        fflush(stdout);
        EQ(svmq_remove(id), 0);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        struct change dfl = {sig, SIG_DFL, 20, id, 0};
        pthread_t t;
        if (pthread_create(&t, NULL, change_disposition, &dfl) != 0) _exit(2);
        svmq_recv_timed(id, 0, buf, sizeof buf, NULL, 0, 100 * MS);
        _exit(3); /* not reached: the timer's signal met SIG_DFL */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sig);
    EQ(svmq_remove(id), 0);
}

/* A receiver blocked in another process wakes with -EIDRM when the queue is removed. */
static void test_removal_wakes_receiver(void) {
    int32_t id = fresh();
    pid_t pid = fork();
    if (pid == 0) {
        char buf[8];
        int64_t n = svmq_recv(id, 0, buf, sizeof buf, NULL, 0);
        _exit(n == -EIDRM ? 0 : 1);
    }
    usleep(100 * 1000);
    EQ(svmq_remove(id), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* As uid/gid 65534, a 0600 root queue answers -EACCES and -EPERM. */
static void test_permissions(void) {
    if (geteuid() != 0) {
        fprintf(stderr, "note: not root, permission checks as another user not run\n");
        return;
    }
    int32_t id = fresh();
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(90);
        char buf[8];
        svmq_stat_t st;
        svmq_set_t s = {65534, 65534, 0666, 100};
        int bad = 0;
        bad |= (svmq_send(id, 1, "x", 1, SVMQ_IPC_NOWAIT) != -EACCES) << 0;
        bad |= (svmq_recv(id, 0, buf, sizeof buf, NULL, SVMQ_IPC_NOWAIT) != -EACCES) << 1;
        bad |= (svmq_stat(id, &st) != -EACCES) << 2;
        bad |= (svmq_set(id, &s) != -EPERM) << 3;
        bad |= (svmq_remove(id) != -EPERM) << 4;
        _exit(bad);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EQ(WIFEXITED(status) ? WEXITSTATUS(status) : 255, 0);
    EQ(svmq_remove(id), 0);
}

int main(void) {
    probe_emulator();
    test_ftok();
    test_get();
    test_send_recv();
    test_raw();
    test_full_queue();
    test_stat_set_remove();
    test_times();
    test_limits_and_enumeration();
    test_strerror();
    test_version();
    test_spin();
    test_timed();
    test_timed_longjmp();
    test_timed_disposition_changed();
    test_removal_wakes_receiver();
    test_permissions();
    printf("svmq C tests: %d checks, %d failed\n", checks, failures);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
