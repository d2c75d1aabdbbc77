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

/* The only architecture-specific part: a three-argument system call and the entry point, which aligns
 * the stack and calls cmain (argc and argv are not used). */
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
#elif defined(__i386__)
static long sys3(long n, long a, long b, long c) {
    long r;
    /* ebx may be the PIC register: swap the first argument in and out around the call. */
    __asm__ volatile("xchg %%edi, %%ebx\n int $0x80\n xchg %%edi, %%ebx"
                     : "=a"(r) : "a"(n), "D"(a), "c"(b), "d"(c) : "memory");
    return r;
}
#define SYS_WRITE 4
#define SYS_EXIT_GROUP 252
__asm__(".globl _start\n_start:\n xor %ebp, %ebp\n and $-16, %esp\n call cmain\n ud2\n");
#elif defined(__arm__)
static long sys3(long n, long a, long b, long c) {
    register long r0 __asm__("r0") = a;
    register long r1 __asm__("r1") = b;
    register long r2 __asm__("r2") = c;
    /* r7 carries the number but is the frame pointer in Thumb code: save it around the call. */
    __asm__ volatile("push {r7}\n mov r7, %1\n svc 0\n pop {r7}" : "+r"(r0) : "r"(n), "r"(r1), "r"(r2) : "memory");
    return r0;
}
#define SYS_WRITE 4
#define SYS_EXIT_GROUP 248
__asm__(".globl _start\n_start:\n mov fp, #0\n mov lr, #0\n mov r0, sp\n bic r0, r0, #15\n mov sp, r0\n bl cmain\n udf #0\n");
#elif defined(__riscv) && __riscv_xlen == 64
static long sys3(long n, long a, long b, long c) {
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
    return a0;
}
#define SYS_WRITE 64
#define SYS_EXIT_GROUP 94
__asm__(".globl _start\n_start:\n .option push\n .option norelax\n lla gp, __global_pointer$\n .option pop\n"
        " li ra, 0\n andi sp, sp, -16\n call cmain\n unimp\n");
#elif defined(__powerpc__) && !defined(__powerpc64__)
static long sys3(long n, long a, long b, long c) {
    register long r0 __asm__("r0") = n;
    register long r3 __asm__("r3") = a;
    register long r4 __asm__("r4") = b;
    register long r5 __asm__("r5") = c;
    /* An error sets CR0.SO and returns the positive errno: make it -errno like everywhere else. */
    __asm__ volatile("sc\n bns+ 1f\n neg 3, 3\n1:"
                     : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5)
                     :
                     : "memory", "cr0", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "ctr", "xer");
    return r3;
}
#define SYS_WRITE 4
#define SYS_EXIT_GROUP 234
__asm__(".globl _start\n_start:\n clrrwi 1, 1, 4\n li 0, 0\n stwu 1, -16(1)\n mtlr 0\n stw 0, 0(1)\n bl cmain\n trap\n");
#elif defined(__s390x__)
static long sys3(long n, long a, long b, long c) {
    register long r1 __asm__("r1") = n;
    register long r2 __asm__("r2") = a;
    register long r3 __asm__("r3") = b;
    register long r4 __asm__("r4") = c;
    __asm__ volatile("svc 0" : "+r"(r2) : "r"(r1), "r"(r3), "r"(r4) : "memory");
    return r2;
}
#define SYS_WRITE 4
#define SYS_EXIT_GROUP 248
__asm__(".globl _start\n_start:\n aghi %r15, -160\n lghi %r0, 0\n stg %r0, 0(%r15)\n brasl %r14, cmain\n .word 0\n");
#else
#error "x86_64, aarch64, i686, armv7, riscv64, powerpc or s390x only"
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
