/* test_filters.c: Go durations, every docker `until` form, RFC 3339, label terms and their
 * matching, and the until boundary. */
#include "dc_test.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "filters.h"

#define SEC INT64_C(1000000000)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define NOW INT64_C(1700000000123456789)

static void set_tz(const char *tz) {
  setenv("TZ", tz, 1);
  tzset();
}

static int utc(void **state) {
  (void)state;
  set_tz("UTC");
  return 0;
}

/* --- durations --- */

static void test_duration_good(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t ns;
  } ok[] = {
      {"10m", 10 * MIN},
      {"1h30m", 90 * MIN},
      {"1.5h", 90 * MIN},
      {"300ms", 300 * INT64_C(1000000)},
      {"0", 0},
      {"0s", 0},
      {"24h", 24 * HOUR},
      {"90s", 90 * SEC},
      {"2h45m30.5s", 2 * HOUR + 45 * MIN + 30 * SEC + SEC / 2},
      {"1ns", 1},
      {"1us", 1000},
      {"1\xc2\xb5s", 1000},
      {"1.000000001s", SEC + 1},
      {".5s", SEC / 2},
      {"1.s", SEC},
      {"1m1ms", MIN + 1000000},
      {"1ms1m", MIN + 1000000},
      {"1h1h", 2 * HOUR},
      {"2562047h", 2562047 * HOUR},
  };
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    int64_t ns = -42;
    if (dc_duration_parse(ok[i].s, &ns) != 0) {
      print_error("dc_duration_parse(\"%s\") failed\n", ok[i].s);
      fail();
    }
    assert_i64(ns, ok[i].ns);
  }
}

static void test_duration_bad(void **state) {
  (void)state;
  static const char *const bad[] = {"",   "h",   "10",    "-1h",  "10d",  "+1h", "1h ",   " 1h", "1hh", "1.h.",
                                    ".s", "1e3s", "1H",   "5 m",  "m5",   "1h-", "0x10s", "1,5h",
                                    "9223372036854775808ns", "2562048h", "2562047.99h", "99999999999999999999s"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int64_t ns = -42;
    if (dc_duration_parse(bad[i], &ns) != -EINVAL) {
      print_error("dc_duration_parse(\"%s\") accepted: %" PRId64 "\n", bad[i], ns);
      fail();
    }
    assert_i64(ns, -42); /* untouched */
  }
}

/* --- until --- */

static int64_t until(const char *s) {
  int64_t ns = -42;
  int rc = dc_until_parse(s, NOW, &ns);
  if (rc != 0) {
    print_error("dc_until_parse(\"%s\") failed with %d\n", s, rc);
    fail();
  }
  return ns;
}

static void test_until_durations(void **state) {
  (void)state;
  assert_i64(until("10m"), NOW - 10 * MIN);
  assert_i64(until("24h"), NOW - 24 * HOUR);
  assert_i64(until("1h30m"), NOW - 90 * MIN);
  assert_i64(until("1.5h"), NOW - 90 * MIN);
  assert_i64(until("300ms"), NOW - 300000000);
  assert_i64(until("0s"), NOW); /* a duration: now */
}

static void test_until_rfc3339(void **state) {
  (void)state;
  const int64_t base = INT64_C(1704164645) * SEC; /* 2024-01-02T03:04:05Z */
  assert_i64(until("2024-01-02T03:04:05Z"), base);
  assert_i64(until("2024-01-02T05:04:05+02:00"), base);
  assert_i64(until("2024-01-01T21:34:05-05:30"), base);
  assert_i64(until("2024-01-02T03:04:05.123456789Z"), base + 123456789);
  assert_i64(until("2024-01-02T03:04:05.5Z"), base + 500000000);
  assert_i64(until("2024-01-02T03:04:05.000000001+00:00"), base + 1);
  assert_i64(until("2024-01-02T03:04:05.1234567891Z"), base + 123456789); /* past 9 digits: ignored */
  assert_i64(until("2024-01-02T05:04:05.25+02:00"), base + 250000000);
  /* Shorter forms with a zone, as docker's dateWithZone and T15Z07:00 layouts. */
  assert_i64(until("2024-01-02Z"), INT64_C(1704153600) * SEC);
  assert_i64(until("2024-01-02T03Z"), INT64_C(1704164400) * SEC);
  assert_i64(until("2024-01-02T03:04+01:00"), INT64_C(1704164640) * SEC - HOUR);
  /* Leap day and the epoch's eve. */
  assert_i64(until("2000-02-29T00:00:00Z"), INT64_C(951782400) * SEC);
  assert_i64(until("1969-12-31T23:59:59Z"), -SEC);
  assert_i64(until("1969-12-31T23:59:59.5Z"), -SEC / 2);
}

static void test_until_local_utc(void **state) {
  (void)state;
  set_tz("UTC");
  assert_i64(until("2024-01-02"), INT64_C(1704153600) * SEC);
  assert_i64(until("2024-01-02T03"), INT64_C(1704164400) * SEC);
  assert_i64(until("2024-01-02T03:04"), INT64_C(1704164640) * SEC);
  assert_i64(until("2024-01-02T03:04:05"), INT64_C(1704164645) * SEC);
  assert_i64(until("2024-01-02T03:04:05.25"), INT64_C(1704164645) * SEC + 250000000);
  assert_i64(until("2024-01-02T03:04:05.000000007"), INT64_C(1704164645) * SEC + 7);
}

static void test_until_local_new_york(void **state) {
  (void)state;
  if (access("/usr/share/zoneinfo/America/New_York", R_OK) != 0)
    skip();
  set_tz("America/New_York");
  assert_i64(until("2024-01-02"), INT64_C(1704171600) * SEC);       /* EST: UTC-5 */
  assert_i64(until("2024-07-01T12:00"), INT64_C(1719849600) * SEC); /* EDT: UTC-4 */
  /* A zone in the value beats the local one. */
  assert_i64(until("2024-01-02T03:04:05Z"), INT64_C(1704164645) * SEC);
  set_tz("UTC");
}

static void test_until_unix(void **state) {
  (void)state;
  assert_i64(until("1700000000"), INT64_C(1700000000) * SEC);
  assert_i64(until("1700000000.5"), INT64_C(1700000000) * SEC + 500000000);
  assert_i64(until("1700000000.000000001"), INT64_C(1700000000) * SEC + 1);
  assert_i64(until("1700000000.123456789"), INT64_C(1700000000123456789));
  assert_i64(until("0"), 0); /* "0" is a timestamp, not a zero duration */
  assert_i64(until("10"), 10 * SEC); /* no unit: Unix seconds, as docker */
  assert_i64(until("9223372035"), INT64_C(9223372035) * SEC);
}

static void test_until_bad(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",
      "yesterday",
      "10d",
      "-1h",
      "-1",
      "2024-13-01",
      "2024-00-10",
      "2024-01-32",
      "2024-02-30",
      "2023-02-29",
      "2024-1-2",
      "2024-01-02T3",
      "2024-01-02T24",
      "2024-01-02T03:60",
      "2024-01-02T03:04:05.",
      "2024-01-02T03:04:05+2:00",
      "2024-01-02T03:04:05+02",
      "2024-01-02T03:04:05+24:00",
      "2024-01-02T03:04:05Zjunk",
      "2024-01-02 03:04:05",
      "1700000000.",
      "1700000000.x",
      "1700000000a",
      ".5",
      "9223372037",
      "999999999999",
      "0001-01-01T00:00:00Z",
      "9999-12-31T23:59:59Z",
      "12345678901234567890123456789012345678901234567890123456789012345",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int64_t ns = -42;
    int rc = dc_until_parse(bad[i], NOW, &ns);
    if (rc != -EINVAL) {
      print_error("dc_until_parse(\"%s\") returned %d (%" PRId64 ")\n", bad[i], rc, ns);
      fail();
    }
  }
}

static void test_rfc3339(void **state) {
  (void)state;
  int64_t ns = -42;
  assert_rc(dc_rfc3339_parse("2024-01-02T03:04:05Z", &ns), 0);
  assert_i64(ns, INT64_C(1704164645) * SEC);
  assert_rc(dc_rfc3339_parse("2024-01-02T03:04:05.123456789Z", &ns), 0);
  assert_i64(ns, INT64_C(1704164645) * SEC + 123456789);
  assert_rc(dc_rfc3339_parse("2024-01-02T04:04:05.1+01:00", &ns), 0);
  assert_i64(ns, INT64_C(1704164645) * SEC + 100000000);
  assert_rc(dc_rfc3339_parse("2024-01-01T22:04:05-05:00", &ns), 0);
  assert_i64(ns, INT64_C(1704164645) * SEC);
  /* A zone is required: the daemon always prints one. */
  ns = -42;
  assert_rc(dc_rfc3339_parse("2024-01-02T03:04:05", &ns), -EINVAL);
  assert_rc(dc_rfc3339_parse("2024-01-02", &ns), -EINVAL);
  assert_rc(dc_rfc3339_parse("1700000000", &ns), -EINVAL);
  assert_rc(dc_rfc3339_parse("", &ns), -EINVAL);
  /* Go's zero time, which engines print for some built-in objects: not an instant we can hold. */
  assert_rc(dc_rfc3339_parse("0001-01-01T00:00:00Z", &ns), -EINVAL);
  assert_i64(ns, -42);
}

/* --- label terms --- */

static dc_label_term_t term(const char *s) {
  dc_label_term_t t;
  char err[200] = "";
  int rc = dc_label_term_parse(&t, s, err, sizeof(err));
  if (rc != 0) {
    print_error("dc_label_term_parse(\"%s\") failed: %s\n", s, err);
    fail();
  }
  return t;
}

static void check_term(const char *s, const char *key, const char *value, bool has_value, bool negate) {
  dc_label_term_t t = term(s);
  assert_str(t.key, key);
  assert_str(t.value, value);
  if (t.has_value != has_value || t.negate != negate) {
    print_error("\"%s\": has_value %d negate %d, expected %d %d\n", s, t.has_value, t.negate, has_value, negate);
    fail();
  }
}

static void test_label_term_forms(void **state) {
  (void)state;
  check_term("k", "k", "", false, false);
  check_term("k=v", "k", "v", true, false);
  check_term("!k", "k", "", false, true);
  check_term("!k=v", "k", "v", true, true);
  check_term("label=k", "k", "", false, false);
  check_term("label=k=v", "k", "v", true, false);
  check_term("label!=k", "k", "", false, true);
  check_term("label!=k=v", "k", "v", true, true);
  check_term("k=a=b", "k", "a=b", true, false);
  check_term("label=k==", "k", "=", true, false);
  check_term("k=", "k", "", true, false); /* key with an empty value */
  check_term("com.example.some-label", "com.example.some-label", "", false, false);
  check_term("label", "label", "", false, false);
  check_term("labelled=x", "labelled", "x", true, false);
  check_term("k=value with spaces", "k", "value with spaces", true, false);

  char key[DC_LABEL_MAX], s[DC_LABEL_MAX + 8];
  memset(key, 'k', DC_LABEL_MAX - 1);
  key[DC_LABEL_MAX - 1] = '\0';
  check_term(key, key, "", false, false); /* 255 bytes: the most a key holds */
  snprintf(s, sizeof(s), "a=%s", key);
  check_term(s, "a", key, true, false);
}

static void test_label_term_bad(void **state) {
  (void)state;
  char longkey[DC_LABEL_MAX + 1], longval[DC_LABEL_MAX + 3];
  memset(longkey, 'k', DC_LABEL_MAX);
  longkey[DC_LABEL_MAX] = '\0';
  longval[0] = 'a';
  longval[1] = '=';
  memset(longval + 2, 'v', DC_LABEL_MAX);
  longval[DC_LABEL_MAX + 2] = '\0';
  const char *const bad[] = {"", "=v", "!", "!=v", "label=", "label!=", "label==v", "a b", "a!b",
                             "a,b", " k", "k\t", "\x7f", longkey, longval};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    dc_label_term_t t;
    char err[200] = "";
    if (dc_label_term_parse(&t, bad[i], err, sizeof(err)) != -EINVAL) {
      print_error("dc_label_term_parse(\"%.40s\") accepted\n", bad[i]);
      fail();
    }
    assert_true(err[0] != '\0');
    assert_null(strchr(err, '\n'));
  }
}

static void test_label_term_format(void **state) {
  (void)state;
  char out[600];
  dc_label_term_t t = term("!k=v=w");
  dc_label_term_format(&t, out, sizeof(out));
  assert_str(out, "k=v=w");
  t = term("label!=key");
  dc_label_term_format(&t, out, sizeof(out));
  assert_str(out, "key");
  t = term("k=");
  dc_label_term_format(&t, out, sizeof(out));
  assert_str(out, "k=");
  dc_label_term_format(&t, out, 2);
  assert_str(out, "k");
}

/* Values that are not UTF-8 are refused with -EILSEQ (audit F1: jansson would drop them from
 * the filter sent, widening the prune); valid UTF-8 of every length is kept. */
static void test_label_term_utf8(void **state) {
  (void)state;
  static const char *const bad[] = {"team=Jos\xe9",       "k=\x80",         "k=a\xc3",          "k=\xc0\xaf",
                                    "k=\xe0\x80\xaf",     "k=\xed\xa0\x80", "k=\xf4\x90\x80\x80", "k=\xf8\x88\x80\x80\x80",
                                    "!team=Jos\xe9",      "label!=k=\xff",  "k=\xe2\x82"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    dc_label_term_t t;
    char err[200] = "";
    int rc = dc_label_term_parse(&t, bad[i], err, sizeof(err));
    if (rc != -EILSEQ) {
      print_error("dc_label_term_parse(term %zu) returned %d, expected -EILSEQ\n", i, rc);
      fail();
    }
    assert_contains(err, "UTF-8");
  }
  dc_label_term_t t = term("team=Jos\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80");
  assert_str(t.value, "Jos\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80");
}

static void test_utf8_decode(void **state) {
  (void)state;
  uint32_t cp = 0;
  assert_i64(dc_utf8_decode("A", 1, &cp), 1);
  assert_i64(cp, 'A');
  assert_i64(dc_utf8_decode("\xc3\xa9", 2, &cp), 2);
  assert_i64(cp, 0xe9);
  assert_i64(dc_utf8_decode("\xe2\x80\xa8", 3, &cp), 3);
  assert_i64(cp, 0x2028);
  assert_i64(dc_utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp), 4);
  assert_i64(cp, 0x10ffff);
  assert_i64(dc_utf8_decode("\xc3\xa9", 1, &cp), 0);     /* cut short by n */
  assert_i64(dc_utf8_decode("\xc1\xbf", 2, &cp), 0);     /* overlong */
  assert_i64(dc_utf8_decode("\xe0\x9f\xbf", 3, &cp), 0); /* overlong */
  assert_i64(dc_utf8_decode("\xed\xbf\xbf", 3, &cp), 0); /* surrogate */
  assert_i64(dc_utf8_decode("\xbf", 1, &cp), 0);         /* continuation */
  assert_i64(dc_utf8_decode("", 0, &cp), 0);
  assert_true(dc_utf8_valid("", 0));
  assert_true(dc_utf8_valid("Jos\xc3\xa9", 5));
  assert_false(dc_utf8_valid("Jos\xe9", 4));
}

static void test_label_term_format_fits(void **state) {
  (void)state;
  char out[2 * DC_LABEL_MAX + 2];
  dc_label_term_t t = term("k=v");
  assert_i64(dc_label_term_format(&t, out, sizeof(out)), 3);
  assert_i64(dc_label_term_format(&t, out, 3), -ENAMETOOLONG);
  assert_i64(dc_label_term_format(&t, out, 4), 3);
}

/* --- matching --- */

static void test_labels_match(void **state) {
  (void)state;
  json_t *labels = json_pack("{s:s, s:s, s:s, s:i}", "env", "ci", "team", "web", "empty", "", "num", 1);
  assert_non_null(labels);
  dc_label_term_t t[4];

  /* No terms: everything matches, even no labels at all. */
  assert_true(dc_labels_match(t, 0, labels));
  assert_true(dc_labels_match(t, 0, NULL));

  /* k and k=v. */
  t[0] = term("env");
  assert_true(dc_labels_match(t, 1, labels));
  t[0] = term("env=ci");
  assert_true(dc_labels_match(t, 1, labels));
  t[0] = term("env=prod");
  assert_false(dc_labels_match(t, 1, labels));
  t[0] = term("env=");
  assert_false(dc_labels_match(t, 1, labels));
  t[0] = term("empty=");
  assert_true(dc_labels_match(t, 1, labels));
  t[0] = term("missing");
  assert_false(dc_labels_match(t, 1, labels));
  t[0] = term("num"); /* present, whatever its type */
  assert_true(dc_labels_match(t, 1, labels));
  t[0] = term("num=1"); /* not a string: no value matches */
  assert_false(dc_labels_match(t, 1, labels));

  /* Positive terms AND. */
  t[0] = term("env=ci");
  t[1] = term("team=web");
  assert_true(dc_labels_match(t, 2, labels));
  t[1] = term("team=db");
  assert_false(dc_labels_match(t, 2, labels));

  /* Any matching negative term excludes. */
  t[0] = term("env");
  t[1] = term("!missing");
  t[2] = term("!team=db");
  assert_true(dc_labels_match(t, 3, labels));
  t[3] = term("!team=web");
  assert_false(dc_labels_match(t, 4, labels));
  t[3] = term("!team");
  assert_false(dc_labels_match(t, 4, labels));
  t[0] = term("!missing");
  t[1] = term("!env");
  assert_false(dc_labels_match(t, 2, labels));

  /* No labels (NULL, JSON null, not an object): positive terms fail, negative ones pass. */
  json_t *null = json_null(), *arr = json_pack("[s]", "env");
  t[0] = term("env");
  assert_false(dc_labels_match(t, 1, NULL));
  assert_false(dc_labels_match(t, 1, null));
  assert_false(dc_labels_match(t, 1, arr));
  t[0] = term("!env");
  assert_true(dc_labels_match(t, 1, NULL));
  assert_true(dc_labels_match(t, 1, null));
  assert_true(dc_labels_match(t, 1, arr));

  /* dc_label_present ignores the sign. */
  t[0] = term("!env=ci");
  assert_true(dc_label_present(&t[0], labels));
  assert_false(dc_label_present(&t[0], NULL));

  json_decref(arr);
  json_decref(null);
  json_decref(labels);
}

static void test_until_selects_boundary(void **state) {
  (void)state;
  const int64_t cut = INT64_C(1704164645) * SEC;
  assert_true(dc_until_selects(cut, cut)); /* !created.After(until): the same instant goes */
  assert_true(dc_until_selects(cut, cut - 1));
  assert_false(dc_until_selects(cut, cut + 1));
  assert_true(dc_until_selects(cut, INT64_MIN));
  assert_false(dc_until_selects(0, 1));
  assert_true(dc_until_selects(0, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_duration_good),
      cmocka_unit_test(test_duration_bad),
      cmocka_unit_test_setup(test_until_durations, utc),
      cmocka_unit_test_setup(test_until_rfc3339, utc),
      cmocka_unit_test_setup(test_until_local_utc, utc),
      cmocka_unit_test_setup(test_until_local_new_york, utc),
      cmocka_unit_test_setup(test_until_unix, utc),
      cmocka_unit_test_setup(test_until_bad, utc),
      cmocka_unit_test(test_rfc3339),
      cmocka_unit_test(test_label_term_forms),
      cmocka_unit_test(test_label_term_bad),
      cmocka_unit_test(test_label_term_format),
      cmocka_unit_test(test_label_term_utf8),
      cmocka_unit_test(test_utf8_decode),
      cmocka_unit_test(test_label_term_format_fits),
      cmocka_unit_test(test_labels_match),
      cmocka_unit_test(test_until_selects_boundary),
  };
  return cmocka_run_group_tests_name("filters", tests, NULL, NULL);
}
