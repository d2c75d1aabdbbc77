/* Shared by the C demo programs: flags, and the classic demo's key. */
#ifndef SVMQ_DEMO_H
#define SVMQ_DEMO_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svmq.h"

/* The value after `name`, or `def` when absent. */
static inline const char *demo_flag(int argc, char **argv, const char *name, const char *def) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return def;
}

static inline int demo_switch(int argc, char **argv, const char *name) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

static inline void demo_die(const char *what, long err) {
    fprintf(stderr, "%s: %s: %s\n", what, svmq_errname((int32_t)err), svmq_strerror((int32_t)err));
    exit(1);
}

/* ftok(path, proj), creating the file if it is missing; then the queue, created with mode 0644. */
static inline int32_t demo_queue(int argc, char **argv, const char **path_out) {
    const char *path = demo_flag(argc, argv, "--path", "/tmp/example");
    int proj = atoi(demo_flag(argc, argv, "--proj", "42"));
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) { perror(path); exit(1); }
    close(fd);
    int32_t key;
    int32_t r = svmq_ftok(path, proj, &key);
    if (r < 0) demo_die("ftok", r);
    int32_t id = svmq_get(key, SVMQ_IPC_CREAT | 0644);
    if (id < 0) demo_die("msgget", id);
    *path_out = path;
    return id;
}

/* Payload equals word, ignoring trailing NULs (peers may send the terminator). */
static inline int demo_is(const char *buf, long n, const char *word) {
    while (n > 0 && buf[n - 1] == '\0') n--;
    return (size_t)n == strlen(word) && memcmp(buf, word, (size_t)n) == 0;
}

#endif
