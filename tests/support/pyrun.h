/*
 * Running Debian's /usr/bin/python3 with numpy from a test: the suites that
 * check our .npy bytes and arrays against numpy itself.
 */
#ifndef TU_PYRUN_H
#define TU_PYRUN_H

#define TU_PYTHON "/usr/bin/python3"

/* Runs script with dir as its working directory and returns its stdout
 * (malloc'd, NUL-terminated). Fails the test clearly when python3 or numpy
 * is missing, or when the script fails (showing it, its stdout and its
 * stderr). */
char *tu_python(const char *dir, const char *script);

#endif
