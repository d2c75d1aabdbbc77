/* A peer written against the C library's <sys/msg.h>, not svmq: the glibc side of tests/interop.rs.
 *
 *   glibc_peer echo ID_IN ID_OUT    msgrcv any message from ID_IN, msgsnd it (same type and bytes) to
 *                                   ID_OUT, up to and including a message of type 1
 *   glibc_peer emit ID_OUT MSGMAX [MAXTYPE]
 *                                   send the corpus (sizes 0..MSGMAX, types up to LONG_MAX: beyond 32 bits
 *                                   where long has 64; only those <= MAXTYPE if given), then type 1
 *   glibc_peer stat ID              print msgctl(IPC_STAT) as key=value lines
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#define MAXSZ 65536
static struct { long mtype; unsigned char mtext[MAXSZ]; } m;

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "echo") == 0) {
        int in = atoi(argv[2]), out = atoi(argv[3]);
        for (;;) {
            ssize_t n = msgrcv(in, &m, MAXSZ, 0, 0);
            if (n < 0) { perror("msgrcv"); return 1; }
            if (msgsnd(out, &m, (size_t)n, 0) < 0) { perror("msgsnd"); return 1; }
            if (m.mtype == 1) return 0;
        }
    }
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "emit") == 0) {
        int out = atoi(argv[2]);
        long msgmax = atol(argv[3]);
        long long maxtype = argc == 5 ? atoll(argv[4]) : LONG_MAX;
        long sizes[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 255, 256, 1023, 1024, 1025, 4095, 4096, msgmax - 1, msgmax};
        const long long wide[] = {2, 3, 1000, 2147483647LL, 2147483648LL, 4294967303LL, 4611686018427387904LL,
                                  9223372036854775807LL};
        long types[8];
        size_t ntypes = 0;
        for (size_t i = 0; i < sizeof wide / sizeof *wide; i++)
            if (wide[i] <= LONG_MAX && wide[i] <= maxtype) types[ntypes++] = (long)wide[i];
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            m.mtype = types[i % ntypes];
            for (long j = 0; j < sizes[i]; j++) m.mtext[j] = (unsigned char)((j * 31 + (long)i) & 0xff);
            if (msgsnd(out, &m, (size_t)sizes[i], 0) < 0) { perror("msgsnd"); return 1; }
        }
        m.mtype = 1;
        return msgsnd(out, &m, 0, 0) < 0;
    }
    if (argc == 3 && strcmp(argv[1], "stat") == 0) {
        struct msqid_ds ds;
        if (msgctl(atoi(argv[2]), IPC_STAT, &ds) < 0) { perror("msgctl"); return 1; }
        printf("key=%d\nuid=%u\ngid=%u\ncuid=%u\ncgid=%u\nmode=%u\nseq=%u\nstime=%lld\nrtime=%lld\nctime=%lld\n"
               "cbytes=%lu\nqnum=%lu\nqbytes=%lu\nlspid=%d\nlrpid=%d\n",
               ds.msg_perm.__key, ds.msg_perm.uid, ds.msg_perm.gid, ds.msg_perm.cuid, ds.msg_perm.cgid,
               ds.msg_perm.mode & 0777u, ds.msg_perm.__seq, (long long)ds.msg_stime, (long long)ds.msg_rtime,
               (long long)ds.msg_ctime, (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qnum,
               (unsigned long)ds.msg_qbytes, ds.msg_lspid, ds.msg_lrpid);
        return 0;
    }
    fprintf(stderr, "usage: glibc_peer echo IN OUT | emit OUT MSGMAX [MAXTYPE] | stat ID\n");
    return 2;
}
