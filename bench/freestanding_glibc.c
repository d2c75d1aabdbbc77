/* c-examples/freestanding.c's job, linked statically with glibc: the size comparison. */
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

static struct { long mtype; char mtext[16]; } m = {7, "no libc"}, r;

int main(void) {
    struct msqid_ds ds;
    int id = msgget(IPC_PRIVATE, 0600);
    if (id < 0) return 1;
    int step = 0;
    if (msgsnd(id, &m, 7, IPC_NOWAIT) != 0) step = 2;
    else if (msgctl(id, IPC_STAT, &ds) != 0 || ds.msg_qnum != 1) step = 3;
    else if (msgrcv(id, &r, sizeof r.mtext, 0, IPC_NOWAIT) != 7 || memcmp(r.mtext, "no libc", 7) != 0) step = 4;
    if (msgctl(id, IPC_RMID, NULL) != 0 && step == 0) step = 6;
    const char *msg = step ? "FAILED\n" : "freestanding (glibc): ok\n";
    write(1, msg, strlen(msg));
    return step;
}
