/* test_decode_retention.c: the decoders the retention rules (issue 14) read: every tag and
 * digest of an image, /system/df's images and LayersSize, one image's details. The fixtures
 * (tests/unit/fixtures/engines) are replies captured from the real engines (2026-11-30: Docker
 * 20.10, 26.1, 28.5 with graph drivers and with the containerd store, Podman 4.3 and 5.8). */
#include "dc_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "decode.h"
#include "resource.h"

#define SEC INT64_C(1000000000)

static char *slurp(const char *name, size_t *len) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", DC_FIXTURE_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    print_error("cannot open %s\n", path);
    fail();
  }
  char *b = malloc(1 << 20);
  assert_non_null(b);
  *len = fread(b, 1, (1 << 20) - 1, f);
  b[*len] = '\0';
  fclose(f);
  return b;
}

static const dc_resource_t *by_id(const dc_resource_list_t *l, const char *prefix) {
  for (size_t i = 0; i < l->n; i++)
    if (strncmp(dc_bare_id(l->items[i].id), prefix, strlen(prefix)) == 0)
      return &l->items[i];
  print_error("no image %s\n", prefix);
  fail();
  return NULL;
}

static size_t ntags(const dc_resource_t *r) { return json_array_size(r->tags); }
static const char *tag(const dc_resource_t *r, size_t i) { return json_string_value(json_array_get(r->tags, i)); }
static const char *digest(const dc_resource_t *r, size_t i) {
  return json_string_value(json_array_get(r->digests, i));
}

static dc_resource_list_t images_fixture(const char *name) {
  size_t len;
  char *b = slurp(name, &len), err[256] = "";
  dc_resource_list_t l;
  int rc = dc_api_decode_images(b, len, &l, err, sizeof(err));
  if (rc != 0) {
    print_error("%s: %s\n", name, err);
    fail();
  }
  free(b);
  return l;
}

/* GET /images/json of each engine: the image with three tags keeps all three, and its digests;
 * dangling images (Docker 20's "<none>:<none>", newer Dockers' [], Podman's null... ) have
 * none; SharedSize of the listing is -1 (Docker) or 0 (Podman 4.3). */
static void test_images_fixtures(void **state) {
  (void)state;
  dc_resource_list_t l = images_fixture("docker20-images.json");
  assert_i64(l.n, 6);
  const dc_resource_t *r = by_id(&l, "b14650fc7dbb");
  assert_i64(ntags(r), 3);
  assert_str(tag(r, 0), "built:1");
  assert_str(tag(r, 2), "example.com:5000/team/built:3");
  assert_null(r->digests); /* "RepoDigests":null */
  assert_false(r->refs_truncated);
  assert_i64(r->shared_size, -1);
  assert_i64(r->size, 1984203);
  r = by_id(&l, "f400fc346b14"); /* "<none>:<none>", "<none>@<none>" */
  assert_i64(ntags(r), 0);
  assert_i64(json_array_size(r->digests), 0);
  assert_null(r->name);
  dc_resource_list_free(&l);

  l = images_fixture("docker26-images.json");
  r = by_id(&l, "7979fbc3fdb8");
  assert_i64(ntags(r), 3);
  assert_i64(json_array_size(r->digests), 0);
  r = by_id(&l, "08bcaed6e96c"); /* dangling: [] */
  assert_non_null(r->tags);
  assert_i64(ntags(r), 0);
  dc_resource_list_free(&l);

  l = images_fixture("docker28c-images.json");
  r = by_id(&l, "c3c2934dc4d1");
  assert_i64(ntags(r), 3);
  /* The containerd store lists one digest here where the inspect shows two. */
  assert_i64(json_array_size(r->digests), 1);
  assert_str(digest(r, 0),
             "example.com:5000/team/built@sha256:c3c2934dc4d14da4058298b2e7843f1daf15580bfc7ed244962ca7fd1130fad7");
  dc_resource_list_free(&l);

  l = images_fixture("podman-images.json");
  r = by_id(&l, "f480a2559639");
  assert_i64(ntags(r), 3);
  assert_str(tag(r, 0), "docker.io/library/built:1"); /* names come normalised */
  assert_i64(json_array_size(r->digests), 2);
  assert_i64(r->shared_size, 0);
  r = by_id(&l, "8e6e8945a8b2"); /* dangling: RepoTags null */
  assert_null(r->tags);
  assert_false(r->refs_truncated);
  dc_resource_list_free(&l);

  l = images_fixture("podman5-images.json");
  r = by_id(&l, "7574fb17fd5d");
  assert_i64(ntags(r), 3);
  assert_str(tag(r, 0), "example.com:5000/team/built:3"); /* Podman 5: the newest tag first */
  assert_i64(r->shared_size, -1);
  dc_resource_list_free(&l);

  /* Podman's own CLI (podman tag/import/build with a short name) names images localhost/NAME. */
  l = images_fixture("podman-images-cli.json");
  r = by_id(&l, "6f80b7a965f5");
  assert_i64(ntags(r), 2);
  assert_str(tag(r, 1), "localhost/cli-tag:1");
  assert_str(digest(r, 1), "localhost/cli-tag@sha256:9f6b4854cae4d2294ce8de824f095de91ffa4029ca18f52fa3f437215840f731");
  assert_str(tag(by_id(&l, "0d59eaf3f90e"), 0), "localhost/cli-built:3");
  dc_resource_list_free(&l);

  l = images_fixture("docker28-images.json");
  assert_i64(l.n, 6);
  dc_resource_list_free(&l);
}

static dc_resource_list_t df_fixture(const char *name, int64_t *layers) {
  size_t len;
  char *b = slurp(name, &len), err[256] = "";
  dc_resource_list_t l;
  int rc = dc_api_decode_df_images(b, len, &l, layers, err, sizeof(err));
  if (rc != 0) {
    print_error("%s: %s\n", name, err);
    fail();
  }
  free(b);
  return l;
}

/* /system/df (?type=image from API 1.42): SharedSize computed, LayersSize. */
static void test_df_fixtures(void **state) {
  (void)state;
  int64_t layers;
  dc_resource_list_t l = df_fixture("docker20-df.json", &layers);
  assert_i64(layers, 1984372);
  assert_i64(l.n, 6);
  const dc_resource_t *r = by_id(&l, "b14650fc7dbb");
  assert_i64(r->shared_size, 1984168);
  assert_i64(r->size, 1984203);
  assert_i64(ntags(r), 3);
  assert_i64(by_id(&l, "ee7daa88129d")->shared_size, 0);
  dc_resource_list_free(&l);

  l = df_fixture("docker26-df-image.json", &layers);
  assert_i64(layers, 1984372);
  assert_i64(by_id(&l, "7979fbc3fdb8")->shared_size, 1984168);
  assert_null(by_id(&l, "08bcaed6e96c")->tags); /* df: dangling RepoTags null */
  dc_resource_list_free(&l);

  l = df_fixture("docker28-df-image.json", &layers);
  assert_i64(layers, 1984368);
  assert_i64(by_id(&l, "c99112ff6d80")->shared_size, 1984168);
  dc_resource_list_free(&l);

  l = df_fixture("docker28c-df-image.json", &layers);
  assert_i64(layers, 3186606);
  assert_i64(by_id(&l, "c3c2934dc4d1")->shared_size, 2023424);
  dc_resource_list_free(&l);

  /* Podman: one entry per tag, bare IDs, RepoTags holding the tag only; 4.3's LayersSize is 0. */
  l = df_fixture("podman-df.json", &layers);
  assert_i64(layers, 0);
  assert_i64(l.n, 8);
  r = by_id(&l, "f480a2559639");
  assert_str(r->id, "f480a2559639659228a147ee38180bce60553caf8ca145b8dced22facdbfb86b");
  assert_i64(ntags(r), 1);
  assert_str(tag(r, 0), "1");
  assert_i64(r->shared_size, 2131032);
  dc_resource_list_free(&l);

  l = df_fixture("podman5-df.json", &layers);
  assert_i64(layers, 2181716);
  assert_i64(by_id(&l, "7574fb17fd5d")->shared_size, 2129920);
  dc_resource_list_free(&l);
}

static int inspect(const char *body, size_t len, dc_image_detail_t *d) {
  char err[256] = "";
  int rc = dc_api_decode_image_inspect(body, len, d, err, sizeof(err));
  if (rc != 0 && err[0] == '\0') {
    print_error("error %d without a reason\n", rc);
    fail();
  }
  return rc;
}

static void inspect_fixture(const char *name, dc_image_detail_t *d) {
  size_t len;
  char *b = slurp(name, &len);
  int rc = inspect(b, len, d);
  free(b);
  if (rc != 0) {
    print_error("%s: %d\n", name, rc);
    fail();
  }
}

/* 2026-11-30T10:41:20.095336599Z etc., as nanoseconds. */
#define T20261130 INT64_C(1796032800) /* 2026-11-30T10:00:00Z */
#define AT(min, sec, ns) ((T20261130 + (min)*60 + (sec)) * SEC + (ns))

static void test_inspect_fixtures(void **state) {
  (void)state;
  dc_image_detail_t d;
  inspect_fixture("docker20-inspect-built-3tags.json", &d);
  assert_str(d.id, "sha256:b14650fc7dbb9260160a3283cb2bc9627b5217a471addec4e55aa4f6ea64305b");
  assert_i64(d.created_ns, AT(41, 20, 90592546));
  assert_i64(d.last_tag_ns, AT(41, 23, 270147075)); /* moved to the last `docker tag` */
  assert_i64(d.nlayers, 2);
  assert_i64(strlen(d.layers[0]), 71);
  assert_int_equal(strncmp(d.layers[0], "sha256:", 7), 0);
  dc_image_detail_free(&d);
  inspect_fixture("docker20-inspect-loaded.json", &d); /* docker load: the zero time */
  assert_i64(d.last_tag_ns, INT64_MIN);
  assert_i64(d.created_ns, AT(41, 23, 433744649));
  assert_i64(d.nlayers, 1);
  dc_image_detail_free(&d);
  inspect_fixture("docker20-inspect-dangling.json", &d);
  assert_i64(d.last_tag_ns, INT64_MIN);
  dc_image_detail_free(&d);

  static const char *const docker[] = {"docker26", "docker28", "docker28c"};
  for (size_t k = 0; k < 3; k++) {
    char name[64];
    snprintf(name, sizeof(name), "%s-inspect-built-3tags.json", docker[k]);
    inspect_fixture(name, &d);
    assert_true(d.last_tag_ns > d.created_ns);
    assert_i64(d.nlayers, 2);
    dc_image_detail_free(&d);
    snprintf(name, sizeof(name), "%s-inspect-loaded.json", docker[k]);
    inspect_fixture(name, &d);
    /* The containerd store sets LastTagTime at the load; the graph drivers do not. */
    if (k == 2)
      assert_i64(d.last_tag_ns, AT(42, 20, 296647654));
    else
      assert_i64(d.last_tag_ns, INT64_MIN);
    dc_image_detail_free(&d);
  }
  /* Podman: LastTagTime is always the zero time. */
  inspect_fixture("podman-inspect-built-3tags.json", &d);
  assert_i64(d.last_tag_ns, INT64_MIN);
  assert_i64(d.created_ns, AT(42, 39, 220181971));
  assert_i64(d.nlayers, 2);
  dc_image_detail_free(&d);
  inspect_fixture("podman5-inspect-loaded.json", &d);
  assert_i64(d.last_tag_ns, INT64_MIN);
  assert_i64(d.nlayers, 1);
  dc_image_detail_free(&d);
}

#define INSPECT_BAD(lit)                                                                                     \
  do {                                                                                                       \
    dc_image_detail_t d_;                                                                                    \
    int rc_ = inspect(lit, sizeof(lit) - 1, &d_);                                                            \
    if (rc_ != -EPROTO) {                                                                                    \
      print_error("%s: rc %d, expected -EPROTO\n", lit, rc_);                                                \
      fail();                                                                                                \
    }                                                                                                        \
    assert_null(d_.id);                                                                                      \
    assert_null(d_.layers);                                                                                  \
    assert_i64(d_.nlayers, 0);                                                                               \
  } while (0)

/* A body of n layer IDs of width w (w >= 8). */
static char *layers_body(size_t n, size_t w, size_t *len) {
  size_t cap = 64 + n * (w + 3);
  char *b = malloc(cap);
  assert_non_null(b);
  size_t off = (size_t)snprintf(b, cap, "{\"Id\":\"x\",\"RootFS\":{\"Layers\":[");
  for (size_t i = 0; i < n; i++) {
    off += (size_t)snprintf(b + off, cap - off, "%s\"", i ? "," : "");
    off += (size_t)snprintf(b + off, cap - off, "%08zx", i);
    memset(b + off, 'a', w - 8);
    off += w - 8;
    b[off++] = '"';
  }
  off += (size_t)snprintf(b + off, cap - off, "]}}");
  *len = off;
  return b;
}

static void test_inspect_hostile(void **state) {
  (void)state;
  dc_image_detail_t d;
  /* Minimal, and what is absent or unreadable is unknown rather than an error. */
  static const char min[] = "{\"Id\":\"sha256:1\"}";
  assert_rc(inspect(min, sizeof(min) - 1, &d), 0);
  assert_str(d.id, "sha256:1");
  assert_i64(d.nlayers, 0);
  assert_null(d.layers);
  assert_i64(d.last_tag_ns, INT64_MIN);
  assert_i64(d.created_ns, INT64_MIN);
  dc_image_detail_free(&d);
  static const char ok[] = "{\"Id\":\"i\",\"Created\":5,\"Metadata\":{\"LastTagTime\":7},\"RootFS\":{\"Layers\":null},"
                           "\"Extra\":[1,{\"a\":[]}]}";
  assert_rc(inspect(ok, sizeof(ok) - 1, &d), 0);
  assert_i64(d.created_ns, INT64_MIN);
  assert_i64(d.last_tag_ns, INT64_MIN);
  dc_image_detail_free(&d);
  static const char odd[] = "{\"Id\":\"i\",\"Created\":\"1969-12-31T23:59:59Z\",\"Metadata\":[],"
                            "\"RootFS\":{\"Type\":\"layers\"}}";
  assert_rc(inspect(odd, sizeof(odd) - 1, &d), 0);
  assert_i64(d.created_ns, INT64_MIN);
  assert_i64(d.last_tag_ns, INT64_MIN);
  dc_image_detail_free(&d);
  /* Given twice, the last one counts (as in a jansson tree), and nothing leaks. */
  static const char twice[] = "{\"Id\":\"a\",\"RootFS\":{\"Layers\":[\"l1\",\"l2\"]},\"Id\":\"b\","
                              "\"RootFS\":{\"Layers\":[\"l3\"]},\"Metadata\":{\"LastTagTime\":\"2026-11-30T10:00:00Z\"}}";
  assert_rc(inspect(twice, sizeof(twice) - 1, &d), 0);
  assert_str(d.id, "b");
  assert_i64(d.nlayers, 1);
  assert_str(d.layers[0], "l3");
  assert_i64(d.last_tag_ns, T20261130 * SEC);
  dc_image_detail_free(&d);
  dc_image_detail_free(&d); /* twice is harmless */

  INSPECT_BAD("");
  INSPECT_BAD("null");
  INSPECT_BAD("[]");
  INSPECT_BAD("{}");
  INSPECT_BAD("{\"Id\":5}");
  INSPECT_BAD("{\"Id\":\"\"}");
  INSPECT_BAD("{\"Id\":\"i\"");
  INSPECT_BAD("{\"Id\":\"i\"} x");
  INSPECT_BAD("{\"Id\":\"i\",\"RootFS\":5}");
  INSPECT_BAD("{\"Id\":\"i\",\"RootFS\":{\"Layers\":\"sha256:1\"}}");
  INSPECT_BAD("{\"Id\":\"i\",\"RootFS\":{\"Layers\":{}}}");
  INSPECT_BAD("{\"Id\":\"i\",\"RootFS\":{\"Layers\":[\"a\",5]}}");
  INSPECT_BAD("{\"Id\":\"i\",\"RootFS\":{\"Layers\":[\"a\",\"\"]}}");
  INSPECT_BAD("{\"Id\":\"i\",\"RootFS\":{\"Layers\":[\"a\\u0000b\"]}}");
  INSPECT_BAD("{\"RootFS\":{\"Layers\":[\"a\"]}}"); /* no Id: the layers are freed */

  /* The bounds: 1024 layers of 100 bytes pass; one more layer, or one more byte, does not. */
  size_t len;
  char *b = layers_body(DC_IMAGE_LAYERS_MAX, DC_IMAGE_LAYER_ID_MAX, &len);
  assert_rc(inspect(b, len, &d), 0);
  assert_i64(d.nlayers, DC_IMAGE_LAYERS_MAX);
  assert_i64(strlen(d.layers[DC_IMAGE_LAYERS_MAX - 1]), DC_IMAGE_LAYER_ID_MAX);
  dc_image_detail_free(&d);
  free(b);
  b = layers_body(DC_IMAGE_LAYERS_MAX + 1, 71, &len);
  assert_rc(inspect(b, len, &d), -EPROTO);
  assert_i64(d.nlayers, 0);
  free(b);
  b = layers_body(3, DC_IMAGE_LAYER_ID_MAX + 1, &len);
  assert_rc(inspect(b, len, &d), -EPROTO);
  assert_null(d.layers);
  free(b);
  b = layers_body(100000, 8, &len); /* past the walker's bound of one value: refused too */
  assert_rc(inspect(b, len, &d), -EPROTO);
  free(b);
}

/* An image of n tags "t:<i>" and m digests. */
static char *refs_body(size_t images, size_t n, size_t m, size_t *len) {
  size_t cap = 64 + images * (64 + (n + m) * 24);
  char *b = malloc(cap);
  assert_non_null(b);
  size_t off = 0;
  b[off++] = '[';
  for (size_t k = 0; k < images; k++) {
    off += (size_t)snprintf(b + off, cap - off, "%s{\"Id\":\"i%zu\",\"RepoTags\":[", k ? "," : "", k);
    for (size_t i = 0; i < n; i++)
      off += (size_t)snprintf(b + off, cap - off, "%s\"t:%zu\"", i ? "," : "", i);
    off += (size_t)snprintf(b + off, cap - off, "],\"RepoDigests\":[");
    for (size_t i = 0; i < m; i++)
      off += (size_t)snprintf(b + off, cap - off, "%s\"t@sha256:%zu\"", i ? "," : "", i);
    off += (size_t)snprintf(b + off, cap - off, "]}");
  }
  b[off++] = ']';
  *len = off;
  return b;
}

static void test_refs_bounds(void **state) {
  (void)state;
  size_t len;
  char err[256];
  dc_resource_list_t l;
  /* 200 tags and 56 digests: exactly the bound, all kept. */
  char *b = refs_body(1, 200, 56, &len);
  assert_rc(dc_api_decode_images(b, len, &l, err, sizeof(err)), 0);
  assert_i64(ntags(&l.items[0]), 200);
  assert_i64(json_array_size(l.items[0].digests), 56);
  assert_false(l.items[0].refs_truncated);
  dc_resource_list_free(&l);
  free(b);
  /* One more: the image is marked, its tags (first) are all there. */
  b = refs_body(1, 200, 57, &len);
  assert_rc(dc_api_decode_images(b, len, &l, err, sizeof(err)), 0);
  assert_i64(ntags(&l.items[0]), 200);
  assert_i64(json_array_size(l.items[0].digests), 56);
  assert_true(l.items[0].refs_truncated);
  dc_resource_list_free(&l);
  free(b);
  /* 1000 tags: 256 kept, marked; dc_image_tags-style counting still sees a tagged image. */
  b = refs_body(1, 1000, 0, &len);
  assert_rc(dc_api_decode_images(b, len, &l, err, sizeof(err)), 0);
  assert_i64(ntags(&l.items[0]), DC_IMAGE_REFS_MAX);
  assert_i64(json_array_size(l.items[0].digests), 0);
  assert_true(l.items[0].refs_truncated);
  dc_resource_list_free(&l);
  free(b);
  /* The reply's budget: 2000 images of 256 refs (512,000) - the last ones are marked. */
  b = refs_body(2000, 256, 0, &len);
  assert_rc(dc_api_decode_images(b, len, &l, err, sizeof(err)), 0);
  assert_i64(l.n, 2000);
  size_t marked = 0, kept = 0;
  for (size_t i = 0; i < l.n; i++) {
    marked += l.items[i].refs_truncated;
    kept += ntags(&l.items[i]);
  }
  assert_i64(kept, DC_IMAGE_REFS_PER_REPLY);
  assert_i64(marked, 2000 - DC_IMAGE_REFS_PER_REPLY / 256);
  assert_false(l.items[0].refs_truncated);
  assert_true(l.items[l.n - 1].refs_truncated);
  dc_resource_list_free(&l);
  /* ... and the budget starts again with each reply. */
  static const char one[] = "{\"Images\":[{\"Id\":\"a\",\"RepoTags\":[\"x:1\"]}]}";
  assert_rc(dc_api_decode_df_images(one, sizeof(one) - 1, &l, &(int64_t){0}, err, sizeof(err)), 0);
  assert_false(l.items[0].refs_truncated);
  assert_i64(ntags(&l.items[0]), 1);
  dc_resource_list_free(&l);
  free(b);

  /* References of the wrong type: the image is marked, nothing else changes. */
  static const char odd[] = "[{\"Id\":\"a\",\"RepoTags\":\"x:1\"},{\"Id\":\"b\",\"RepoDigests\":{\"x\":1}},"
                            "{\"Id\":\"c\",\"RepoTags\":[null,\"c:1\"]},{\"Id\":\"d\",\"RepoTags\":null,\"RepoDigests\":null}]";
  assert_rc(dc_api_decode_images(odd, sizeof(odd) - 1, &l, err, sizeof(err)), 0);
  assert_true(l.items[0].refs_truncated);
  assert_null(l.items[0].tags);
  assert_true(l.items[1].refs_truncated);
  assert_null(l.items[1].digests);
  assert_true(l.items[2].refs_truncated);
  assert_i64(ntags(&l.items[2]), 1);
  assert_false(l.items[3].refs_truncated);
  dc_resource_list_free(&l);
}

#define DF_BAD(lit)                                                                                          \
  do {                                                                                                       \
    dc_resource_list_t l_;                                                                                   \
    int64_t ls_ = 5;                                                                                         \
    char er_[256] = "";                                                                                       \
    int rc_ = dc_api_decode_df_images(lit, sizeof(lit) - 1, &l_, &ls_, er_, sizeof(er_));                      \
    if (rc_ != -EPROTO || er_[0] == '\0') {                                                                   \
      print_error("%s: rc %d, expected -EPROTO with a reason\n", lit, rc_);                                  \
      fail();                                                                                                \
    }                                                                                                        \
    assert_i64(l_.n, 0);                                                                                     \
    assert_null(l_.items);                                                                                   \
    assert_i64(ls_, -1);                                                                                     \
  } while (0)

static void test_df_hostile(void **state) {
  (void)state;
  dc_resource_list_t l;
  int64_t ls;
  char err[256];
  static const char a[] = "{\"LayersSize\":\"big\",\"Images\":[{\"Id\":\"x\",\"SharedSize\":-5,\"Size\":3},"
                          "{\"Id\":\"y\",\"SharedSize\":\"1\"},{\"Id\":\"z\",\"SharedSize\":7.0}]}";
  assert_rc(dc_api_decode_df_images(a, sizeof(a) - 1, &l, &ls, err, sizeof(err)), 0);
  assert_i64(ls, -1);
  assert_i64(l.n, 3);
  assert_i64(l.items[0].shared_size, -1);
  assert_i64(l.items[0].size, 3);
  assert_i64(l.items[1].shared_size, -1);
  assert_i64(l.items[2].shared_size, 7);
  dc_resource_list_free(&l);
  static const char b[] = "{\"Images\":null,\"LayersSize\":-3}";
  assert_rc(dc_api_decode_df_images(b, sizeof(b) - 1, &l, &ls, err, sizeof(err)), 0);
  assert_i64(l.n, 0);
  assert_i64(ls, -1);
  static const char c[] = "{\"LayersSize\":{\"a\":[1]},\"Images\":[],\"LayersSize\":12}";
  assert_rc(dc_api_decode_df_images(c, sizeof(c) - 1, &l, &ls, err, sizeof(err)), 0);
  assert_i64(ls, 12);
  DF_BAD("");
  DF_BAD("[]");
  DF_BAD("{}");                           /* no image list: not "no images" */
  DF_BAD("{\"LayersSize\":5}");
  DF_BAD("{\"BuildCache\":[],\"Images\":5}");
  DF_BAD("{\"Images\":[{\"Size\":1}]}");  /* an entry without Id */
  DF_BAD("{\"Images\":[5]}");
  DF_BAD("{\"Images\":[{\"Id\":\"a\"}],\"LayersSize\":1");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_images_fixtures), cmocka_unit_test(test_df_fixtures),
      cmocka_unit_test(test_inspect_fixtures), cmocka_unit_test(test_inspect_hostile),
      cmocka_unit_test(test_refs_bounds),      cmocka_unit_test(test_df_hostile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
