/* test_budget.c: the storage budget as a table: (items, LayersSize, budget) -> (evictions in
 * order, what each frees, the totals); and a property test of the bytes model against random
 * forests of layer chains with Docker's Size and SharedSize. */
#include "dc_test.h"

#include <stdbool.h>
#include <stdlib.h>

#include "budget.h"

#define MAXI 8
#define BIG INT64_MAX

#define NL(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define LAY(...) .layers = (const char *const[]){__VA_ARGS__}, .nlayers = NL(__VA_ARGS__)
#define KEPT(id_, lu, sz, ss) .kind = DC_IMAGES, .id = id_, .last_use_ns = lu, .size = sz, .shared_size = ss
#define IMG(id_, lu, sz, ss) KEPT(id_, lu, sz, ss), .evictable = true
#define REC(id_, lu, sz) .kind = DC_BUILD_CACHE, .id = id_, .last_use_ns = lu, .size = sz, .shared_size = -1, .evictable = true

typedef struct row {
  const char *what;
  dc_budget_item_t items[MAXI]; /* up to the first without an id */
  int64_t layers_size, budget;
  size_t norder;
  size_t order[MAXI];
  int64_t freed[MAXI];
  int64_t before, after_normal, after, shortfall;
} row_t;

/* Layer sizes in the rows: b (the base) 100, a 10, c 20, d 30. */
static const row_t rows[] = {
    {"two images share a base: evicting one frees only its own top",
     {{IMG("A", 1, 110, 100), LAY("b", "a")}, {IMG("B", 2, 120, 100), LAY("b", "c")}},
     -1, 125, 1, {0}, {10}, 130, 130, 120, 0},
    {"two images share a base: evicting both frees the base too, counted once",
     {{IMG("A", 1, 110, 100), LAY("b", "a")}, {IMG("B", 2, 120, 100), LAY("b", "c")}},
     -1, 0, 2, {0, 1}, {10, 120}, 130, 130, 0, 0},
    {"three images on one base, SharedSize given",
     {{IMG("A", 2, 110, 100), LAY("b", "a")}, {IMG("B", 3, 120, 100), LAY("b", "c")}, {IMG("C", 1, 130, 100), LAY("b", "d")}},
     -1, 125, 2, {2, 0}, {30, 10}, 160, 160, 120, 0},
    /* Layers 1=100 2=10 3=1 4=2 5=20 6=3 7=4: 140 in all. [1] is nobody's shared point: the
     * model takes it at 110 (the smaller of [1,2] and [1,5]), so A and B going frees 3, not 13. */
    {"ambiguous branches: the unknown point is taken high, partial removals not over-credited",
     {{IMG("A", 1, 111, 110), LAY("1", "2", "3")},
      {IMG("B", 2, 112, 110), LAY("1", "2", "4")},
      {IMG("C", 3, 123, 120), LAY("1", "5", "6")},
      {IMG("D", 4, 124, 120), LAY("1", "5", "7")}},
     140, 130, 4, {0, 1, 2, 3}, {1, 2, 3, 124}, 140, 140, 10, 0},
    {"ambiguous branches, the model's own total",
     {{IMG("A", 1, 111, 110), LAY("1", "2", "3")},
      {IMG("B", 2, 112, 110), LAY("1", "2", "4")},
      {IMG("C", 3, 123, 120), LAY("1", "5", "6")},
      {IMG("D", 4, 124, 120), LAY("1", "5", "7")}},
     -1, 0, 4, {0, 1, 2, 3}, {1, 2, 3, 124}, 130, 130, 0, 0},
    {"identical chains (two tags of one content): freeing needs both",
     {{IMG("X", 1, 110, 110), LAY("b", "a")}, {IMG("Y", 2, 110, 110), LAY("b", "a")}},
     -1, 50, 2, {0, 1}, {0, 110}, 110, 110, 0, 0},
    {"layers unknown for an image that shares: nobody's shared part is credited",
     {{IMG("A", 2, 110, 100), LAY("b", "a")}, {IMG("B", 1, 120, 100)}},
     130, 100, 2, {1, 0}, {20, 10}, 130, 130, 100, 0},
    /* C holds the base too: B going last of the tree's images must not free it. */
    {"layers unknown for an image that shares with a consistent tree: shared parts not credited",
     {{IMG("A", 1, 110, 100), LAY("b", "a")}, {IMG("B", 2, 120, 100), LAY("b", "c")}, {IMG("C", 3, 150, 100)}},
     180, 0, 3, {0, 1, 2}, {10, 20, 50}, 180, 180, 100, 100},
    {"layers unknown for an image that shares nothing: the tree stands",
     {{IMG("A", 3, 110, 100), LAY("b", "a")}, {IMG("B", 2, 120, 100), LAY("b", "c")}, {IMG("C", 1, 50, 0)}},
     -1, 0, 3, {2, 1, 0}, {50, 20, 110}, 180, 180, 0, 0},
    {"a SharedSize no other image explains: shared parts not credited",
     {{IMG("A", 1, 110, 50), LAY("b", "a")}},
     -1, 0, 1, {0}, {60}, 60, 60, 0, 0},
    {"build cache records and images in one LRU order; shared records count nothing",
     {{IMG("A", 2, 110, 100), LAY("b", "a")},
      {IMG("B", 4, 120, 100), LAY("b", "c")},
      {REC("r1", 1, 40)},
      {REC("r2", 3, 500), .shared = true},
      {REC("r3", 5, -1)}},
     -1, 0, 4, {2, 0, 3, 1}, {40, 10, 0, 120}, 170, 170, 0, 0},
    {"ties on last use: older first, then by id",
     {{REC("c", 5, 10), .created_ns = 2},
      {REC("b", 5, 10), .created_ns = 1},
      {REC("z", 5, 10), .created_ns = 3},
      {REC("a", 5, 10), .created_ns = 3},
      {REC("y", 4, 10), .created_ns = 9}},
     -1, 0, 5, {4, 1, 0, 3, 2}, {10, 10, 10, 10, 10}, 50, 50, 0, 0},
    {"already within budget: no evictions",
     {{IMG("A", 1, 110, 100), LAY("b", "a")}, {IMG("B", 2, 120, 100), LAY("b", "c")}},
     -1, 130, 0, {0}, {0}, 130, 130, 130, 0},
    {"budget unreachable: every evictable item goes, the rest is the shortfall",
     {{IMG("A", 1, 110, 100), LAY("b", "a")},
      {KEPT("B", 0, 120, 100), LAY("b", "c")},
      {REC("r", 2, 40)}},
     -1, 50, 2, {0, 2}, {10, 40}, 170, 170, 120, 70},
    {"going items free their bytes before the evictions start, and are never evicted",
     {{IMG("A", 5, 110, 100), LAY("b", "a"), .going = true},
      {IMG("B", 3, 120, 100), LAY("b", "c")},
      {REC("r1", 1, 40), .going = true},
      {REC("r2", 2, 30)}},
     130, 100, 2, {3, 1}, {30, 120}, 200, 150, 0, 0},
    {"not evictable items are never in the order",
     {{IMG("A", 2, 110, 100), LAY("b", "a")}, {KEPT("B", 1, 120, 100), LAY("b", "c")}},
     -1, 0, 1, {0}, {10}, 130, 130, 120, 120},
    {"the engine's figure: the model's credit, capped by what is left",
     {{IMG("A", 1, 110, 100), LAY("b", "a")}, {IMG("B", 2, 120, 100), LAY("b", "c")}},
     5, 0, 1, {0}, {5}, 5, 5, 0, 0},
    {"INT64_MAX sizes saturate",
     {{IMG("A", 1, BIG, 0), LAY("x")}, {IMG("B", 2, BIG, 0), LAY("y")}, {REC("r", 3, BIG)}},
     -1, BIG - 1, 3, {0, 1, 2}, {BIG, 0, BIG}, BIG, BIG, 0, 0},
    {"INT64_MAX LayersSize and an INT64_MAX shared point",
     {{IMG("A", 1, BIG, BIG), LAY("x")}, {IMG("B", 2, BIG, BIG), LAY("x")}},
     BIG, 0, 2, {0, 1}, {0, BIG}, BIG, BIG, 0, 0},
    {"negative sizes count nothing",
     {{IMG("A", 1, -5, -7), LAY("x")}, {REC("r", 2, -3)}, {IMG("B", 3, -2, -1)}},
     -1, 0, 0, {0}, {0}, 0, 0, 0, 0},
    {"the lowest budget: the shortfall saturates",
     {{REC("r", 1, 10)}},
     -1, INT64_MIN, 1, {0}, {10}, 10, 10, 0, BIG},
    {"items of other kinds count nothing and are never evicted",
     {{.kind = DC_VOLUMES, .id = "v", .size = 99, .evictable = true}, {REC("r", 2, 10)}},
     -1, 0, 1, {1}, {10}, 10, 10, 0, 0},
    {"n = 0", {{0}}, -1, 0, 0, {0}, {0}, 0, 0, 0, 0},
    {"n = 0 with LayersSize", {{0}}, 70, 0, 0, {0}, {0}, 70, 70, 70, 70},
};

static size_t nitems(const row_t *r) {
  size_t n = 0;
  while (n < MAXI && r->items[n].id)
    n++;
  return n;
}

static void test_table(void **state) {
  (void)state;
  for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
    const row_t *r = &rows[k];
    print_message("row: %s\n", r->what);
    dc_budget_plan_t p;
    assert_rc(dc_budget_plan(r->items, nitems(r), r->layers_size, r->budget, &p), 0);
    assert_i64(p.before, r->before);
    assert_i64(p.after_normal, r->after_normal);
    assert_i64(p.after, r->after);
    assert_i64(p.shortfall, r->shortfall);
    assert_i64(p.n, r->norder);
    for (size_t i = 0; i < p.n; i++) {
      assert_i64(p.order[i], r->order[i]);
      assert_i64(p.freed[i], r->freed[i]);
    }
    dc_budget_plan_free(&p);
    assert_null(p.order);
  }
}

/* More layers than the model takes: every image counts only its own part. */
static void test_too_many_layers(void **state) {
  (void)state;
  size_t half = DC_BUDGET_MAX_LAYERS / 2 + 1;
  const char **a = calloc(half, sizeof *a), **b = calloc(half, sizeof *b);
  assert_non_null(a);
  assert_non_null(b);
  for (size_t i = 0; i < half; i++)
    a[i] = b[i] = "x";
  a[half - 1] = "a";
  b[half - 1] = "c";
  dc_budget_item_t items[2] = {
      {IMG("A", 1, 110, 100), .layers = a, .nlayers = half},
      {IMG("B", 2, 120, 100), .layers = b, .nlayers = half},
  };
  dc_budget_plan_t p;
  assert_rc(dc_budget_plan(items, 2, -1, 0, &p), 0);
  assert_i64(p.before, 30);
  assert_i64(p.n, 2);
  assert_i64(p.freed[0], 10);
  assert_i64(p.freed[1], 20);
  dc_budget_plan_free(&p);
  /* Within the bound the same chains share their base. */
  items[0].nlayers = items[1].nlayers = 3;
  a[2] = "a";
  b[2] = "c";
  assert_rc(dc_budget_plan(items, 2, -1, 0, &p), 0);
  assert_i64(p.before, 130);
  dc_budget_plan_free(&p);
  free(a);
  free(b);
}

/* --- the property: random forests of chains with Docker's figures --- */

#define PN 12 /* layers (nodes) per forest */
#define PI 8  /* images per forest */

static uint64_t rng = 0x9e3779b97f4a7c15u;
static unsigned rnd(unsigned n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng % n);
}

typedef struct forest {
  int nn, ni;
  int parent[PN + 1]; /* 0: the empty chain; node k's parent < k */
  int64_t size[PN + 1];
  char id[PN + 1][8];
  int end[PI];        /* 0: an image whose layers are not known, sharing nothing */
  int64_t lone[PI];    /* its size */
  const char *chain[PI][PN];
  int depth[PI];
  dc_budget_item_t items[PI];
  int64_t union_size;
  bool determined;
} forest_t;

static bool on_path(const forest_t *f, int img, int node) {
  for (int k = f->end[img]; k; k = f->parent[k])
    if (k == node)
      return true;
  return false;
}

static int64_t true_left(const forest_t *f, unsigned gone) {
  int64_t left = 0;
  for (int i = 0; i < f->ni; i++)
    if (!(gone >> i & 1))
      left += f->lone[i];
  for (int k = 1; k <= f->nn; k++)
    for (int i = 0; i < f->ni; i++)
      if (!(gone >> i & 1) && on_path(f, i, k)) {
        left += f->size[k];
        break;
      }
  return left;
}

static void make_forest(forest_t *f) {
  memset(f, 0, sizeof *f);
  f->nn = 1 + (int)rnd(PN);
  int nchildren[PN + 1] = {0};
  for (int k = 1; k <= f->nn; k++) {
    f->parent[k] = (int)rnd((unsigned)k);
    f->size[k] = 1 + rnd(100);
    /* Siblings differ; the same ID recurs under other parents (another chain, another node). */
    snprintf(f->id[k], sizeof f->id[k], "L%d", nchildren[f->parent[k]]++);
  }
  /* Every leaf ends an image; some inner nodes too; some chains twice. */
  for (int k = 1; k <= f->nn && f->ni < PI; k++)
    if (nchildren[k] == 0 || rnd(3) == 0) {
      f->end[f->ni++] = k;
      if (f->ni < PI && rnd(5) == 0)
        f->end[f->ni++] = k;
    }
  if (f->ni < PI && rnd(3) == 0)
    f->lone[f->ni++] = 1 + rnd(100);
  int count[PN + 1] = {0}, ends[PN + 1] = {0};
  for (int i = 0; i < f->ni; i++) {
    ends[f->end[i]]++;
    for (int k = f->end[i]; k; k = f->parent[k])
      count[k]++;
  }
  bool known[PN + 1] = {false};
  for (int i = 0; i < f->ni; i++) {
    if (!f->end[i]) {
      f->items[i] = (dc_budget_item_t){IMG("lone", (int64_t)rnd(4), f->lone[i], 0), .created_ns = i};
      continue;
    }
    int path[PN], d = 0;
    for (int k = f->end[i]; k; k = f->parent[k])
      path[d++] = k;
    int64_t size = 0, shared = 0;
    int deepest_shared = 0;
    for (int j = 0; j < d; j++) {
      int k = path[d - 1 - j];
      f->chain[i][j] = f->id[k];
      size += f->size[k];
      if (count[k] >= 2) {
        shared += f->size[k];
        deepest_shared = k;
      }
    }
    f->depth[i] = d;
    known[f->end[i]] = true;
    known[deepest_shared] = true;
    f->items[i] = (dc_budget_item_t){IMG(f->id[f->end[i]], (int64_t)rnd(4), size, shared), .created_ns = i,
                                     .layers = f->chain[i], .nlayers = (size_t)d};
  }
  /* A point is where the images through a node change: an end, or a branch of used nodes. */
  int used_children[PN + 1] = {0};
  for (int k = 1; k <= f->nn; k++)
    if (count[k])
      used_children[f->parent[k]]++;
  f->union_size = 0;
  for (int i = 0; i < f->ni; i++)
    f->union_size += f->lone[i];
  f->determined = true;
  for (int k = 1; k <= f->nn; k++) {
    f->union_size += count[k] ? f->size[k] : 0;
    bool point = count[k] && (ends[k] > 0 || used_children[k] >= 2);
    if (point && !known[k])
      f->determined = false;
  }
}

static void test_property(void **state) {
  (void)state;
  int determined = 0, undetermined = 0;
  for (int round = 0; round < 1000; round++) {
    forest_t f;
    make_forest(&f);
    (f.determined ? &determined : &undetermined)[0]++;
    dc_budget_plan_t p;
    /* The model's own total is exact when every point is known. */
    assert_rc(dc_budget_plan(f.items, (size_t)f.ni, -1, BIG, &p), 0);
    if (f.determined)
      assert_i64(p.before, f.union_size);
    dc_budget_plan_free(&p);
    for (unsigned gone = 0; gone < 1u << f.ni; gone++) {
      for (int i = 0; i < f.ni; i++)
        f.items[i].going = gone >> i & 1;
      assert_rc(dc_budget_plan(f.items, (size_t)f.ni, f.union_size, BIG, &p), 0);
      assert_i64(p.before, f.union_size);
      int64_t truth = true_left(&f, gone);
      if (p.after_normal < truth) {
        print_error("round %d, removal set %#x: over-credited\n", round, gone);
        assert_i64(p.after_normal, truth);
      }
      if (f.determined)
        assert_i64(p.after_normal, truth);
      assert_i64(p.n, 0);
      dc_budget_plan_free(&p);
    }
    /* Evictions one by one: every prefix of the order is credited no more than it frees. */
    for (int i = 0; i < f.ni; i++)
      f.items[i].going = false;
    assert_rc(dc_budget_plan(f.items, (size_t)f.ni, f.union_size, 0, &p), 0);
    assert_i64(p.n, f.ni);
    unsigned gone = 0;
    int64_t left = f.union_size;
    for (size_t j = 0; j < p.n; j++) {
      gone |= 1u << p.order[j];
      left -= p.freed[j];
      assert_true(left >= true_left(&f, gone));
      if (f.determined)
        assert_i64(left, true_left(&f, gone));
    }
    assert_i64(p.after, left);
    dc_budget_plan_free(&p);
  }
  print_message("%d forests determined, %d not\n", determined, undetermined);
  assert_true(determined > 0);
  assert_true(undetermined > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_too_many_layers),
      cmocka_unit_test(test_property),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
