/*
 * A program with its own __udivti3 (the compiler's helper for unsigned 128-bit division) links against
 * libsvmq.a without a duplicate symbol, and its divisions call its own helper: the archive exports the
 * svmq_* API and nothing else, so it never replaces a compiler or C library function of the program.
 */
#include <stdio.h>
#include "svmq.h"

#ifndef __SIZEOF_INT128__
/* 32-bit targets have no 128-bit integers, hence no __udivti3 to clash with (the archive's exports are
 * checked for every target by .ci/check-archive). */
int main(void) {
    printf("ok: no __int128 on this target, nothing to clash with (svmq_version %s)\n", svmq_version());
    return 0;
}
#else
__extension__ typedef unsigned __int128 u128;

static int calls;

u128 __udivti3(u128 n, u128 d);

/* Shift and subtract; never called with d == 0 here. */
u128 __udivti3(u128 n, u128 d) {
    u128 q = 0, r = 0;
    int i;
    calls++;
    for (i = 127; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= (u128)1 << i;
        }
    }
    return q;
}

int main(void) {
    /* volatile: the division must happen at run time, through __udivti3. */
    volatile u128 n = ((u128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL;
    volatile u128 d = ((u128)0x1ULL << 64) | 0x100000001ULL;
    u128 q = n / d;
    svmq_limits_t l;
    int fails = 0;

    if (calls != 1) {
        printf("FAIL: n / d called this program's __udivti3 %d times, expected once\n", calls);
        fails++;
    }
    if (q * d > n || n - q * d >= d) {
        printf("FAIL: wrong quotient\n");
        fails++;
    }
    /* Use the library, so that the linker takes its object. */
    if (svmq_limits(&l) != 0 || l.msgmax == 0) {
        printf("FAIL: svmq_limits\n");
        fails++;
    }
    printf("%s: own __udivti3 beside libsvmq.a\n", fails ? "FAIL" : "ok");
    return fails != 0;
}
#endif
