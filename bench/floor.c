/* floor.c: the least any client of the engine does: connect to the socket, send one
 * GET /_ping, read the first bytes of the answer, exit. Built static by bench/run.sh and timed
 * in the empty-engine rounds beside A and B (bench/README.md): a lower bound for A there, since
 * every run needs at least this (docker-cleaner asks /_ping, then lists). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
    fprintf(stderr, "usage: floor SOCKET\n");
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  memcpy(addr.sun_path, argv[1], strlen(argv[1]) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    perror("floor: connect");
    return 2;
  }
  static const char req[] = "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
  if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
    perror("floor: write");
    return 2;
  }
  char buf[512];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0) {
    fprintf(stderr, "floor: no 200 from the engine\n");
    return 1;
  }
  return 0;
}
