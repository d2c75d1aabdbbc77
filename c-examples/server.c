/* The classic demo's server, in C over svmq: answers each "ping" (type 10) with "pong" (type 11); on
 * "end" it removes the queue and the key file. Same flags and output as the Rust example. */
#include "demo.h"

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *path;
    int32_t id = demo_queue(argc, argv, &path);
    char buf[64];
    for (;;) {
        int64_t n = svmq_recv(id, 10, buf, sizeof buf, NULL, 0);
        if (n == -4) continue; /* EINTR: retry */
        if (n < 0) demo_die("msgrcv", n);
        if (demo_is(buf, n, "ping")) {
            puts("Server: Received ping");
            int32_t r = svmq_send(id, 11, "pong", 4, 0);
            if (r < 0) demo_die("msgsnd", r);
            puts("Server: Sent pong");
        } else if (demo_is(buf, n, "end")) {
            int32_t r = svmq_remove(id);
            if (r < 0) demo_die("msgctl(IPC_RMID)", r);
            unlink(path);
            return 0;
        } else {
            fprintf(stderr, "Server: ignoring unexpected message\n");
        }
    }
}
