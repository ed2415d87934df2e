/* privdrop.h: least privilege: socket GID matching, or connect-then-drop for root-only sockets. */
#ifndef DC_PRIVDROP_H
#define DC_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define DC_PRECONNECT_MAX 8 /* connections opened before the drop: the transport's pool size */

/* Connections to a root-only socket, opened as root before the drop. */
typedef struct dc_preconnect {
  bool used;                  /* the socket is root-only: the run lives on these connections */
  int n;                      /* how many were opened (0: even the first connect failed) */
  int fds[DC_PRECONNECT_MAX]; /* connected, nothing written or read; the caller owns them */
  int error;                  /* the failed connect's negative errno, when n is 0 */
} dc_preconnect_t;

/* Started as root (real, effective or saved uid 0): drops to cfg->run_uid/run_gid, checks that
 * root cannot be regained and sets no_new_privs. When the engine's unix socket gives a group
 * other than root read and write, the supplementary groups become exactly that group (GID
 * matching). Otherwise only uid 0 can connect: the connections the run needs are opened first
 * (connect only: not one byte is written or read) and handed back in pre, and the process keeps
 * no supplementary group. Started as anyone else: changes nothing (pre->used stays false).
 * Must run before the loop, any thread and any request. Returns 0, or a negative errno with one
 * line in err (then every descriptor it opened is closed again). */
int dc_privdrop(const dc_config_t *cfg, dc_preconnect_t *pre, char *err, size_t errlen);

/* Describes why a socket cannot be opened: its owner, group, mode, who we run as, and the
 * fix. */
void dc_socket_hint(const char *path, char *out, size_t cap);

#endif
