/* The memory functions of the shared library, libsvmq.so.
 *
 * The Rust code calls memcpy and memset (and, depending on the target, memmove, memcmp or bcmp): calls
 * that compilers emit for struct and buffer copies. The static library leaves them to the program's C
 * library; libsvmq.so needs no C library at all (no DT_NEEDED), so it carries its own. They are hidden
 * (visibility and the version script libsvmq.map): the library's own code binds to them directly, they
 * are not exported, and they never take the place of the program's. The linker drops those svmq does
 * not call (-ffunction-sections, --gc-sections).
 *
 * Built with -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns, so that these loops are not
 * turned back into calls to themselves. Copies go a word at a time once the destination is aligned: a
 * message is copied once on each side of the kernel, up to msgmax bytes. Loads through the aligned(1)
 * type are single instructions where the target allows unaligned access and byte loads where not. */
#include <stddef.h>
#include <stdint.h>

#define HIDDEN __attribute__((visibility("hidden")))

typedef unsigned long word; /* a register on every Linux target */
typedef word __attribute__((may_alias)) aligned_word;
typedef word __attribute__((may_alias, aligned(1))) unaligned_word;
#define W sizeof(word)

HIDDEN void *memcpy(void *restrict dst, const void *restrict src, size_t n);
HIDDEN void *memmove(void *dst, const void *src, size_t n);
HIDDEN void *memset(void *dst, int c, size_t n);
HIDDEN int memcmp(const void *a, const void *b, size_t n);
HIDDEN int bcmp(const void *a, const void *b, size_t n);

/* Forward: correct for overlapping buffers too when dst < src (every word is read before the bytes it
 * lands on are written). */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n) {
    for (; n && (uintptr_t)d % W; n--) *d++ = *s++;
    for (; n >= W; n -= W, d += W, s += W) *(aligned_word *)d = *(const unaligned_word *)s;
    while (n--) *d++ = *s++;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    copy_forward(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((uintptr_t)d - (uintptr_t)s >= n) {
        copy_forward(d, s, n); /* dst before src, or no overlap */
        return dst;
    }
    /* dst inside [src, src + n): from the end. */
    d += n;
    s += n;
    for (; n && (uintptr_t)d % W; n--) *--d = *--s;
    for (; n >= W; n -= W) {
        d -= W;
        s -= W;
        *(aligned_word *)d = *(const unaligned_word *)s;
    }
    while (n--) *--d = *--s;
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    word fill = (word)-1 / 255 * (unsigned char)c; /* the byte in every byte of a word */
    for (; n && (uintptr_t)d % W; n--) *d++ = (unsigned char)c;
    for (; n >= W; n -= W, d += W) *(aligned_word *)d = fill;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}

int bcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }
