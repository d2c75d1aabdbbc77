/* The same loop over svmq's C ABI: svmq_send/svmq_recv (one copy each way), or with --raw the zero-copy
 * svmq_send_raw/svmq_recv_raw. svmq_loop [--count N] [--size S] [--raw] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svmq.h"

static struct { long mtype; char mtext[8192]; } out = {1, {0}}, back;

int main(int argc, char **argv) {
    long count = 1000, size = 1024;
    int raw = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc) count = atol(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) size = atol(argv[++i]);
        else if (!strcmp(argv[i], "--raw")) raw = 1;
    }
    int32_t id = svmq_get(SVMQ_IPC_PRIVATE, 0600);
    if (id < 0 || size < 0 || size > 8192) return 1;
    for (long i = 0; i < count; i++) {
        if (raw) {
            if (svmq_send_raw(id, &out, (size_t)size, SVMQ_IPC_NOWAIT) < 0) return 1;
            if (svmq_recv_raw(id, &back, sizeof back.mtext, 0, SVMQ_IPC_NOWAIT) != size) return 1;
        } else {
            if (svmq_send(id, 1, out.mtext, (size_t)size, SVMQ_IPC_NOWAIT) < 0) return 1;
            if (svmq_recv(id, 0, back.mtext, sizeof back.mtext, NULL, SVMQ_IPC_NOWAIT) != size) return 1;
        }
    }
    svmq_remove(id);
    printf("%ld send+receive pairs of %ld bytes\n", count, size);
    return 0;
}
