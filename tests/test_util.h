/* test_util.h -- the smallest test harness: CHECK records a failure with
** its line and goes on; the runner prints "N passed, N failed". */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdio.h>

static int tests_passed = 0, tests_failed = 0;

#define CHECK(cond, ...)                                     \
  do {                                                       \
    if (cond) {                                              \
      tests_passed++;                                        \
    } else {                                                 \
      tests_failed++;                                        \
      printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      printf(__VA_ARGS__);                                   \
      printf("\n");                                          \
    }                                                        \
  } while (0)

#endif
