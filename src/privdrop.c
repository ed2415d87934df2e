/* privdrop.c: drop root before talking to the engine.
 *
 * The engine's socket is root-equivalent anyway, but the program parses untrusted replies:
 * it should do so as nobody in particular. Normally that nobody keeps just the one group that
 * opens the socket. Some sockets only root can open (Docker Desktop mounts it srwxr-xr-x
 * root:root; a hand-started `podman system service` makes it 0600), and a socket whose group
 * is root would leave the process in group root: for those, the connections are opened first,
 * as root, and the process drops every group. Nothing is written or read before the drop, so
 * every byte from the engine is still parsed unprivileged. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static void close_all(dc_preconnect_t *pre) {
  for (int i = 0; i < pre->n; i++)
    close(pre->fds[i]);
  pre->n = 0;
}

/* Opens up to DC_PRECONNECT_MAX connections to path: connect(2) only. The listener queues
 * them until it accepts, so this does not wait for the engine to answer anything. */
static void preconnect(const char *path, dc_preconnect_t *pre) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  pre->used = true;
  pre->n = 0;
  pre->error = 0;
  if (strlen(path) >= sizeof(addr.sun_path)) {
    pre->error = -ENAMETOOLONG;
    return;
  }
  memcpy(addr.sun_path, path, strlen(path) + 1);
  while (pre->n < DC_PRECONNECT_MAX) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      if (pre->n == 0)
        pre->error = -errno;
      return;
    }
    int rc;
    do
      rc = connect(fd, (const struct sockaddr *)&addr, sizeof(addr));
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
      if (pre->n == 0)
        pre->error = -errno;
      close(fd);
      return;
    }
    pre->fds[pre->n++] = fd;
  }
}

int dc_privdrop(const dc_config_t *cfg, dc_preconnect_t *pre, char *err, size_t errlen) {
  memset(pre, 0, sizeof(*pre));
  uid_t ruid, euid, suid;
  if (getresuid(&ruid, &euid, &suid) < 0) {
    snprintf(err, errlen, "cannot read the process's user ids: %s", strerror(errno));
    return -errno;
  }
  if (ruid != 0 && euid != 0 && suid != 0) {
    dc_debug("running as uid %u gid %u (not root: nothing to drop)", (unsigned)euid, (unsigned)getegid());
    return 0;
  }
  /* Real or saved uid 0 with another effective uid can become root again at any time: become
   * root now, so that the drop below takes every id (and the capabilities) away for good. */
  if (euid != 0 && seteuid(0) < 0) {
    snprintf(err, errlen, "started with real uid %u and effective uid %u, and cannot become root to drop "
             "privileges: %s", (unsigned)ruid, (unsigned)euid, strerror(errno));
    return -errno;
  }

  gid_t groups[1];
  int ngroups = 0;
  struct stat st;
  if (cfg->host_kind == DC_HOST_UNIX) {
    if (stat(cfg->socket_path, &st) == 0) {
      if (st.st_gid != 0 && (st.st_mode & 060) == 060) {
        groups[0] = st.st_gid;
        ngroups = 1;
      } else {
        preconnect(cfg->socket_path, pre);
      }
    } else {
      dc_debug("cannot stat %s (%s): dropping privileges without its group", cfg->socket_path, strerror(errno));
    }
  }
  int rc = 0;
  if (setgroups((size_t)ngroups, groups) < 0) {
    rc = -errno;
    snprintf(err, errlen, "cannot set supplementary groups: %s (the container needs CAP_SETGID)", strerror(-rc));
  } else if (setresgid(cfg->run_gid, cfg->run_gid, cfg->run_gid) < 0) {
    rc = -errno;
    snprintf(err, errlen, "cannot change group to %u: %s (the container needs CAP_SETGID)", (unsigned)cfg->run_gid,
             strerror(-rc));
  } else if (setresuid(cfg->run_uid, cfg->run_uid, cfg->run_uid) < 0) {
    rc = -errno;
    snprintf(err, errlen, "cannot change user to %u: %s (the container needs CAP_SETUID)", (unsigned)cfg->run_uid,
             strerror(-rc));
  } else if (setuid(0) == 0 || seteuid(0) == 0 || getuid() == 0 || geteuid() == 0) {
    rc = -EPERM;
    snprintf(err, errlen, "root could be regained after dropping privileges; refusing to run");
  } else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    rc = -errno;
    snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(-rc));
  }
  if (rc < 0) {
    close_all(pre);
    return rc;
  }

  if (pre->used && pre->n > 0)
    dc_info("socket %s is root-only (owner uid %u, group gid %u, mode %04o): connected before dropping to uid %u",
            cfg->socket_path, (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
            (unsigned)cfg->run_uid);
  else if (pre->used)
    dc_debug("socket %s is root-only and could not be connected to as root: %s", cfg->socket_path,
             strerror(-pre->error));

  gid_t now[8];
  int n = getgroups(8, now);
  char list[64] = "none";
  size_t len = 0;
  for (int i = 0; i < n && len < sizeof(list); i++)
    len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%u", i ? "," : "", (unsigned)now[i]);
  if (ngroups)
    dc_debug("dropped root: uid %u gid %u groups %s (the group of %s)", (unsigned)getuid(), (unsigned)getgid(), list,
             cfg->socket_path);
  else
    dc_debug("dropped root: uid %u gid %u groups %s", (unsigned)getuid(), (unsigned)getgid(), list);
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
    snprintf(out, cap, "%s: the socket's mode gives its group no access, so only root can open it: start as root "
             "(the image default: it connects first, then drops root) or make it group read-write (chmod 660, as "
             "dockerd and podman.socket do)", who);
  else
    snprintf(out, cap, "%s: start as root (the image default, which keeps just the socket's group) or add the "
             "group with --group-add %u", who, (unsigned)st.st_gid);
}
