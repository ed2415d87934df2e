/* apiversion.c: parsing and comparing API versions ("1.41"). */
#include "apiversion.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool parse_version(const char *v, long *major, long *minor) {
  char *end;
  if (!isdigit((unsigned char)v[0]))
    return false;
  *major = strtol(v, &end, 10);
  if (*end != '.' || !isdigit((unsigned char)end[1]))
    return false;
  *minor = strtol(end + 1, &end, 10);
  return *end == '\0' && *major >= 0 && *major < 100 && *minor >= 0 && *minor < 1000;
}

bool dc_api_version_valid(const char *v) {
  long a, b;
  return strlen(v) < 16 && parse_version(v, &a, &b);
}

int dc_api_version_cmp(const char *a, const char *b) {
  long am = 0, an = 0, bm = 0, bn = 0;
  parse_version(a, &am, &an);
  parse_version(b, &bm, &bn);
  if (am != bm)
    return am < bm ? -1 : 1;
  if (an != bn)
    return an < bn ? -1 : 1;
  return 0;
}
