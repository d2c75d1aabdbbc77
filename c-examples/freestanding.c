/* A program with no C library at all: its own _start, its own mem* functions, and svmq for the queue.
 * Built with -nostdlib -static -ffreestanding; it creates a private queue, sends and receives a message,
 * checks the queue's status, removes the queue and exits 0 (or the step number that failed). */
#include <stddef.h>
#include <stdint.h>

#include "svmq.h"

/* The memory primitives the compiler (and the Rust archive) may call. Built with
 * -fno-tree-loop-distribute-patterns so these loops are not turned back into calls to themselves. */
void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) while (n--) *d++ = *s++;
    else while (n--) d[n] = s[n];
    return dst;
}
void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n--; x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}
int bcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }

#if defined(__x86_64__)
static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
#define SYS_WRITE 1
#define SYS_EXIT_GROUP 231
__asm__(".globl _start\n_start:\n xor %rbp, %rbp\n and $-16, %rsp\n call cmain\n ud2\n");
#elif defined(__aarch64__)
static long sys3(long n, long a, long b, long c) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
#define SYS_WRITE 64
#define SYS_EXIT_GROUP 94
__asm__(".globl _start\n_start:\n mov x29, xzr\n mov x30, xzr\n mov x0, sp\n and sp, x0, #-16\n bl cmain\n brk #0\n");
#else
#error "x86_64 or aarch64 only"
#endif

static void say(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    sys3(SYS_WRITE, 1, (long)s, (long)n);
}

static __attribute__((noreturn)) void leave(int code) {
    for (;;) sys3(SYS_EXIT_GROUP, code, 0, 0);
}

__attribute__((noreturn, used)) void cmain(void) {
    int32_t id = svmq_get(SVMQ_IPC_PRIVATE, 0600);
    if (id < 0) leave(1);
    int step = 0;
    char buf[16];
    long mtype = 0;
    svmq_stat_t st;
    if (svmq_send(id, 7, "no libc", 7, SVMQ_IPC_NOWAIT) != 0) step = 2;
    else if (svmq_stat(id, &st) != 0 || st.qnum != 1 || st.cbytes != 7) step = 3;
    else if (svmq_recv(id, 0, buf, sizeof buf, &mtype, SVMQ_IPC_NOWAIT) != 7 || mtype != 7 ||
             memcmp(buf, "no libc", 7) != 0) step = 4;
    else if (svmq_stat(id, &st) != 0 || st.qnum != 0) step = 5;
    if (svmq_remove(id) != 0 && step == 0) step = 6;
    if (step == 0 && svmq_stat(id, &st) != -22) step = 7; /* EINVAL: gone */
    say(step == 0 ? "freestanding: queue created, message sent and received, status checked, queue removed\n"
                  : "freestanding: FAILED\n");
    leave(step);
}
