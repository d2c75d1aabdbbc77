/* The glibc reference for the benchmarks: the same ping-pong (and --stream) as svmq's examples, written
 * the way a C program uses <sys/msg.h>: fork, msgsnd/msgrcv with a reused buffer, blocking receive.
 *
 * glibc_pingpong [--count N] [--size S] [--stream] [--pin A,B] [--delay-us D]; last line: "<rate> msg/s".
 * --pin A,B puts this process on CPU A and the peer on CPU B; --delay-us D makes the peer answer each
 * request D microseconds late (a slow peer). Before the last line: "loop cpu: X us per round trip (this
 * process)", the CPU time of the timed loop in the measuring process only.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    long count = 100000;
    size_t size = 1024;
    int stream = 0, cpu_a = -1, cpu_b = -1;
    long delay_us = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc) count = atol(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) size = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--stream")) stream = 1;
        else if (!strcmp(argv[i], "--pin") && i + 1 < argc && sscanf(argv[++i], "%d,%d", &cpu_a, &cpu_b) == 2) {}
        else if (!strcmp(argv[i], "--delay-us") && i + 1 < argc) delay_us = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--count N] [--size S] [--stream] [--pin A,B] [--delay-us D]\n", argv[0]);
            return 2;
        }
    }
    if (size > MAXSZ || count <= 0) { fprintf(stderr, "bad size or count\n"); return 2; }
    int id = msgget(IPC_PRIVATE, 0600);
    if (id < 0) { perror("msgget"); return 1; }
    static struct frame f;
    memset(f.mtext, 7, size);
    pin(cpu_a);
    pid_t child = fork();
    if (child < 0) { perror("fork"); return 1; }
    if (child == 0) {
        pin(cpu_b);
        if (stream) {
            for (long i = 0; i < count; i++)
                if (msgrcv(id, &f, MAXSZ, 1, 0) != (ssize_t)size) _exit(1);
            f.mtype = 2;
            if (msgsnd(id, &f, 0, 0) < 0) _exit(1);
            _exit(0);
        }
        for (;;) {
            ssize_t n = msgrcv(id, &f, MAXSZ, 2, MSG_EXCEPT);
            if (n < 0) _exit(1);
            if (f.mtype == 3 || n == 0) _exit(0);
            delay(delay_us);
            f.mtype = 2;
            if (msgsnd(id, &f, (size_t)n, 0) < 0) _exit(1);
        }
    }
    double c0 = cpu_self();
    double t0 = now();
    if (stream) {
        f.mtype = 1;
        for (long i = 0; i < count; i++)
            if (msgsnd(id, &f, size, 0) < 0) { perror("msgsnd"); return 1; }
        if (msgrcv(id, &f, MAXSZ, 2, 0) < 0) { perror("msgrcv"); return 1; }
    } else {
        for (long i = 0; i < count; i++) {
            f.mtype = 1;
            if (msgsnd(id, &f, size, 0) < 0) { perror("msgsnd"); return 1; }
            if (msgrcv(id, &f, MAXSZ, 2, 0) != (ssize_t)size) { perror("msgrcv"); return 1; }
        }
    }
    double secs = now() - t0;
    double cpu = cpu_self() - c0;
    if (!stream) { f.mtype = 3; msgsnd(id, &f, 0, 0); }
    int status = 0;
    waitpid(child, &status, 0);
    msgctl(id, IPC_RMID, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "peer failed\n"); return 1; }
    printf("loop cpu: %.2f us per round trip (this process)\n", cpu * 1e6 / (double)count);
    printf("%.0f msg/s\n", count / secs);
    return 0;
}
