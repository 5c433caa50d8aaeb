/* berth_copy from C99: copies an OCI layout (argv[1], tag v1) into a new layout
 * (argv[2]), checks the result and the progress events, then cancels a copy from
 * the progress callback. */
#include <berth.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "c_check.h"

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

  /* format (version 3): Docker media types, a new manifest digest, the same blobs. */
  {
    char docker_dst[1024], oci_digest[160];
    berth_copy_options init = BERTH_COPY_OPTIONS_INIT, v2;
    CHECK(init.version == 6 && init.format == BERTH_FORMAT_AUTO && init.jobs == 4);
    CHECK(init.sign_key == NULL && init.sign_key_password == NULL);
    CHECK(init.timeout_ms == 0 && init.stall_timeout_ms == 0 && init.chunk_size == 0 &&
          init.max_total_bytes == 0 && init.max_expansion_ratio == 0.0 && init.devices == 0 &&
          init.create_repository == 0);
    memcpy(oci_digest, result.digest, sizeof oci_digest);
    snprintf(docker_dst, sizeof docker_dst, "oci:%s/docker:v1", argv[2]);
    init.format = BERTH_FORMAT_DOCKER;
    CHECK(berth_copy(src, docker_dst, &init, &result) == BERTH_OK);
    CHECK(strcmp(result.media_type, "application/vnd.docker.distribution.manifest.v2+json") == 0);
    CHECK(strncmp(result.digest, "sha256:", 7) == 0 && strcmp(result.digest, oci_digest) != 0);
    CHECK(result.blobs_copied == 2 && result.manifests == 1);
    init.format = BERTH_FORMAT_OCI; /* and back: OCI again, from the Docker copy */
    CHECK(berth_copy(docker_dst, dst, &init, &result) == BERTH_OK);
    CHECK(strcmp(result.media_type, "application/vnd.oci.image.manifest.v1+json") == 0);
    CHECK(result.blobs_skipped == 2);
    init.format = 7;
    CHECK(berth_copy(src, docker_dst, &init, NULL) == BERTH_EINVAL);
    CHECK(strstr(berth_last_error()->message, "format") != NULL);
    /* A version 2 caller knows no format field: init writes nothing past its struct
     * (a shorter one, in its program) and whatever lies there is not read. */
    memset(&v2, 0xAB, sizeof v2);
    CHECK(berth_copy_options_init(&v2, 2) == BERTH_OK);
    CHECK(v2.version == 2 && v2.jobs == 4 && v2.extra_tags == NULL && v2.n_extra_tags == 0);
    {
      const unsigned char *tail = (const unsigned char *)&v2 + offsetof(berth_copy_options, format);
      size_t i, n = sizeof v2 - offsetof(berth_copy_options, format), untouched = 0;
      for (i = 0; i < n; ++i)
        untouched += tail[i] == 0xAB;
      CHECK(untouched == n);
    }
    v2.format = 7;
    CHECK(berth_copy(src, dst, &v2, &result) == BERTH_OK);
    CHECK(strcmp(result.digest, oci_digest) == 0);
  }

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

  /* Build from a directory on top of the layout, then an index and an export. */
  {
    char out[1024], idx[1024], exp_dir[1024], app[1024], layer[1100];
    const char *layers[1];
    const char *env[] = {"APP=1"};
    const char *srcs[2];
    char *json = NULL;
    berth_build_options b;
    berth_build_result br;
    berth_copy_result cr;
    FILE *f;
    snprintf(app, sizeof app, "%s/appdir", argv[2]);
    snprintf(out, sizeof out, "oci:%s/built:v1", argv[2]);
    snprintf(idx, sizeof idx, "oci:%s/index:v1", argv[2]);
    snprintf(exp_dir, sizeof exp_dir, "%s/exported", argv[2]);
    snprintf(layer, sizeof layer, "%s:/app", app);
    CHECK(berth_build_options_init(&b, BERTH_BUILD_OPTIONS_VERSION) == BERTH_OK);
    layers[0] = layer;
    b.from = src;
    b.layers = layers;
    b.n_layers = 1;
    b.env = env;
    b.n_env = 1;
    b.entrypoint_json = "[\"/app/run\"]";
    b.output = out;
    b.created = 1700000000;
    f = fopen(app, "r"); /* the directory is made by the wrapper script */
    if (f) fclose(f);
    CHECK(berth_build(&br, &b) == BERTH_OK);
    CHECK(strncmp(br.digest, "sha256:", 7) == 0 && br.layers_built == 1 && br.layers_cached == 0);
    b.entrypoint_json = "not json";
    CHECK(berth_build(&br, &b) == BERTH_EPROTOCOL || berth_last_error()->code == BERTH_EINVAL);
    b.entrypoint_json = NULL;
    b.output = NULL;
    CHECK(berth_build(&br, &b) == BERTH_EINVAL);

    srcs[0] = out;
    srcs[1] = src;
    /* Both images are linux/amd64: an index needs distinct platforms. */
    CHECK(berth_index(&cr, srcs, 2, idx, NULL) == BERTH_EINVAL);
    CHECK(berth_index(&cr, srcs, 1, idx, NULL) == BERTH_OK);
    CHECK(strcmp(cr.media_type, "application/vnd.oci.image.index.v1+json") == 0);

    /* Version 4 limits: a cap below the image's file bytes stops the export, and a
     * new directory is not left behind; then the defaults export it. */
    {
      berth_copy_options lim;
      CHECK(berth_copy_options_init(&lim, BERTH_COPY_OPTIONS_VERSION) == BERTH_OK);
      lim.max_total_bytes = 1000; /* data.bin alone is 5000 bytes */
      CHECK(berth_export(out, exp_dir, &lim) == BERTH_ETOOLARGE);
      f = fopen(exp_dir, "r");
      CHECK(f == NULL);
      if (f) fclose(f);
      lim.max_total_bytes = 0;
      lim.timeout_ms = 60000;
      lim.stall_timeout_ms = -1;
      lim.max_expansion_ratio = -1; /* off */
      CHECK(berth_export(out, exp_dir, &lim) == BERTH_OK);
    }
    if (berth_last_error()->code) fprintf(stderr, "export: %s\n", berth_last_error()->message);
    snprintf(layer, sizeof layer, "%s/app/data.bin", exp_dir);
    f = fopen(layer, "rb");
    CHECK(f != NULL);
    if (f) fclose(f);

    /* Signatures: sign the built image, verify with its key, refuse another key. */
    {
      char key[1100], pub[1100], other[1100];
      char *digest = NULL, *verified = NULL;
      snprintf(key, sizeof key, "%s/a.key", argv[2]);
      snprintf(pub, sizeof pub, "%s/a.pub", argv[2]);
      snprintf(other, sizeof other, "%s/b.pub", argv[2]);
      CHECK(berth_verify(NULL, out, pub, NULL) == BERTH_EGATE); /* not signed yet */
      CHECK(berth_sign(&digest, out, key, NULL, NULL) == BERTH_OK);
      CHECK(digest && strcmp(digest, br.digest) == 0);
      CHECK(berth_verify(&verified, out, pub, NULL) == BERTH_OK);
      CHECK(verified && strstr(verified, "\"valid\":1") != NULL);
      CHECK(berth_verify(NULL, out, other, NULL) == BERTH_EGATE);
      CHECK(berth_sign(NULL, out, pub, NULL, NULL) == BERTH_ECONFIG); /* a public key */
      CHECK(berth_attest(NULL, out, key, NULL, "https://spdx.dev/Document",
                         "{\"spdxVersion\":\"SPDX-2.3\"}", NULL) == BERTH_OK);
      CHECK(berth_attest(NULL, out, key, NULL, "x", "{not json", NULL) == BERTH_EPROTOCOL);
      berth_free(digest);
      berth_free(verified);
    }

    CHECK(berth_tags_compute(&json,
                             "{\"rules\":[\"type=ref,event=branch\",\"type=sha\","
                             "\"type=raw,value=latest,enable={{is_default_branch}}\"],"
                             "\"context\":{\"event\":\"push\",\"ref\":\"refs/heads/main\","
                             "\"sha\":\"abcdef0123\",\"default_branch\":\"main\"}}") == BERTH_OK);
    CHECK(json && strstr(json, "\"tags\":[\"main\",\"sha-abcdef0\",\"latest\"]") != NULL);
    berth_free(json);
    CHECK(berth_lifecycle_policy_shorthand(&json, 5, 7) == BERTH_OK);
    CHECK(json && berth_lifecycle_policy_validate(json) == BERTH_OK);
    berth_free(json);
    CHECK(berth_lifecycle_policy_validate("{\"rules\":[]}") == BERTH_EINVAL);
  }

  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
