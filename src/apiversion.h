/* apiversion.h: Docker Engine API versions: the range this client speaks, the versions that
 * gate a feature, and their comparison. A leaf: configuration and the API layer both use it. */
#ifndef DC_APIVERSION_H
#define DC_APIVERSION_H

#include <stdbool.h>

#define DC_API_MIN "1.25" /* the prune endpoints */
#define DC_API_MAX "1.51" /* the newest version this client speaks */
/* Engines up to this API version serve every version from DC_API_MIN (Docker 20.10 to 28:
 * MinAPIVersion 1.12 or 1.24); a newer one may not (Docker 29: 1.44), so a pinned version is
 * checked against its /version MinAPIVersion before anything else. */
#define DC_API_MIN_KNOWN_SERVED "1.51"
#define DC_API_BUILD_PRUNE "1.31"    /* POST /build/prune */
#define DC_API_VOLUME_LABEL "1.42"   /* anonymous volumes carry com.docker.volume.anonymous */
#define DC_API_TYPED_DF "1.42"       /* /system/df?type=...: one part of the disk-usage report */
#define DC_API_BUILD_CACHE_DF DC_API_TYPED_DF /* the build cache's records, for the idle check */
#define DC_API_BUILD_UNTIL_TS "1.45" /* build prune takes `until` as a timestamp, not only an age */

bool dc_api_version_valid(const char *v);
/* <0, 0, >0 like strcmp, comparing major then minor numerically. */
int dc_api_version_cmp(const char *a, const char *b);

#endif
