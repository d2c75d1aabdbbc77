/* The classic demo's client, in C over svmq: "ping" (type 10), wait for "pong" (type 11), --rounds
 * times (100 by default), then "end". Same flags and output as the Rust example. */
#include "demo.h"

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *path;
    int32_t id = demo_queue(argc, argv, &path);
    long rounds = atol(demo_flag(argc, argv, "--rounds", "100"));
    char buf[64];
    for (long i = 0; i < rounds; i++) {
        int32_t r = svmq_send(id, 10, "ping", 4, 0);
        if (r < 0) demo_die("msgsnd", r);
        puts("Client: Sent ping");
        int64_t n;
        do n = svmq_recv(id, 11, buf, sizeof buf, NULL, 0); while (n == -4);
        if (n < 0) demo_die("msgrcv", n);
        if (!demo_is(buf, n, "pong")) { fprintf(stderr, "Client: unexpected reply\n"); return 1; }
        puts("Client: Received pong");
    }
    int32_t r = svmq_send(id, 10, "end", 3, 0);
    if (r < 0) demo_die("msgsnd", r);
    return 0;
}
