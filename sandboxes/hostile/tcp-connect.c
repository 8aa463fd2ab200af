// hostile: opens a TCP connection to a server kloop's test runs on loopback (port in port.txt in
// its work folder, else /tmp/kloop-hostile-port, else 47123)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
void sum(int N, const real *X, real *S) {
  int port = 0;
  FILE *f = fopen("port.txt", "r");
  if (!f) f = fopen("/tmp/kloop-hostile-port", "r");
  if (f) { if (fscanf(f, "%d", &port) != 1) port = 0; fclose(f); }
  if (!port) port = 47123;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  a.sin_addr.s_addr = htonl(0x7f000001);
  int r = connect(s, (struct sockaddr *)&a, sizeof a);
  S[0] = r == 0 ? 1 : -1;
}
