/* fuzz_json.c: libFuzzer target for the plain-value fast path of the reply walker
 * (jw_fast_value in src/jsonwalk.c), against jansson as the reference.
 *
 * Input: JSON text (or anything). Whenever the fast path builds a value, jansson must read the
 * same input (JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, as the walker calls it) into the same
 * tree, members in the same order (compared as compact dumps, which keep jansson's insertion
 * order), having consumed the same bytes. So the fast path never accepts what jansson refuses,
 * never reads a value differently, and never stops at another byte. When it declines, jansson
 * decides, as before it existed. Its seeds (corpus/json) are written by hand: a volume and a
 * container entry as Docker sends them, and one input for each way the fast path declines or
 * jansson refuses. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonwalk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data;
  size_t used = 0;
  json_t *fast = jw_fast_value(p, p + size, &used);
  if (!fast)
    return 0;
  json_error_t je;
  json_t *ref = json_loadb(p, size, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &je);
  if (!ref)
    abort(); /* the fast path accepted what jansson refuses */
  if (je.position < 0 || (size_t)je.position != used)
    abort(); /* it stopped at another byte */
  char *a = json_dumps(fast, JSON_COMPACT | JSON_ENCODE_ANY);
  char *b = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!a || !b || strcmp(a, b) != 0 || !json_equal(fast, ref))
    abort(); /* it read the value differently */
  free(a);
  free(b);
  json_decref(fast);
  json_decref(ref);
  return 0;
}
