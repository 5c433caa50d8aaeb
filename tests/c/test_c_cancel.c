/* berth_cancel from C alone: a registry that accepts connections and never answers
 * holds berth_inspect for minutes (two 60 s stalls); a token fired from a SIGALRM
 * handler stops it within about a second with BERTH_ECANCELLED. The handler shows
 * the fire is signal-safe, as a C program's Ctrl-C handler would use it. */
#define _POSIX_C_SOURCE 200809L

#include <berth.h>

#include "c_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static berth_cancel *token = NULL;

static void on_alarm(int sig) {
  (void)sig;
  berth_cancel_fire(token);
}

/* A socket that listens and never accepts: the kernel completes each handshake, and
 * nothing ever reads the request or writes a byte back. */
static int hung_registry(int *port) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void) {
  int port = 0;
  int fd = hung_registry(&port);
  char ref[128];
  char *out = (char *)1;
  struct sigaction sa;
  struct itimerval in_half_a_second;
  double started, took;
  int rc;

  CHECK(fd >= 0);
  if (fd < 0) return 1;
  snprintf(ref, sizeof ref, "127.0.0.1:%d/hung/app:1", port);

  CHECK(berth_cancel_new(NULL) == BERTH_EINVAL);
  CHECK(berth_cancel_fired(NULL) == 0);
  berth_cancel_fire(NULL); /* ignored */
  berth_cancel_free(NULL);
  CHECK(berth_cancel_new(&token) == BERTH_OK && token != NULL);
  CHECK(berth_cancel_fired(token) == 0);
  CHECK(berth_cancel_attach(token) == BERTH_OK);

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
  memset(&in_half_a_second, 0, sizeof in_half_a_second);
  in_half_a_second.it_value.tv_usec = 500000;
  CHECK(setitimer(ITIMER_REAL, &in_half_a_second, NULL) == 0);

  started = now_seconds();
  rc = berth_inspect(&out, ref, NULL);
  took = now_seconds() - started;
  fprintf(stderr, "berth_inspect of a hung registry: rc %d after %.2f s: %s\n", rc, took,
          berth_last_error()->message);
  CHECK(rc == BERTH_ECANCELLED);
  CHECK(out == NULL);
  CHECK(strstr(berth_last_error()->message, "cancelled by the caller") != NULL);
  /* Without the token this waits out two 60 s stalls; 20 s leaves room for a loaded
   * machine while failing clearly when the cancel is not seen. */
  CHECK(took < 20.0);
  CHECK(berth_cancel_fired(token) == 1);

  /* Still attached and fired: the next network call stops before it starts. */
  rc = berth_inspect(&out, ref, NULL);
  CHECK(rc == BERTH_ECANCELLED);

  /* Freed while attached: the thread's own reference keeps it alive until detached. */
  berth_cancel_free(token);
  token = NULL;
  rc = berth_inspect(&out, ref, NULL);
  CHECK(rc == BERTH_ECANCELLED);
  CHECK(berth_cancel_attach(NULL) == BERTH_OK);

  /* Nesting: an inner call saves the outer token, attaches its own, puts it back. */
  {
    berth_cancel *outer = NULL, *inner = NULL, *saved = (berth_cancel *)1;
    CHECK(berth_cancel_current(NULL) == BERTH_EINVAL);
    CHECK(berth_cancel_current(&saved) == BERTH_OK && saved == NULL); /* none attached */
    CHECK(berth_cancel_new(&outer) == BERTH_OK && berth_cancel_new(&inner) == BERTH_OK);
    CHECK(berth_cancel_attach(outer) == BERTH_OK);
    CHECK(berth_cancel_current(&saved) == BERTH_OK && saved != NULL);
    CHECK(berth_cancel_attach(inner) == BERTH_OK);
    berth_cancel_fire(outer); /* the outer call is cancelled while the inner one runs */
    CHECK(berth_cancel_fired(saved) == 1); /* the same token behind another handle */
    CHECK(berth_cancel_attach(saved) == BERTH_OK);
    berth_cancel_free(saved);
    rc = berth_inspect(&out, ref, NULL); /* the outer token is back: stops at once */
    CHECK(rc == BERTH_ECANCELLED);
    CHECK(berth_cancel_attach(NULL) == BERTH_OK);
    berth_cancel_free(inner);
    berth_cancel_free(outer);
  }

  close(fd);
  fprintf(stderr, "%d checks, %d failures\n", checks, failures);
  return failures;
}
