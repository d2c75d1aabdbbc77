/* A program built only through pkg-config against an installed svmq (.ci/check-install, .ci/release):
 *     cc installed.c $(pkg-config --cflags --libs --static svmq) -static
 * The header and the library it found agree on the version; a private queue carries a message through the
 * copying and the zero-copy calls; its status is read; it is removed. Exit status 0 and one line
 * "installed svmq VERSION: ok", or the step that failed. */
#include <stdio.h>
#include <string.h>

#include <svmq.h>

static int fail(const char *what, long long r) {
    fprintf(stderr, "installed svmq: %s: %lld (%s)\n", what, r, r < 0 ? svmq_strerror((int32_t)r) : "");
    return 1;
}

int main(void) {
    if (strcmp(svmq_version(), SVMQ_VERSION) != 0) {
        fprintf(stderr, "header %s, library %s\n", SVMQ_VERSION, svmq_version());
        return 1;
    }
    int32_t id = svmq_get(SVMQ_IPC_PRIVATE, 0600);
    if (id < 0) return fail("svmq_get", id);
    int status = 0;
    char buf[16];
    long type = 0;
    struct { long mtype; char mtext[16]; } m = {9, "raw"};
    svmq_stat_t st;
    int32_t r = svmq_send(id, 7, "copy", 4, 0);
    int64_t n = r < 0 ? r : svmq_recv(id, 0, buf, sizeof buf, &type, 0);
    if (n != 4 || type != 7 || memcmp(buf, "copy", 4) != 0) status = fail("svmq_send/svmq_recv", n);
    r = svmq_send_raw(id, &m, 3, 0);
    memset(&m, 0, sizeof m);
    n = r < 0 ? r : svmq_recv_raw(id, &m, sizeof m.mtext, 9, SVMQ_IPC_NOWAIT);
    if (!status && (n != 3 || m.mtype != 9 || memcmp(m.mtext, "raw", 3) != 0))
        status = fail("svmq_send_raw/svmq_recv_raw", n);
    r = svmq_stat(id, &st);
    if (!status && (r != 0 || st.id != id || st.qnum != 0 || st.mode != 0600)) status = fail("svmq_stat", r);
    r = svmq_remove(id);
    if (!status && r != 0) status = fail("svmq_remove", r);
    if (!status) printf("installed svmq %s: ok\n", svmq_version());
    return status;
}
