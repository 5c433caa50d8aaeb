/* The C tests' one assertion: counts checks and failures, reports each failure with
 * its place, and lets the test run on (main prints the counts and returns failures). */
#ifndef BERTH_TESTS_C_CHECK_H
#define BERTH_TESTS_C_CHECK_H

#include <stdio.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    ++checks;                                                                                      \
    if (!(cond)) {                                                                                 \
      ++failures;                                                                                  \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                     \
    }                                                                                              \
  } while (0)

#endif
