/* berth_copy from C99: copies an OCI layout (argv[1], tag v1) into a new layout
 * (argv[2]), checks the result and the progress events, then cancels a copy from
 * the progress callback. */
#include <berth.h>

#include <stdio.h>
#include <string.h>

static int failures = 0, checks = 0;
#define CHECK(cond)                                                             \
  do {                                                                          \
    ++checks;                                                                   \
    if (!(cond)) {                                                              \
      ++failures;                                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                           \
  } while (0)

struct counts {
  int blobs_done, manifests, calls;
  uint64_t last_overall;
  int cancel;
};

static int on_progress(const berth_progress *p, void *user) {
  struct counts *c = (struct counts *)user;
  c->calls++;
  if (p->event == BERTH_PROGRESS_BLOB_DONE) c->blobs_done++;
  if (p->event == BERTH_PROGRESS_MANIFEST_DONE) c->manifests++;
  if (p->overall_bytes < c->last_overall) c->blobs_done = -1000; /* must never go back */
  c->last_overall = p->overall_bytes;
  return c->cancel;
}

int main(int argc, char **argv) {
  char src[1024], dst[1024], dst2[1024];
  berth_copy_options opts;
  berth_copy_result result;
  struct counts c;
  if (argc != 3) {
    fprintf(stderr, "usage: test_c_copy SRC_LAYOUT WORK_DIR\n");
    return 2;
  }
  snprintf(src, sizeof src, "oci:%s:v1", argv[1]);
  snprintf(dst, sizeof dst, "oci:%s/copy:v1", argv[2]);
  snprintf(dst2, sizeof dst2, "oci:%s/cancelled:v1", argv[2]);

  memset(&c, 0, sizeof c);
  CHECK(berth_copy_options_init(&opts, BERTH_COPY_OPTIONS_VERSION) == BERTH_OK);
  opts.progress = on_progress;
  opts.progress_user_data = &c;
  opts.jobs = 2;
  CHECK(berth_copy(src, dst, &opts, &result) == BERTH_OK);
  CHECK(strncmp(result.digest, "sha256:", 7) == 0 && strlen(result.digest) == 71);
  CHECK(strcmp(result.media_type, "application/vnd.oci.image.manifest.v1+json") == 0);
  CHECK(result.blobs_copied == 2 && result.blobs_skipped == 0 && result.manifests == 1);
  CHECK(c.blobs_done == 2 && c.manifests == 1);

  /* Again: everything is there already; NULL options and result are fine. */
  CHECK(berth_copy(src, dst, NULL, NULL) == BERTH_OK);

  /* Cancelling from the callback. */
  memset(&c, 0, sizeof c);
  c.cancel = 1;
  CHECK(berth_copy(src, dst2, &opts, &result) == BERTH_ECANCELLED);
  CHECK(berth_last_error()->code == BERTH_ECANCELLED);

  /* Errors are specific. */
  CHECK(berth_copy("oci:/nonexistent/layout:v1", dst, NULL, NULL) == BERTH_ENOTFOUND);
  CHECK(berth_copy("docker://Bad Ref", dst, NULL, NULL) == BERTH_EINVAL);
  CHECK(strlen(berth_last_error()->message) > 0);
  CHECK(berth_copy(NULL, dst, NULL, NULL) == BERTH_EINVAL);

  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
