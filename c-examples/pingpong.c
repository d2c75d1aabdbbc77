/* Ping-pong between two processes over one private queue, in C over svmq's zero-copy raw calls.
 * Same command line and last line as the Rust example: pingpong [--count N --size S] [--spin];
 * the last line is "<round trips per second> msg/s". With --stream, one-way instead: the parent sends N
 * messages, the child receives them all (as examples/stream.rs); the last line is "<messages/s> msg/s".
 * For the benchmark harness: --pin A,B puts this process on CPU A and the peer on CPU B; --delay-us D makes
 * the peer answer each request D microseconds late (a slow peer); before the last line, "loop cpu: X us per
 * round trip (this process)" is the CPU time of the timed loop in the measuring process only. --ab measures
 * the adaptive receive against a blocking one inside one run: the measuring process's receives alternate
 * between svmq_recv_raw (even round trips) and svmq_recv_raw_spin with its own state (odd ones), each
 * receive's CPU time read from CLOCK_THREAD_CPUTIME_ID around it; before the last line,
 * "ab: blocking B us, spin S us of CPU per receive (NB / NS)". */
#define _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#include "demo.h"
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#define MAXSZ 8192
struct frame { long mtype; char mtext[MAXSZ]; };

/* --pin A,B: this process on CPU A, the peer on CPU B (-1: leave as is). */
static void pin(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) { perror("sched_setaffinity"); exit(1); }
}

/* --delay-us D: the peer waits D microseconds before each answer (a slow peer). */
static void delay(long us) {
    if (us <= 0) return;
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) != 0) {}
}

/* CPU seconds (user + system) of this process so far. */
static double cpu_self(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the calling thread, in ns. */
static long long thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t receive(int32_t id, struct frame *f, long mtype, int32_t flags, svmq_spin_t *spin) {
    return spin ? svmq_recv_raw_spin(id, f, MAXSZ, mtype, flags, spin) : svmq_recv_raw(id, f, MAXSZ, mtype, flags);
}

int main(int argc, char **argv) {
    int demo = !demo_switch(argc, argv, "--count") && !demo_switch(argc, argv, "--size");
    long count = atol(demo_flag(argc, argv, "--count", "5000"));
    long size = atol(demo_flag(argc, argv, "--size", "1024"));
    if (count <= 0 || size < 0 || size > MAXSZ) {
        fprintf(stderr, "usage: pingpong [--count N>0] [--size S<=%d] [--spin]\n", MAXSZ);
        return 2;
    }
    svmq_spin_t spin_state, *spin = NULL;
    if (demo_switch(argc, argv, "--spin")) {
        svmq_spin_init(&spin_state, SVMQ_SPIN_DEFAULT_NS);
        spin = &spin_state;
    }
    int stream = demo_switch(argc, argv, "--stream");
    int ab = demo_switch(argc, argv, "--ab") && !stream;
    svmq_spin_t ab_spin;
    svmq_spin_init(&ab_spin, SVMQ_SPIN_DEFAULT_NS);
    long long ab_cpu[2] = { 0, 0 };
    int cpu_a = -1, cpu_b = -1;
    if (demo_switch(argc, argv, "--pin") && sscanf(demo_flag(argc, argv, "--pin", ""), "%d,%d", &cpu_a, &cpu_b) != 2) {
        fprintf(stderr, "--pin A,B\n");
        return 2;
    }
    long delay_us = atol(demo_flag(argc, argv, "--delay-us", "0"));
    int32_t id = svmq_get(SVMQ_IPC_PRIVATE, 0600);
    if (id < 0) demo_die("msgget", id);
    static struct frame f;
    memset(f.mtext, 'x', (size_t)size);
    pin(cpu_a);
    pid_t child = fork();
    if (child < 0) { perror("fork"); svmq_remove(id); return 1; }
    if (child == 0) pin(cpu_b);
    if (child == 0 && stream) {
        for (long i = 0; i < count; i++)
            if (receive(id, &f, 1, 0, spin) != size) _exit(1);
        f.mtype = 2;
        _exit(svmq_send_raw(id, &f, 0, 0) < 0);
    }
    if (child == 0) {
        for (;;) {
            int64_t n = receive(id, &f, 2, SVMQ_MSG_EXCEPT, spin);
            if (n < 0) _exit(1);
            if (f.mtype == 3) _exit(0);
            delay(delay_us);
            f.mtype = 2;
            if (svmq_send_raw(id, &f, (size_t)n, 0) < 0) _exit(1);
        }
    }
    double c0 = cpu_self();
    double t0 = now();
    if (stream) {
        f.mtype = 1;
        for (long i = 0; i < count; i++) {
            int32_t r = svmq_send_raw(id, &f, (size_t)size, 0);
            if (r < 0) { svmq_remove(id); demo_die("msgsnd", r); }
        }
        int64_t n = svmq_recv_raw(id, &f, MAXSZ, 2, 0);
        if (n < 0) { svmq_remove(id); demo_die("msgrcv", n); }
    }
    for (long i = 0; !stream && i < count; i++) {
        f.mtype = 1;
        int32_t r = svmq_send_raw(id, &f, (size_t)size, 0);
        if (r < 0) { svmq_remove(id); demo_die("msgsnd", r); }
        int64_t n;
        if (ab) {
            long long c = thread_cpu_ns();
            n = receive(id, &f, 2, 0, i % 2 ? &ab_spin : NULL);
            ab_cpu[i % 2] += thread_cpu_ns() - c;
        } else {
            n = receive(id, &f, 2, 0, spin);
        }
        if (n != size) { svmq_remove(id); demo_die("msgrcv", n < 0 ? n : -5); }
    }
    double secs = now() - t0;
    double cpu = cpu_self() - c0;
    if (!stream) {
        f.mtype = 3;
        svmq_send_raw(id, &f, 0, 0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    svmq_remove(id);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "the peer failed\n"); return 1; }
    if (demo) {
        printf("svmq pingpong (C): %ld round trips of %ld-byte messages in %.3f s, %.1f us each\n",
               count, size, secs, secs * 1e6 / (double)count);
    }
    printf("loop cpu: %.2f us per round trip (this process)\n", cpu * 1e6 / (double)count);
    if (ab) {
        long nb = (count + 1) / 2, ns = count / 2;
        printf("ab: blocking %.2f us, spin %.2f us of CPU per receive (%ld / %ld)\n", (double)ab_cpu[0] / 1e3 / (double)nb,
               (double)ab_cpu[1] / 1e3 / (double)(ns > 0 ? ns : 1), nb, ns);
    }
    printf("%.0f msg/s\n", (double)count / secs);
    return 0;
}
