/* Helpers shared by the Criterion test files. */
#ifndef VT_TEST_SUPPORT_H
#define VT_TEST_SUPPORT_H
#include <stddef.h>

/* Result of running the verity binary. */
typedef struct vt_run_result {
    int status;             /* exit code, or 128+signal when killed */
    char *out, *err;        /* captured stdout and stderr (malloc'd, NUL-terminated) */
} vt_run_result;

/* Runs `verity ARGS` through /bin/sh in directory `cwd` (NULL: the test directory) with
 * stdin from `input` (NULL: /dev/null). args is a shell fragment. */
vt_run_result vt_run_verity(const char *cwd, const char *input, const char *args_fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vt_run_free(vt_run_result *r);
/* Runs `verity` with args_fmt filled with a and b, asserts it exits 0, and returns its
 * stdout (malloc'd). */
char *vt_verity_stdout(const char *args_fmt, const char *a, const char *b);

/* Reads a whole file (malloc'd, NUL-terminated); NULL when it cannot be read. */
char *vt_read_file(const char *path, size_t *len);
/* Writes a file; 0 on success. */
int vt_write_file(const char *path, const char *data, size_t len);
/* The sorted list of files in dir ending with `suffix` (malloc'd paths, NULL-terminated). */
char **vt_list_files(const char *dir, const char *suffix, size_t *n);
void vt_free_list(char **list);
/* A fresh temporary directory (malloc'd path). */
char *vt_temp_dir(void);
/* Removes a directory made by vt_temp_dir, with everything in it, and frees its name.
 * 0, or non-zero when it could not be removed. */
int vt_remove_temp_dir(char *dir);
/* Unix time t as an input timestamp, "YYYY-MM-DDTHH:MM:SSZ", in buf; returns buf. */
const char *vt_test_iso(long t, char buf[32]);

#endif
