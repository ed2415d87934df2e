/* privdrop.h: least privilege by socket GID matching. */
#ifndef DC_PRIVDROP_H
#define DC_PRIVDROP_H

#include <stddef.h>

#include "config.h"

/* Started as root: sets the supplementary groups to exactly the engine socket's group, drops
 * to cfg->run_uid/run_gid, checks root cannot be regained and sets no_new_privs. Started as
 * anyone else: changes nothing. Must run before any connection and before any thread.
 * Returns 0, or a negative errno with one line in err. */
int dc_privdrop(const dc_config_t *cfg, char *err, size_t errlen);

/* Describes why a socket cannot be opened: its owner, group, mode, who we run as, and the
 * fix. */
void dc_socket_hint(const char *path, char *out, size_t cap);

#endif
