/* glibc reference for instruction counts and stack: N msgsnd+msgrcv pairs on one private queue, no
 * blocking. glibc_loop [--count N] [--size S] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

static struct { long mtype; char mtext[8192]; } out = {1, {0}}, back;

int main(int argc, char **argv) {
    long count = 1000, size = 1024;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--count")) count = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--size")) size = atol(argv[i + 1]);
    }
    int id = msgget(IPC_PRIVATE, 0600);
    if (id < 0 || size < 0 || size > 8192) return 1;
    for (long i = 0; i < count; i++) {
        if (msgsnd(id, &out, (size_t)size, IPC_NOWAIT) < 0) return 1;
        if (msgrcv(id, &back, sizeof back.mtext, 0, IPC_NOWAIT) != size) return 1;
    }
    msgctl(id, IPC_RMID, NULL);
    printf("%ld send+receive pairs of %ld bytes\n", count, size);
    return 0;
}
