/* The glibc reference for the benchmarks: the same ping-pong (and --stream) as svmq's examples, written
 * the way a C program uses <sys/msg.h>: fork, msgsnd/msgrcv with a reused buffer, blocking receive.
 *
 * glibc_pingpong [--count N] [--size S] [--stream]; last line: "<rate> msg/s".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXSZ 8192
struct frame { long mtype; char mtext[MAXSZ]; };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    long count = 100000;
    size_t size = 1024;
    int stream = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc) count = atol(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) size = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--stream")) stream = 1;
        else { fprintf(stderr, "usage: %s [--count N] [--size S] [--stream]\n", argv[0]); return 2; }
    }
    if (size > MAXSZ || count <= 0) { fprintf(stderr, "bad size or count\n"); return 2; }
    int id = msgget(IPC_PRIVATE, 0600);
    if (id < 0) { perror("msgget"); return 1; }
    static struct frame f;
    memset(f.mtext, 7, size);
    pid_t child = fork();
    if (child < 0) { perror("fork"); return 1; }
    if (child == 0) {
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
            f.mtype = 2;
            if (msgsnd(id, &f, (size_t)n, 0) < 0) _exit(1);
        }
    }
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
    if (!stream) { f.mtype = 3; msgsnd(id, &f, 0, 0); }
    int status = 0;
    waitpid(child, &status, 0);
    msgctl(id, IPC_RMID, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "peer failed\n"); return 1; }
    printf("%.0f msg/s\n", count / secs);
    return 0;
}
