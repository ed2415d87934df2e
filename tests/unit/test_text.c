/* test_text.c: the one sanitiser of engine-supplied strings (audit F4, F6, F7): a table of
 * hostile strings, truncation at every cut point, and the JSON repair. */
#include "dc_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "api.h"
#include "text.h"

/* True when s is valid UTF-8 (jansson's rules: it accepts it as a JSON string). */
static bool valid_utf8(const char *s) {
  json_t *j = json_string(s);
  json_decref(j);
  return j != NULL;
}

/* No byte and no character that a terminal or a Unicode line splitter acts on. */
static void assert_one_safe_line(const char *s) {
  assert_true(valid_utf8(s));
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p == 0x7f) {
      print_error("\"%s\" holds the control byte 0x%02x\n", s, *p);
      fail();
    }
  }
  static const char *const banned[] = {"\xc2\x80", "\xc2\x85", "\xc2\x9b", "\xc2\x9f", "\xe2\x80\xa8", "\xe2\x80\xa9",
                                       "\xe2\x80\xae", "\xe2\x80\xaa", "\xe2\x81\xa6", "\xe2\x81\xa9", "\xe2\x80\x8e",
                                       "\xe2\x80\x8f", "\xd8\x9c"};
  for (size_t i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
    if (strstr(s, banned[i])) {
      print_error("\"%s\" holds a banned character (table entry %zu)\n", s, i);
      fail();
    }
}

static void test_hostile_table(void **state) {
  (void)state;
  static const struct {
    const char *in, *want;
  } cases[] = {
      /* ASCII controls: as printable() always did. */
      {"plain name", "plain name"},
      {"evil\nDeleted network 0123456789ab prod-net\nFinished in 0.01s: success (exit 0)",
       "evil?Deleted network 0123456789ab prod-net?Finished in 0.01s: success (exit 0)"},
      {"\x1b[2K\x1b[1A\x1b[31mRED", "?[2K?[1A?[31mRED"},
      {"cr\rtab\tvt\vff\fdel\x7f", "cr?tab?vt?ff?del?"},
      {"fs\x1cgs\x1drs\x1e", "fs?gs?rs?"},
      /* Unicode line and paragraph separators, NEL. */
      {"x\xe2\x80\xa8" "Deleted network 000000000000 forged", "x?Deleted network 000000000000 forged"},
      {"a\xe2\x80\xa9" "b", "a?b"},
      {"a\xc2\x85" "Finished", "a?Finished"},
      /* C1 controls: CSI, the first and the last. */
      {"\xc2\x9b" "31mred", "?31mred"},
      {"\xc2\x80\xc2\x9f", "??"},
      /* Bidi controls. */
      {"invoice\xe2\x80\xae" "fdp.exe", "invoice?fdp.exe"},
      {"\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "????"},
      {"\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "????"},
      {"\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "???"},
      /* Their neighbours are ordinary characters. */
      {"\xc2\xa0\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x80\x8d\xd8\x9b", "\xc2\xa0\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x80\x8d\xd8\x9b"},
      /* Other text is kept. */
      {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3"},
      /* Invalid UTF-8: one '?' per byte that is not part of a valid sequence. */
      {"a\xe9" "b", "a?b"},
      {"\xff\xfe", "??"},
      {"\x80" "x", "?x"},
      {"\xc0\xaf", "??"},             /* overlong '/' */
      {"\xe0\x80\xaf", "???"},        /* overlong, 3 bytes */
      {"\xed\xa0\x80", "???"},        /* a surrogate */
      {"\xf4\x90\x80\x80", "????"},   /* above U+10FFFF */
      {"\xf8\x88\x80\x80\x80", "?????"},
      {"Docker/\xe9\x9b" "31m\xff", "Docker/??31m?"},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char out[256];
    memset(out, 'X', sizeof(out));
    size_t n = dc_printable(out, sizeof(out), cases[i].in);
    if (strcmp(out, cases[i].want) != 0) {
      print_error("case %zu: dc_printable is \"%s\", expected \"%s\"\n", i, out, cases[i].want);
      fail();
    }
    assert_i64(n, strlen(cases[i].want));
    assert_one_safe_line(out);
    /* In place gives the same. */
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", cases[i].in);
    dc_text_clean(buf, sizeof(buf), buf, strlen(buf), 0);
    assert_str(buf, cases[i].want);
  }
  char out[8] = "XXXXXXX";
  assert_i64(dc_printable(out, sizeof(out), NULL), 0);
  assert_str(out, "");
}

/* Characters of each length, and a separator: a multibyte character cut at every point. */
static const char *const chars[] = {"\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x90\xb3", "\xe2\x80\xa8", "\xc2\x85"};

static void test_cut_sequences(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof(chars) / sizeof(chars[0]); c++) {
    size_t len = strlen(chars[c]);
    for (size_t k = 1; k < len; k++) {
      /* Cut at the end, and cut with text after it: one '?' per stray byte. */
      char in[16], want[16], out[16];
      snprintf(in, sizeof(in), "a%.*s", (int)k, chars[c]);
      snprintf(want, sizeof(want), "a%.*s", (int)k, "????");
      dc_printable(out, sizeof(out), in);
      assert_str(out, want);
      snprintf(in, sizeof(in), "a%.*sb", (int)k, chars[c]);
      snprintf(want, sizeof(want), "a%.*sb", (int)k, "????");
      dc_printable(out, sizeof(out), in);
      assert_str(out, want);
      /* dc_utf8_trim drops the cut character, dc_utf8_prefix cuts before it. */
      snprintf(in, sizeof(in), "a%.*s", (int)k, chars[c]);
      dc_utf8_trim(in);
      assert_str(in, "a");
      snprintf(in, sizeof(in), "a%s", chars[c]);
      assert_i64(dc_utf8_prefix(in, 1 + k), 1);
      assert_i64(dc_utf8_prefix(in, 1 + len), 1 + len);
      assert_i64(dc_utf8_prefix(in, 100), 1 + len);
      /* JSON: the stray bytes become U+FFFD, the rest is kept. */
      snprintf(in, sizeof(in), "a%.*sb", (int)k, chars[c]);
      json_t *j = dc_json_text(in);
      assert_non_null(j);
      char jwant[32] = "a";
      for (size_t i = 0; i < k; i++)
        strcat(jwant, "\xef\xbf\xbd");
      strcat(jwant, "b");
      assert_str(json_string_value(j), jwant);
      json_decref(j);
    }
    /* Whole, it is left alone by the cutting functions. */
    char in[16];
    snprintf(in, sizeof(in), "a%s", chars[c]);
    dc_utf8_trim(in);
    assert_i64(strlen(in), 1 + len);
  }
}

/* The output buffer cuts between characters, wherever its end falls. */
static void test_bounded_output(void **state) {
  (void)state;
  /* 'a' (1), e-acute (2), a CJK character (3), a whale (4), a separator (-> '?'), 'z'. */
  static const char in[] = "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x90\xb3\xe2\x80\xa8z";
  static const size_t ends[] = {0, 1, 3, 6, 10, 11, 12}; /* where whole output characters end */
  for (size_t cap = 1; cap <= 16; cap++) {
    char out[16];
    memset(out, 'X', sizeof(out));
    size_t n = dc_printable(out, cap, in);
    size_t want = 0;
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
      if (ends[i] <= cap - 1)
        want = ends[i];
    assert_i64(n, want);
    assert_i64(strlen(out), want);
    assert_true(valid_utf8(out));
    assert_int_equal(memcmp(out, "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x90\xb3?z", n), 0);
    if (cap < sizeof(out))
      assert_int_equal(out[cap], 'X'); /* nothing past the buffer */
  }
  /* cap 0: nothing is written. */
  char guard[2] = {'G', 'H'};
  assert_i64(dc_printable(guard, 0, "x"), 0);
  assert_int_equal(guard[0], 'G');
  /* A long name cut at 100 bytes inside a character (audit B13): 'a' + 60 x e-acute. */
  char name[200] = "a", out[101];
  for (int i = 0; i < 60; i++)
    strcat(name, "\xc3\xa9");
  assert_i64(dc_printable(out, sizeof(out), name), 99);
  assert_true(valid_utf8(out));
  assert_i64(dc_utf8_prefix(name, 100), 99);
  assert_i64(dc_utf8_prefix(name, 99), 99);
}

static void test_ascii_blanks(void **state) {
  (void)state;
  char out[64];
  static const char msg[] = "a\tb\r\nc caf\xc3\xa9 \xe2\x80\xa8";
  dc_text_clean(out, sizeof(out), msg, sizeof(msg) - 1, DC_TEXT_ASCII | DC_TEXT_BLANKS);
  assert_str(out, "a b  c caf?? ???");
  /* n bounds the input, NUL bytes included. */
  dc_text_clean(out, sizeof(out), "a\0b", 3, 0);
  assert_str(out, "a?b");
  dc_text_clean(out, sizeof(out), "abcdef", 3, 0);
  assert_str(out, "abc");
}

static void test_json_text(void **state) {
  (void)state;
  assert_null(dc_json_text(NULL));
  static const struct {
    const char *in, *want;
  } cases[] = {
      {"plain", "plain"},
      {"caf\xc3\xa9", "caf\xc3\xa9"},
      /* Control characters and separators are data in JSON: the encoder escapes what it must. */
      {"a\nb\x1b", "a\nb\x1b"},
      {"Docker/\xe9", "Docker/\xef\xbf\xbd"},
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xff" "ok\xc0\xaf", "\xef\xbf\xbdok\xef\xbf\xbd\xef\xbf\xbd"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    json_t *j = dc_json_text(cases[i].in);
    assert_non_null(j);
    assert_str(json_string_value(j), cases[i].want);
    json_decref(j);
  }
  /* A 4095-byte name plus a character cut at 4096 (audit B12) still encodes. */
  char *name = malloc(4097);
  assert_non_null(name);
  memset(name, 'a', 4095);
  name[4095] = '\xc3';
  name[4096] = '\0';
  json_t *j = dc_json_text(name);
  assert_non_null(j);
  assert_i64(json_string_length(j), 4095 + 3);
  json_decref(j);
  free(name);
}

/* JSON lines: separators, C1 and bidi controls and DEL travel as escapes, the value is the same. */
static void test_json_line(void **state) {
  (void)state;
  static const char name[] = "a\xe2\x80\xa8" "b\xc2\x85" "c\xe2\x80\xae" "d\x7f" "e\n\x1b caf\xc3\xa9 \xe6\x97\xa5";
  json_t *o = json_pack("{s:s}", "name", name);
  assert_non_null(o);
  char *line = dc_json_line(o, JSON_COMPACT);
  assert_str(line, "{\"name\":\"a\\u2028b\\u0085c\\u202Ed\\u007Fe\\n\\u001B caf\xc3\xa9 \xe6\x97\xa5\"}");
  json_t *back = json_loads(line, 0, NULL);
  assert_true(json_equal(o, back));
  json_decref(back);
  free(line);
  /* Nothing to escape: jansson's own line. */
  json_object_set_new(o, "name", json_string("plain"));
  line = dc_json_line(o, JSON_COMPACT);
  assert_str(line, "{\"name\":\"plain\"}");
  free(line);
  json_decref(o);
  assert_null(dc_json_line(NULL, 0));
}

/* The decoders cut names at 4096 bytes between characters (audit B12), and jansson's
 * "near '...'" quote of a malformed reply reaches the message printable (audit N3). */
static void test_decoder_text(void **state) {
  (void)state;
  char body[8400], err[256];
  int off = snprintf(body, sizeof(body), "[{\"Id\":\"c1\",\"Names\":[\"/");
  memset(body + off, 'a', 4095);
  off += 4095;
  off += snprintf(body + off, sizeof(body) - (size_t)off, "\u00e9tail\"]},{\"Id\":\"i1\",\"Names\":[\"/");
  memset(body + off, 'b', 4094);
  off += 4094;
  off += snprintf(body + off, sizeof(body) - (size_t)off, "\u65e5x\"]}]");
  dc_resource_list_t l = {0};
  assert_rc(dc_api_decode_containers(body, (size_t)off, &l, err, sizeof(err)), 0);
  assert_i64(l.n, 2);
  assert_i64(strlen(l.items[0].name), 4095);
  assert_true(valid_utf8(l.items[0].name));
  assert_i64(strlen(l.items[1].name), 4094);
  assert_true(valid_utf8(l.items[1].name));
  dc_resource_list_free(&l);
  off = snprintf(body, sizeof(body), "[{\"Id\":\"i1\",\"RepoTags\":[\"");
  memset(body + off, 'c', 4095);
  off += 4095;
  off += snprintf(body + off, sizeof(body) - (size_t)off, "\u00e9\"]}]");
  assert_rc(dc_api_decode_images(body, (size_t)off, &l, err, sizeof(err)), 0);
  assert_i64(strlen(l.items[0].name), 4095);
  dc_resource_list_free(&l);

  static const char *const bad[] = {"[\n\x1b[31mDeleted container 0123456789ab web-prod]", "\x1b[31m", "{\"a\":\xc2\x9b}",
                                    "[\xe2\x80\xa8]"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    assert_rc(dc_api_decode_containers(bad[i], strlen(bad[i]), &l, err, sizeof(err)), -EPROTO);
    assert_contains(err, "invalid JSON in reply");
    assert_one_safe_line(err);
    dc_resource_list_free(&l);
  }
  /* The engine's error messages: as ever, ASCII only. */
  char msg[200];
  static const char reply[] = "{\"message\":\"x\\u2028y\\u0085z\\u202e\"}";
  dc_api_error_message(reply, sizeof(reply) - 1, msg, sizeof(msg));
  assert_str(msg, "x???y??z???");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hostile_table), cmocka_unit_test(test_cut_sequences), cmocka_unit_test(test_bounded_output),
      cmocka_unit_test(test_ascii_blanks),  cmocka_unit_test(test_json_text),      cmocka_unit_test(test_decoder_text),
      cmocka_unit_test(test_json_line),
  };
  return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
