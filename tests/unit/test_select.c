/* test_select.c: the deletion rules as a table: (resource, settings, engine) -> (decision,
 * reason), one row per rule and kind. */
#include "dc_test.h"

#include <stdbool.h>
#include <stdlib.h>

#include "select.h"

#define NOW_S INT64_C(1700000000)
#define S(x) ((int64_t)(x) * INT64_C(1000000000))
#define UNKNOWN INT64_MIN
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX64_REAPED "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define NO_AGE INT64_MIN

typedef struct row {
  const char *what;
  dc_kind_t kind;
  /* the resource */
  const char *id, *name, *state; /* state: containers' State, build cache's Type */
  const char *labels, *tags;     /* JSON object / array, or NULL */
  const char *driver;            /* volumes; NULL: "local" */
  bool options, in_use, shared, doomed;
  int64_t age_s; /* created (build cache: last used) this long before NOW_S; NO_AGE: unknown */
  /* the settings */
  const char *filter[2]; /* label terms, as LABEL_FILTER takes them */
  bool prune_all, volumes_all;
  int64_t until_age_s; /* `until` this long before NOW_S; 0: none */
  const char *reap;    /* REAP_LABEL; reaper age 3600 s */
  /* retention: the image's digests, facts the run fills in, and the settings */
  const char *digests;
  bool refs_truncated, newest;
  int64_t last_use_age_s;   /* last used this long before NOW_S; 0: not set (unknown) */
  const char *keep[2];      /* KEEP_IMAGES patterns */
  int keep_latest;
  int64_t used_within_s;    /* KEEP_USED_WITHIN: this long before NOW_S; 0: none */
  /* the engine */
  bool podman, dry;
  /* the answer */
  dc_decision_t want;
  dc_why_t why;
} row_t;

#define R DC_REMOVE
#define K DC_KEEP

static const row_t rows[] = {
    /* --- every kind but the build cache: protection, labels, until --- */
    {"protected container", DC_CONTAINERS, "c1", "c1", "exited", "{\"docker-cleaner.protect\":\"\"}", .want = K, .why = DC_WHY_PROTECTED},
    {"protection wins over a matching filter", DC_IMAGES, "sha256:i1", .labels = "{\"docker-cleaner.protect\":\"1\",\"team\":\"a\"}", .filter = {"team=a"}, .prune_all = true, .want = K, .why = DC_WHY_PROTECTED},
    {"protected volume, PRUNE_VOLUMES_ALL", DC_VOLUMES, "v1", .labels = "{\"docker-cleaner.protect\":\"\"}", .volumes_all = true, .want = K, .why = DC_WHY_PROTECTED},
    {"protected network", DC_NETWORKS, "n1", "n1", .labels = "{\"docker-cleaner.protect\":\"\"}", .want = K, .why = DC_WHY_PROTECTED},
    {"label filter matches", DC_CONTAINERS, "c1", "c1", "exited", "{\"team\":\"a\"}", .filter = {"team=a"}, .want = R},
    {"label filter: other value", DC_CONTAINERS, "c1", "c1", "exited", "{\"team\":\"b\"}", .filter = {"team=a"}, .want = K, .why = DC_WHY_LABELS},
    {"label filter: no labels", DC_CONTAINERS, "c1", "c1", "exited", .filter = {"team"}, .want = K, .why = DC_WHY_LABELS},
    {"negative filter excludes", DC_CONTAINERS, "c1", "c1", "exited", "{\"keep\":\"yes\"}", .filter = {"!keep=yes"}, .want = K, .why = DC_WHY_LABELS},
    {"negative filter, other value", DC_CONTAINERS, "c1", "c1", "exited", "{\"keep\":\"no\"}", .filter = {"!keep=yes"}, .want = R},
    {"negative key filter", DC_NETWORKS, "n1", "n1", .labels = "{\"keep\":\"\"}", .filter = {"!keep"}, .want = K, .why = DC_WHY_LABELS},
    {"two terms: both must hold", DC_IMAGES, "sha256:i1", .labels = "{\"a\":\"1\"}", .filter = {"a=1", "b"}, .prune_all = true, .want = K, .why = DC_WHY_LABELS},
    {"older than until", DC_CONTAINERS, "c1", "c1", "exited", .age_s = 7200, .until_age_s = 3600, .want = R},
    {"newer than until", DC_CONTAINERS, "c1", "c1", "exited", .age_s = 60, .until_age_s = 3600, .want = K, .why = DC_WHY_TOO_NEW},
    {"until: created unknown", DC_IMAGES, "sha256:i1", .age_s = NO_AGE, .until_age_s = 3600, .prune_all = true, .want = K, .why = DC_WHY_CREATED_UNKNOWN},
    {"no until: created unknown goes", DC_CONTAINERS, "c1", "c1", "exited", .age_s = NO_AGE, .want = R},
    /* --- containers: stopped states (Docker's and Podman's), running ones --- */
    {"created", DC_CONTAINERS, "c1", "c1", "created", .want = R},
    {"exited", DC_CONTAINERS, "c1", "c1", "exited", .want = R},
    {"dead", DC_CONTAINERS, "c1", "c1", "dead", .want = R},
    {"Podman configured", DC_CONTAINERS, "c1", "c1", "configured", .podman = true, .want = R},
    {"Podman stopped", DC_CONTAINERS, "c1", "c1", "stopped", .podman = true, .want = R},
    {"running", DC_CONTAINERS, "c1", "c1", "running", .want = K, .why = DC_WHY_RUNNING},
    {"paused", DC_CONTAINERS, "c1", "c1", "paused", .want = K, .why = DC_WHY_RUNNING},
    {"restarting", DC_CONTAINERS, "c1", "c1", "restarting", .want = K, .why = DC_WHY_RUNNING},
    {"unknown state", DC_CONTAINERS, "c1", "c1", "removing", .want = K, .why = DC_WHY_RUNNING},
    {"reaped already", DC_CONTAINERS, "c1", "c1", "exited", .doomed = true, .want = K, .why = DC_WHY_GOING},
    /* --- images: dangling, tagged, used, PRUNE_ALL --- */
    {"dangling image", DC_IMAGES, "sha256:i1", .tags = "[]", .want = R},
    {"<none>:<none> only is dangling", DC_IMAGES, "sha256:i1", .tags = "[\"<none>:<none>\"]", .want = R},
    {"tagged image", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\"]", .want = K, .why = DC_WHY_TAGGED},
    {"tagged image, PRUNE_ALL", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\"]", .prune_all = true, .want = R},
    {"image used by a running container", DC_IMAGES, "sha256:used-run", .prune_all = true, .want = K, .why = DC_WHY_IN_USE},
    {"image used by a stopped container (bare ID)", DC_IMAGES, "used-exited", .prune_all = true, .want = K, .why = DC_WHY_IN_USE},
    {"image used only by a doomed container", DC_IMAGES, "sha256:used-doomed", .prune_all = true, .want = R},
    /* --- networks: defaults, use by running (Docker) or any (Podman) container --- */
    {"bridge", DC_NETWORKS, "0123abcd", "bridge", .want = K, .why = DC_WHY_DEFAULT_NETWORK},
    {"bridge by ID", DC_NETWORKS, "bridge", NULL, .want = K, .why = DC_WHY_DEFAULT_NETWORK},
    {"host", DC_NETWORKS, "n-host", "host", .want = K, .why = DC_WHY_DEFAULT_NETWORK},
    {"none", DC_NETWORKS, "n-none", "none", .want = K, .why = DC_WHY_DEFAULT_NETWORK},
    {"unused network", DC_NETWORKS, "n1", "spare", .want = R},
    {"network of a running container", DC_NETWORKS, "n-front", "front", .want = K, .why = DC_WHY_IN_USE},
    {"network of a running container, by ID", DC_NETWORKS, "n-front-id", "renamed", .want = K, .why = DC_WHY_IN_USE},
    {"Docker: network of a stopped container", DC_NETWORKS, "n-back", "back", .want = R},
    {"Podman: network of a stopped container", DC_NETWORKS, "n-back", "back", .podman = true, .want = K, .why = DC_WHY_IN_USE},
    {"Podman: network of a doomed container", DC_NETWORKS, "n-doomed", "doomednet", .podman = true, .want = R},
    /* --- volumes: anonymous by label or 64-hex name, local driver only, named --- */
    {"anonymous by label", DC_VOLUMES, "data", .labels = "{\"com.docker.volume.anonymous\":\"\"}", .want = R},
    {"anonymous by 64-hex name", DC_VOLUMES, HEX64, .want = R},
    {"63 hex digits: named", DC_VOLUMES, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", .want = K, .why = DC_WHY_NAMED_VOLUME},
    {"upper-case hex: named", DC_VOLUMES, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", .want = K, .why = DC_WHY_NAMED_VOLUME},
    {"named volume", DC_VOLUMES, "data", .want = K, .why = DC_WHY_NAMED_VOLUME},
    {"named volume, PRUNE_VOLUMES_ALL", DC_VOLUMES, "data", .volumes_all = true, .want = R},
    {"other driver", DC_VOLUMES, HEX64, .driver = "nfs", .volumes_all = true, .want = K, .why = DC_WHY_DRIVER},
    {"driver options (bind)", DC_VOLUMES, HEX64, .options = true, .volumes_all = true, .want = K, .why = DC_WHY_DRIVER},
    {"dry: mounted by a container that stays", DC_VOLUMES, "mounted", .volumes_all = true, .dry = true, .want = K, .why = DC_WHY_IN_USE},
    {"real run: the listing is of dangling volumes", DC_VOLUMES, "mounted", .volumes_all = true, .want = R},
    {"dry: anonymous, of a reaped container", DC_VOLUMES, HEX64_REAPED, .dry = true, .want = K, .why = DC_WHY_REAPED_ALONG},
    {"dry: mounted by a doomed container", DC_VOLUMES, "doomed-vol", .volumes_all = true, .dry = true, .want = R},
    /* --- build cache: BuildKit's rules, no labels --- */
    {"cache record", DC_BUILD_CACHE, "b1", .state = "regular", .want = R},
    {"cache in use", DC_BUILD_CACHE, "b1", .state = "regular", .in_use = true, .prune_all = true, .want = K, .why = DC_WHY_CACHE_IN_USE},
    {"shared cache", DC_BUILD_CACHE, "b1", .state = "regular", .shared = true, .want = K, .why = DC_WHY_CACHE_SHARED},
    {"shared cache, PRUNE_ALL", DC_BUILD_CACHE, "b1", .state = "regular", .shared = true, .prune_all = true, .want = R},
    {"internal cache", DC_BUILD_CACHE, "b1", .state = "internal", .want = K, .why = DC_WHY_CACHE_INTERNAL},
    {"frontend cache", DC_BUILD_CACHE, "b1", .state = "frontend", .want = K, .why = DC_WHY_CACHE_INTERNAL},
    {"frontend cache, PRUNE_ALL", DC_BUILD_CACHE, "b1", .state = "frontend", .prune_all = true, .want = R},
    {"cache used before until", DC_BUILD_CACHE, "b1", .state = "regular", .age_s = 7200, .until_age_s = 3600, .want = R},
    {"cache used after until", DC_BUILD_CACHE, "b1", .state = "regular", .age_s = 60, .until_age_s = 3600, .want = K, .why = DC_WHY_TOO_NEW},
    {"cache never used goes whatever until", DC_BUILD_CACHE, "b1", .state = "regular", .age_s = NO_AGE, .until_age_s = 3600, .want = R},
    {"cache: labels are not read", DC_BUILD_CACHE, "b1", .state = "regular", .labels = "{\"docker-cleaner.protect\":\"\"}", .want = R},
    /* --- retention: KEEP_IMAGES, KEEP_LATEST, KEEP_USED_WITHIN (images), and the build cache --- */
    {"keep pattern wins over PRUNE_ALL", DC_IMAGES, "sha256:i1", .tags = "[\"postgres:16\"]", .keep = {"postgres:*"}, .prune_all = true, .want = K, .why = DC_WHY_KEEP_PATTERN},
    {"keep pattern: any tag of several", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\", \"docker.io/library/redis:7\"]", .keep = {"redis:7"}, .prune_all = true, .want = K, .why = DC_WHY_KEEP_PATTERN},
    {"keep pattern by digest", DC_IMAGES, "sha256:i1", .tags = "[]", .digests = "[\"node@sha256:" HEX64 "\"]", .keep = {"node@sha256:" HEX64}, .want = K, .why = DC_WHY_KEEP_PATTERN},
    {"keep pattern: no match", DC_IMAGES, "sha256:i1", .tags = "[\"postgres-exporter:1\"]", .keep = {"postgres:*"}, .prune_all = true, .want = R},
    {"keep pattern: default tag only", DC_IMAGES, "sha256:i1", .tags = "[\"postgres:16\"]", .keep = {"postgres"}, .prune_all = true, .want = R},
    {"keep pattern: protection still first", DC_IMAGES, "sha256:i1", .labels = "{\"docker-cleaner.protect\":\"\"}", .tags = "[\"postgres:16\"]", .keep = {"postgres:*"}, .want = K, .why = DC_WHY_PROTECTED},
    {"in use wins over every retention rule", DC_IMAGES, "sha256:used-run", .tags = "[\"postgres:16\"]", .keep = {"postgres:*"}, .prune_all = true, .want = K, .why = DC_WHY_IN_USE},
    {"too many references: kept", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\"]", .refs_truncated = true, .keep = {"other"}, .prune_all = true, .want = K, .why = DC_WHY_REFS_UNKNOWN},
    {"too many references, no retention: the old rules", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\"]", .refs_truncated = true, .prune_all = true, .want = R},
    {"newest of its repository", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\"]", .newest = true, .keep_latest = 2, .last_use_age_s = 10, .prune_all = true, .want = K, .why = DC_WHY_KEEP_LATEST},
    {"not among the newest", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\"]", .keep_latest = 2, .last_use_age_s = 10, .prune_all = true, .want = R},
    {"KEEP_LATEST without PRUNE_ALL: tagged stays", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\"]", .keep_latest = 2, .last_use_age_s = 10, .want = K, .why = DC_WHY_TAGGED},
    {"KEEP_LATEST: last use unknown", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\"]", .keep_latest = 2, .prune_all = true, .want = K, .why = DC_WHY_LAST_USE_UNKNOWN},
    {"used within: recently", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\"]", .last_use_age_s = 600, .used_within_s = 3600, .prune_all = true, .want = K, .why = DC_WHY_USED_RECENTLY},
    {"used within: cold", DC_IMAGES, "sha256:i1", .tags = "[\"app:1\"]", .last_use_age_s = 7200, .used_within_s = 3600, .prune_all = true, .want = R},
    {"used within: a dangling image recently used", DC_IMAGES, "sha256:i1", .tags = "[]", .last_use_age_s = 600, .used_within_s = 3600, .want = K, .why = DC_WHY_USED_RECENTLY},
    {"used within: at the cut-off exactly stays", DC_IMAGES, "sha256:i1", .tags = "[]", .last_use_age_s = 3600, .used_within_s = 3600, .want = K, .why = DC_WHY_USED_RECENTLY},
    {"used within: last use unknown", DC_IMAGES, "sha256:i1", .tags = "[]", .used_within_s = 3600, .want = K, .why = DC_WHY_LAST_USE_UNKNOWN},
    {"cache used within", DC_BUILD_CACHE, "b1", .state = "regular", .age_s = 600, .used_within_s = 3600, .want = K, .why = DC_WHY_USED_RECENTLY},
    {"cache used before the cut-off", DC_BUILD_CACHE, "b1", .state = "regular", .age_s = 7200, .used_within_s = 3600, .want = R},
    {"cache never used goes (BuildKit's rule)", DC_BUILD_CACHE, "b1", .state = "regular", .age_s = NO_AGE, .used_within_s = 3600, .want = R},
    /* --- the reaper: labelled, older than REAP_AFTER (1 h), running or not --- */
    {"reap: labelled and old", DC_REAP, "c1", "c1", "running", "{\"ci\":\"\"}", .age_s = 7200, .reap = "ci", .want = R},
    {"reap: labelled, stopped", DC_REAP, "c1", "c1", "exited", "{\"ci\":\"x\"}", .age_s = 7200, .reap = "ci", .want = R},
    {"reap: too young", DC_REAP, "c1", "c1", "running", "{\"ci\":\"\"}", .age_s = 60, .reap = "ci", .want = K, .why = DC_WHY_TOO_NEW},
    {"reap: exactly REAP_AFTER", DC_REAP, "c1", "c1", "running", "{\"ci\":\"\"}", .age_s = 3600, .reap = "ci", .want = K, .why = DC_WHY_TOO_NEW},
    {"reap: no label", DC_REAP, "c1", "c1", "running", "{\"other\":\"\"}", .age_s = 7200, .reap = "ci", .want = K, .why = DC_WHY_LABELS},
    {"reap: other value", DC_REAP, "c1", "c1", "running", "{\"ci\":\"b\"}", .age_s = 7200, .reap = "ci=a", .want = K, .why = DC_WHY_LABELS},
    {"reap: protected", DC_REAP, "c1", "c1", "running", "{\"ci\":\"\",\"docker-cleaner.protect\":\"\"}", .age_s = 7200, .reap = "ci", .want = K, .why = DC_WHY_PROTECTED},
    {"reap: created unknown", DC_REAP, "c1", "c1", "running", "{\"ci\":\"\"}", .age_s = NO_AGE, .reap = "ci", .want = K, .why = DC_WHY_CREATED_UNKNOWN},
};

/* The engine's containers: a running one (image used-run, network front, volume mounted), a
 * stopped one (image used-exited, network back), one the run removes (doomed: image
 * used-doomed, network doomednet, volume doomed-vol) and one the reaper took (its anonymous
 * volume HEX64_REAPED). */
static char *ss(const char *s) { return s ? strdup(s) : NULL; }

static void container(dc_resource_t *c, const char *id, const char *state, const char *image, const char *net,
                      const char *netid, const char *vol, bool doomed, bool reaped) {
  memset(c, 0, sizeof(*c));
  c->id = ss(id);
  c->name = ss(id);
  c->created_ns = UNKNOWN;
  c->size = -1;
  snprintf(c->state, sizeof(c->state), "%s", state);
  c->image_id = ss(image);
  if (net) {
    c->nets = calloc(1, sizeof(*c->nets));
    c->nets[0] = (dc_net_ref_t){ss(net), ss(netid)};
    c->nnets = 1;
  }
  if (vol) {
    c->mount_volumes = calloc(1, sizeof(char *));
    c->mount_volumes[0] = ss(vol);
    c->nmount_volumes = 1;
  }
  c->doomed = doomed;
  c->reaped = reaped;
}

static dc_label_term_t term(const char *s) {
  dc_label_term_t t;
  char err[256];
  if (dc_label_term_parse(&t, s, err, sizeof(err)) < 0) {
    print_error("dc_label_term_parse(\"%s\"): %s\n", s, err);
    fail();
  }
  return t;
}

static json_t *json(const char *s) {
  if (!s)
    return NULL;
  json_t *v = json_loads(s, 0, NULL);
  assert_non_null(v);
  return v;
}

static void test_rules_table(void **state) {
  (void)state;
  dc_resource_list_t cs = {calloc(4, sizeof(dc_resource_t)), 4};
  container(&cs.items[0], "c-run", "running", "sha256:used-run", "front", "n-front-id", "mounted", false, false);
  container(&cs.items[1], "c-exited", "exited", "used-exited", "back", NULL, NULL, false, false);
  container(&cs.items[2], "c-doomed", "exited", "sha256:used-doomed", "doomednet", NULL, "doomed-vol", true, false);
  container(&cs.items[3], "c-reaped", "running", NULL, NULL, NULL, HEX64_REAPED, true, true);
  int failures = 0;
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    const row_t *w = &rows[i];
    dc_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.protect = term("docker-cleaner.protect");
    for (size_t k = 0; k < 2 && w->filter[k]; k++)
      cfg.labels[cfg.nlabels++] = term(w->filter[k]);
    cfg.prune_all = w->prune_all;
    cfg.volumes_all = w->volumes_all;
    cfg.dry_run = w->dry;
    cfg.has_until = w->until_age_s != 0;
    cfg.until_ns = S(NOW_S - w->until_age_s);
    if (w->reap) {
      cfg.reap[cfg.nreap++] = term(w->reap);
      cfg.reap_after_ns = S(3600);
    }
    for (size_t k = 0; k < 2 && w->keep[k]; k++) {
      char err[200];
      assert_rc(dc_ref_pattern_compile(w->keep[k], &cfg.keep_images[cfg.nkeep_images++], err, sizeof(err)), 0);
    }
    cfg.keep_latest = w->keep_latest;
    cfg.has_used_within = w->used_within_s != 0;
    cfg.used_cutoff_ns = S(NOW_S - w->used_within_s);
    dc_resource_t r;
    memset(&r, 0, sizeof(r));
    r.id = (char *)w->id;
    r.name = (char *)w->name;
    snprintf(r.state, sizeof(r.state), "%s", w->state ? w->state : "");
    snprintf(r.driver, sizeof(r.driver), "%s", w->driver ? w->driver : "local");
    r.labels = json(w->labels);
    r.tags = json(w->tags);
    r.digests = json(w->digests);
    r.refs_truncated = w->refs_truncated;
    r.newest_kept = w->newest;
    r.last_use_ns = w->last_use_age_s ? S(NOW_S - w->last_use_age_s) : UNKNOWN;
    r.has_options = w->options;
    r.in_use = w->in_use;
    r.shared = w->shared;
    r.doomed = w->doomed;
    r.created_ns = w->age_s == NO_AGE ? UNKNOWN : S(NOW_S - w->age_s);
    r.size = -1;
    dc_strset_t used = {0}, reaped = {0};
    assert_rc(dc_select_use_sets(w->kind, w->dry, &cs, &used, &reaped), 0);
    dc_facts_t facts = {.podman = w->podman, .containers = &cs, .used = &used, .reaped_mounts = &reaped,
                        .now_ns = S(NOW_S)};
    dc_verdict_t v = dc_select(w->kind, &r, &cfg, &facts);
    dc_why_t why = w->want == DC_REMOVE ? DC_WHY_SELECTED : w->why;
    if (v.decision != w->want || v.why != why) {
      print_error("%s (%s): %s (%s), expected %s (%s)\n", w->what, dc_kind_plural(w->kind),
                  v.decision == DC_REMOVE ? "remove" : "keep", dc_why_name(v.why),
                  w->want == DC_REMOVE ? "remove" : "keep", dc_why_name(why));
      failures++;
    }
    assert_true(dc_selects(w->kind, &r, &cfg, &facts) == (w->want == DC_REMOVE));
    json_decref(r.labels);
    json_decref(r.tags);
    json_decref(r.digests);
    dc_strset_free(&used);
    dc_strset_free(&reaped);
  }
  dc_resource_list_free(&cs);
  assert_int_equal(failures, 0);
}

/* Every reason has a name, and every reason but "selected" is a row's answer. */
static void test_every_reason_covered(void **state) {
  (void)state;
  bool seen[DC_WHY__COUNT] = {false};
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
    seen[rows[i].want == DC_REMOVE ? DC_WHY_SELECTED : rows[i].why] = true;
  for (int w = 0; w < DC_WHY__COUNT; w++) {
    assert_non_null(dc_why_name((dc_why_t)w));
    if (!seen[w]) {
      print_error("no row answers %s\n", dc_why_name((dc_why_t)w));
      fail();
    }
  }
}

/* The use sets: images by bare ID of the containers that stay; volumes only in a dry run. */
static void test_use_sets(void **state) {
  (void)state;
  dc_resource_list_t cs = {calloc(2, sizeof(dc_resource_t)), 2};
  container(&cs.items[0], "a", "running", "sha256:img", NULL, NULL, "v", false, false);
  container(&cs.items[1], "b", "exited", "gone", NULL, NULL, "w", true, false);
  dc_strset_t used = {0}, reaped = {0};
  assert_rc(dc_select_use_sets(DC_IMAGES, false, &cs, &used, &reaped), 0);
  assert_true(dc_strset_has(&used, "img"));
  assert_false(dc_strset_has(&used, "gone"));
  dc_strset_free(&used);
  assert_rc(dc_select_use_sets(DC_VOLUMES, false, &cs, &used, &reaped), 0);
  assert_int_equal(used.n, 0);
  assert_rc(dc_select_use_sets(DC_VOLUMES, true, &cs, &used, &reaped), 0);
  assert_true(dc_strset_has(&used, "v"));
  assert_false(dc_strset_has(&used, "w"));
  assert_int_equal(reaped.n, 0);
  dc_strset_free(&used);
  dc_strset_free(&reaped);
  dc_resource_list_free(&cs);
}

/* KEEP_STORAGE evicts only what is kept for being tagged or used recently. */
static void test_budget_may_evict(void **state) {
  (void)state;
  for (int w = 0; w < DC_WHY__COUNT; w++) {
    dc_verdict_t v = {DC_KEEP, (dc_why_t)w};
    assert_int_equal(dc_budget_may_evict(v), w == DC_WHY_TAGGED || w == DC_WHY_USED_RECENTLY);
  }
  assert_false(dc_budget_may_evict((dc_verdict_t){DC_REMOVE, DC_WHY_SELECTED}));
}

static void image(dc_resource_t *r, const char *id, const char *tags, int64_t created_s) {
  memset(r, 0, sizeof(*r));
  r->id = strdup(id);
  r->tags = json(tags);
  r->created_ns = S(created_s);
  r->size = -1;
}

/* Last use: the newest of LastTagTime, the newest container made from the image (removed
 * ones too) and the state file; else the creation; unknown when the details were not read.
 * KEEP_LATEST ranks each repository by it, an image with two tags of one repository once. */
static void test_retain_annotate(void **state) {
  (void)state;
  dc_resource_list_t imgs = {calloc(6, sizeof(dc_resource_t)), 6};
  image(&imgs.items[0], "sha256:a1", "[\"app:1\"]", 1000);           /* tagged at 5000 */
  image(&imgs.items[1], "sha256:a2", "[\"app:2\", \"app:latest\"]", 2000); /* container at 4000 */
  image(&imgs.items[2], "sha256:a3", "[\"docker.io/library/app:3\"]", 3000); /* nothing: created */
  image(&imgs.items[3], "sha256:" HEX64, "[\"other/b:1\"]", 100);    /* state file: 6000 */
  image(&imgs.items[4], "sha256:b2", "[\"other/b:2\"]", 200);         /* not read */
  image(&imgs.items[5], "sha256:d", "[]", 50);                       /* dangling */
  int64_t last_tag[6] = {S(5000), UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN};
  bool read[6] = {true, true, true, true, false, true};
  dc_resource_list_t cs = {calloc(2, sizeof(dc_resource_t)), 2};
  container(&cs.items[0], "c1", "exited", "a2", NULL, NULL, NULL, true, false); /* removed by this run */
  cs.items[0].created_ns = S(4000);
  container(&cs.items[1], "c2", "exited", "sha256:a2", NULL, NULL, NULL, false, false);
  cs.items[1].created_ns = S(3500);
  dc_state_t st = {0};
  assert_rc(dc_state_note(&st, "sha256:" HEX64, S(1)), 0);
  assert_rc(dc_state_note(&st, HEX64, S(6000)), 0); /* the later sighting is kept */
  dc_config_t cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.keep_latest = 1;
  assert_rc(dc_retain_annotate(&imgs, last_tag, read, &cs, &st, &cfg), 0);
  assert_true(imgs.items[0].last_use_ns == S(5000));
  assert_true(imgs.items[1].last_use_ns == S(4000));
  assert_true(imgs.items[2].last_use_ns == S(3000));
  assert_true(imgs.items[3].last_use_ns == S(6000));
  assert_true(imgs.items[4].last_use_ns == UNKNOWN);
  assert_true(imgs.items[5].last_use_ns == S(50));
  /* docker.io/library/app: a1 (5000) first; other/b: b1 (6000), b2 unknown sorts last. */
  assert_true(imgs.items[0].newest_kept);
  assert_false(imgs.items[1].newest_kept);
  assert_false(imgs.items[2].newest_kept);
  assert_true(imgs.items[3].newest_kept);
  assert_false(imgs.items[4].newest_kept);
  assert_false(imgs.items[5].newest_kept);
  /* Two: a2 (two tags of app, counted once) joins a1; a3 stays out. */
  cfg.keep_latest = 2;
  assert_rc(dc_retain_annotate(&imgs, last_tag, read, &cs, &st, &cfg), 0);
  assert_true(imgs.items[0].newest_kept && imgs.items[1].newest_kept && !imgs.items[2].newest_kept);
  /* Ties on last use: created later first, then by ID. */
  cfg.keep_latest = 1;
  int64_t same[6] = {S(9000), S(9000), S(9000), UNKNOWN, UNKNOWN, UNKNOWN};
  assert_rc(dc_retain_annotate(&imgs, same, NULL, NULL, NULL, &cfg), 0);
  assert_true(imgs.items[2].newest_kept && !imgs.items[0].newest_kept && !imgs.items[1].newest_kept);
  dc_state_free(&st);
  dc_resource_list_free(&cs);
  dc_resource_list_free(&imgs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rules_table),
      cmocka_unit_test(test_every_reason_covered),
      cmocka_unit_test(test_use_sets),
      cmocka_unit_test(test_budget_may_evict),
      cmocka_unit_test(test_retain_annotate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
