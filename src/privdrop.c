/* privdrop.c: drop root before talking to the engine.
 *
 * The engine's socket is root-equivalent anyway, but the program parses untrusted replies:
 * it should do so as nobody in particular, with just the one group that opens the socket. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int dc_privdrop(const dc_config_t *cfg, char *err, size_t errlen) {
  if (geteuid() != 0) {
    dc_debug("running as uid %u gid %u (not root: nothing to drop)", (unsigned)geteuid(), (unsigned)getegid());
    return 0;
  }
  gid_t groups[1];
  int ngroups = 0;
  struct stat st;
  if (cfg->host_kind == DC_HOST_UNIX) {
    if (stat(cfg->socket_path, &st) == 0) {
      groups[0] = st.st_gid;
      ngroups = 1;
    } else {
      dc_debug("cannot stat %s (%s): dropping privileges without its group", cfg->socket_path, strerror(errno));
    }
  }
  if (setgroups((size_t)ngroups, groups) < 0) {
    snprintf(err, errlen, "cannot set supplementary groups: %s (the container needs CAP_SETGID)", strerror(errno));
    return -errno;
  }
  if (setresgid(cfg->run_gid, cfg->run_gid, cfg->run_gid) < 0) {
    snprintf(err, errlen, "cannot change group to %u: %s (the container needs CAP_SETGID)", (unsigned)cfg->run_gid,
             strerror(errno));
    return -errno;
  }
  if (setresuid(cfg->run_uid, cfg->run_uid, cfg->run_uid) < 0) {
    snprintf(err, errlen, "cannot change user to %u: %s (the container needs CAP_SETUID)", (unsigned)cfg->run_uid,
             strerror(errno));
    return -errno;
  }
  if (setuid(0) == 0 || seteuid(0) == 0 || getuid() == 0 || geteuid() == 0) {
    snprintf(err, errlen, "root could be regained after dropping privileges; refusing to run");
    return -EPERM;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
    return -errno;
  }
  if (ngroups)
    dc_debug("dropped root: uid %u gid %u groups %u (the group of %s)", (unsigned)getuid(), (unsigned)getgid(),
             (unsigned)groups[0], cfg->socket_path);
  else
    dc_debug("dropped root: uid %u gid %u groups none", (unsigned)getuid(), (unsigned)getgid());
  return 0;
}

void dc_socket_hint(const char *path, char *out, size_t cap) {
  struct stat st;
  if (stat(path, &st) < 0) {
    snprintf(out, cap, "%s does not exist: mount the engine's socket there (-v /var/run/docker.sock:%s) "
             "or set DOCKER_HOST", path, path);
    return;
  }
  unsigned mode = (unsigned)(st.st_mode & 07777);
  char who[256];
  snprintf(who, sizeof(who), "permission denied on %.100s (owner uid %u, group gid %u, mode %04o) for uid %u gid %u",
           path, (unsigned)st.st_uid, (unsigned)st.st_gid, mode, (unsigned)geteuid(), (unsigned)getegid());
  if ((mode & 060) != 060)
    snprintf(out, cap, "%s: the socket's mode gives its group no access; make it group read-write (chmod 660, "
             "as dockerd and podman.socket do)", who);
  else
    snprintf(out, cap, "%s: start as root (the image default, which keeps just the socket's group) or add the "
             "group with --group-add %u", who, (unsigned)st.st_gid);
}
