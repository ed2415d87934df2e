/* dc_test.h: what every unit test includes: cmocka, and assertions that print both
 * operands in decimal (cmocka prints integers in hex). */
#ifndef DC_TEST_H
#define DC_TEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define assert_i64(actual, expected)                                                                         \
  do {                                                                                                       \
    int64_t a_ = (int64_t)(actual), e_ = (int64_t)(expected);                                                \
    if (a_ != e_) {                                                                                          \
      print_error("%s is %" PRId64 ", expected %s = %" PRId64 "\n", #actual, a_, #expected, e_);             \
      fail();                                                                                                \
    }                                                                                                        \
  } while (0)

#define assert_rc(actual, expected) assert_i64(actual, expected)

/* Strings that may be NULL, compared exactly; both printed on failure. */
#define assert_str(actual, expected)                                                                         \
  do {                                                                                                       \
    const char *a_ = (actual), *e_ = (expected);                                                             \
    if (!a_ || !e_ ? a_ != e_ : strcmp(a_, e_) != 0) {                                                       \
      print_error("%s is \"%s\", expected \"%s\"\n", #actual, a_ ? a_ : "(null)", e_ ? e_ : "(null)");      \
      fail();                                                                                                \
    }                                                                                                        \
  } while (0)

#define assert_contains(haystack, needle)                                                                    \
  do {                                                                                                       \
    const char *h_ = (haystack), *n_ = (needle);                                                             \
    if (!h_ || !strstr(h_, n_)) {                                                                            \
      print_error("%s is \"%s\", which does not contain \"%s\"\n", #haystack, h_ ? h_ : "(null)", n_);      \
      fail();                                                                                                \
    }                                                                                                        \
  } while (0)

#endif
