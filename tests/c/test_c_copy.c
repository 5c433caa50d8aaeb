/* berth_copy from C99: copies an OCI layout (argv[1], tag v1) into a new layout
 * (argv[2]), checks the JSON result and the progress events, then cancels a copy from
 * the progress callback; then build, index, export, sign and verify, each with its
 * own options struct. */
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

/* The results are berth's compact JSON: a key and its value appear as written. */
static int has(const char *json, const char *text) {
  return json != NULL && strstr(json, text) != NULL;
}

/* The string value of "key" in json, copied into buf ("" when absent). */
static const char *value_of(const char *json, const char *key, char *buf, size_t cap) {
  char pattern[64];
  const char *at, *end;
  size_t n;
  buf[0] = '\0';
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  if (!json || !(at = strstr(json, pattern))) return buf;
  at += strlen(pattern);
  end = strchr(at, '"');
  n = end ? (size_t)(end - at) : 0;
  if (n >= cap) n = cap - 1;
  memcpy(buf, at, n);
  buf[n] = '\0';
  return buf;
}

static int on_progress(const berth_progress *p, void *user) {
  struct counts *c = (struct counts *)user;
  c->calls++;
  if (p->version != BERTH_PROGRESS_VERSION) c->blobs_done = -1000;
  if (p->event == BERTH_PROGRESS_BLOB_DONE) c->blobs_done++;
  if (p->event == BERTH_PROGRESS_MANIFEST_DONE) c->manifests++;
  if (p->overall_bytes < c->last_overall) c->blobs_done = -1000; /* must never go back */
  c->last_overall = p->overall_bytes;
  return c->cancel;
}

static void on_log(const char *text, size_t len, void *user_data) {
  (void)text;
  if (len > 0) ++*(int *)user_data;
}

int main(int argc, char **argv) {
  char src[1024], dst[1024], dst2[1024];
  berth_copy_options opts;
  char *result = NULL, digest[160], oci_digest[160];
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
  CHECK(berth_copy(&result, src, dst, &opts) == BERTH_OK);
  CHECK(strlen(value_of(result, "digest", oci_digest, sizeof oci_digest)) == 71);
  CHECK(strncmp(oci_digest, "sha256:", 7) == 0);
  CHECK(has(result, "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\""));
  CHECK(has(result, "\"blobsCopied\":2,\"blobsSkipped\":0"));
  CHECK(has(result, "\"manifests\":1") && has(result, "\"warnings\":[]"));
  CHECK(has(result, "\"seconds\":"));
  CHECK(c.blobs_done == 2 && c.manifests == 1);
  berth_free(result);

  /* Again: everything is there already; NULL options and result are fine. */
  CHECK(berth_copy(NULL, src, dst, NULL) == BERTH_OK);

  /* format: Docker media types, a new manifest digest, the same blobs. */
  {
    char docker_dst[1024];
    berth_copy_options init = BERTH_COPY_OPTIONS_INIT;
    CHECK(init.version == 7 && init.format == BERTH_FORMAT_AUTO && init.jobs == 0);
    CHECK(init.src == NULL && init.dst == NULL && init.sign_key == NULL &&
          init.sign_key_password == NULL && init.timeout_ms == 0 && init.create_repository == 0);
    snprintf(docker_dst, sizeof docker_dst, "oci:%s/docker:v1", argv[2]);
    init.format = BERTH_FORMAT_DOCKER;
    CHECK(berth_copy(&result, src, docker_dst, &init) == BERTH_OK);
    CHECK(has(result, "application/vnd.docker.distribution.manifest.v2+json"));
    value_of(result, "digest", digest, sizeof digest);
    CHECK(strncmp(digest, "sha256:", 7) == 0 && strcmp(digest, oci_digest) != 0);
    CHECK(has(result, "\"blobsCopied\":2") && has(result, "\"manifests\":1"));
    berth_free(result);
    init.format = BERTH_FORMAT_OCI; /* and back: OCI again, from the Docker copy */
    CHECK(berth_copy(&result, docker_dst, dst, &init) == BERTH_OK);
    CHECK(has(result, "application/vnd.oci.image.manifest.v1+json"));
    CHECK(has(result, "\"blobsSkipped\":2"));
    berth_free(result);
    init.format = 7;
    result = (char *)&init; /* must be reset to NULL */
    CHECK(berth_copy(&result, src, docker_dst, &init) == BERTH_EINVAL);
    CHECK(result == NULL);
    CHECK(strstr(berth_last_error()->message, "format") != NULL);
  }

  /* Registry access is a struct of its own: a version of the future, or mirrors
   * where nothing is read, are refused by name. */
  {
    berth_registry_options reg = BERTH_REGISTRY_OPTIONS_INIT;
    berth_copy_options o = BERTH_COPY_OPTIONS_INIT;
    const char *mirrors[] = {"docker.io=mirror.example"};
    o.dst = &reg;
    reg.mirrors = mirrors;
    reg.n_mirrors = 1;
    CHECK(berth_copy(NULL, src, dst, &o) == BERTH_EINVAL);
    CHECK(strstr(berth_last_error()->message, "berth_copy_options.dst->mirrors") != NULL);
    reg.n_mirrors = 0;
    reg.version = BERTH_REGISTRY_OPTIONS_VERSION + 1;
    CHECK(berth_copy(NULL, src, dst, &o) == BERTH_EINVAL);
    CHECK(strstr(berth_last_error()->message, "berth_registry_options.version") != NULL);
    reg.version = BERTH_REGISTRY_OPTIONS_VERSION;
    reg.chunk_size = 4096; /* below 1 MiB */
    CHECK(berth_copy(NULL, src, dst, &o) == BERTH_EINVAL);
    CHECK(strstr(berth_last_error()->message, "chunk_size") != NULL);
    reg.chunk_size = 0;
    o.src = &reg; /* mirrors of another registry: the layout source ignores them */
    reg.mirrors = mirrors;
    reg.n_mirrors = 1;
    o.dst = NULL;
    CHECK(berth_copy(NULL, src, dst, &o) == BERTH_OK);
  }

  /* Cancelling from the callback. */
  memset(&c, 0, sizeof c);
  c.cancel = 1;
  CHECK(berth_copy(NULL, src, dst2, &opts) == BERTH_ECANCELLED);
  CHECK(berth_last_error()->code == BERTH_ECANCELLED);

  /* Errors are specific. */
  CHECK(berth_copy(NULL, "oci:/nonexistent/layout:v1", dst, NULL) == BERTH_ENOTFOUND);
  CHECK(berth_copy(NULL, "docker://Bad Ref", dst, NULL) == BERTH_EINVAL);
  CHECK(strlen(berth_last_error()->message) > 0);
  CHECK(berth_copy(NULL, NULL, dst, NULL) == BERTH_EINVAL);

  /* Build from a directory on top of the layout, then an index and an export. */
  {
    char out[1024], idx[1024], exp_dir[1024], app[1024], layer[1100];
    const char *layers[1];
    const char *env[] = {"APP=1"};
    const char *srcs[2];
    char *json = NULL;
    berth_build_options b;
    berth_index_options io = BERTH_INDEX_OPTIONS_INIT;
    const char *annotations[] = {"org.example.team=build"};
    char built[160];
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
    f = fopen(app, "r"); /* the directory is made by the wrapper script */
    if (f) fclose(f);
    CHECK(b.created == -1 && b.jobs == 0 && b.src == NULL && b.dst == NULL);
    b.created = 1700000000;
    CHECK(berth_build(&json, &b) == BERTH_OK);
    CHECK(strncmp(value_of(json, "digest", built, sizeof built), "sha256:", 7) == 0);
    CHECK(has(json, "\"cached\":false") && !has(json, "\"cached\":true"));
    berth_free(json);
    json = NULL;
    b.entrypoint_json = "not json";
    CHECK(berth_build(NULL, &b) == BERTH_EPROTOCOL || berth_last_error()->code == BERTH_EINVAL);
    b.entrypoint_json = NULL;
    b.output = NULL;
    CHECK(berth_build(NULL, &b) == BERTH_EINVAL);
    b.created = -2;
    b.output = out;
    CHECK(berth_build(NULL, &b) == BERTH_EINVAL);
    /* 0 is the epoch (reproducible builds use it), not "unset". */
    {
      char epoch_out[1100];
      snprintf(epoch_out, sizeof epoch_out, "oci:%s/epoch:v1", argv[2]);
      b.created = 0;
      b.output = epoch_out;
      CHECK(berth_build(NULL, &b) == BERTH_OK);
      CHECK(berth_inspect(&json, epoch_out, NULL) == BERTH_OK);
      CHECK(has(json, "\"created\":\"1970-01-01T00:00:00Z\""));
      berth_free(json);
      json = NULL;
      b.output = out;
    }
    b.created = 1700000000;

    /* A Dockerfile build on the umoci image: COPY from the context, ENV, CMD; the log
     * callback sees the steps; the step cache makes a second build reuse the layer. */
    {
      berth_dockerfile_options d;
      char context[1100], state[1100], df_out[1100], dockerfile[1400], df_digest[160];
      int log_calls = 0;
      snprintf(context, sizeof context, "%s/appdir", argv[2]);
      snprintf(state, sizeof state, "%s/state", argv[2]);
      snprintf(df_out, sizeof df_out, "oci:%s/dockerfile:v1", argv[2]);
      snprintf(dockerfile, sizeof dockerfile,
               "FROM %s\nCOPY data.bin /copied/data.bin\nENV X=1\nCMD [\"/app\"]\n", src);
      CHECK(berth_dockerfile_options_init(&d, BERTH_DOCKERFILE_OPTIONS_VERSION) == BERTH_OK);
      CHECK(d.created == -1 && d.level == -1 && d.context == NULL);
      d.context = context;
      d.dockerfile_text = dockerfile;
      d.state_dir = state;
      d.output = df_out;
      d.created = 1700000000;
      d.log = on_log;
      d.log_user_data = &log_calls;
      CHECK(berth_build_dockerfile(&json, &d) == BERTH_OK);
      CHECK(strncmp(value_of(json, "digest", df_digest, sizeof df_digest), "sha256:", 7) == 0);
      CHECK(log_calls >= 3);
      berth_free(json);
      json = NULL;
      CHECK(berth_inspect(&json, df_out, NULL) == BERTH_OK);
      CHECK(has(json, "\"X=1\"") && has(json, "\"/app\""));
      CHECK(has(json, "\"created\":\"2023-11-14T22:13:20Z\""));
      berth_free(json);
      json = NULL;
      {
        char again[160];
        CHECK(berth_build_dockerfile(&json, &d) == BERTH_OK);
        CHECK(strcmp(value_of(json, "digest", again, sizeof again), df_digest) == 0);
        berth_free(json);
        json = NULL;
      }
      /* A RUN on a base without a shell fails with the library's error, and stores nothing. */
      snprintf(dockerfile, sizeof dockerfile, "FROM %s\nRUN true\n", src);
      snprintf(df_out, sizeof df_out, "oci:%s/dockerfile-fail:v1", argv[2]);
      CHECK(berth_build_dockerfile(&json, &d) != BERTH_OK);
      CHECK(json == NULL);
      CHECK(berth_inspect(&json, df_out, NULL) != BERTH_OK);
      {
        /* Secrets (version 2): a malformed one is refused before anything runs; a
         * required one the build lacks fails the RUN by its id; one given is taken (the
         * RUN then fails only for want of a shell in this base). */
        char secret_file[1100], secret_spec[1200];
        const char *secrets[1];
        FILE *f;
        snprintf(secret_file, sizeof secret_file, "%s/tok", argv[2]);
        f = fopen(secret_file, "w");
        CHECK(f != NULL);
        fputs("c-secret", f);
        fclose(f);
        snprintf(dockerfile, sizeof dockerfile,
                 "FROM %s\nRUN --mount=type=secret,id=tok,required true\n", src);
        secrets[0] = "src=/nowhere";
        d.secrets = secrets;
        d.n_secrets = 1;
        CHECK(berth_build_dockerfile(&json, &d) == BERTH_EINVAL);
        CHECK(strstr(berth_last_error()->message, "id=") != NULL);
        d.n_secrets = 0;
        CHECK(berth_build_dockerfile(&json, &d) == BERTH_EINVAL);
        CHECK(strstr(berth_last_error()->message, "\"tok\" is required") != NULL);
        snprintf(secret_spec, sizeof secret_spec, "id=tok,src=%s", secret_file);
        secrets[0] = secret_spec;
        d.n_secrets = 1;
        CHECK(berth_build_dockerfile(&json, &d) != BERTH_OK);
        CHECK(strstr(berth_last_error()->message, "is required") == NULL);
        CHECK(strstr(berth_last_error()->message, "c-secret") == NULL);
        d.secrets = NULL;
        d.n_secrets = 0;
      }
      {
        /* Registry build caches (version 3): specs are checked before anything runs, so
         * these need no registry. Another type than registry is not supported; a
         * registry cache without ref, or an option buildx does not have, is invalid. */
        const char *from[1];
        snprintf(dockerfile, sizeof dockerfile, "FROM %s\nENV Y=2\n", src);
        snprintf(df_out, sizeof df_out, "oci:%s/dockerfile-cache:v1", argv[2]);
        d.cache_to = "type=gha";
        CHECK(berth_build_dockerfile(&json, &d) == BERTH_EUNSUPPORTED);
        CHECK(json == NULL);
        CHECK(strstr(berth_last_error()->message, "type=gha") != NULL);
        d.cache_to = "type=registry";
        CHECK(berth_build_dockerfile(&json, &d) == BERTH_EINVAL);
        CHECK(strstr(berth_last_error()->message, "ref=") != NULL);
        d.cache_to = "type=registry,ref=localhost:5000/c,mode=all";
        CHECK(berth_build_dockerfile(&json, &d) == BERTH_EINVAL);
        d.cache_to = NULL;
        from[0] = "type=gha";
        d.cache_from = from;
        d.n_cache_from = 1;
        CHECK(berth_build_dockerfile(&json, &d) == BERTH_EUNSUPPORTED);
        from[0] = "type=registry";
        CHECK(berth_build_dockerfile(&json, &d) == BERTH_EINVAL);
        d.cache_from = NULL; /* a count without an array */
        CHECK(berth_build_dockerfile(&json, &d) == BERTH_EINVAL);
        d.n_cache_from = 0;
        /* A version-2 struct's cache fields are not read: garbage there is harmless. */
        d.version = 2;
        d.cache_from = (const char *const *)(void *)&log_calls;
        d.n_cache_from = 99;
        d.cache_to = "type=gha";
        CHECK(berth_build_dockerfile(&json, &d) == BERTH_OK);
        berth_free(json);
        json = NULL;
        d.version = BERTH_DOCKERFILE_OPTIONS_VERSION;
        d.cache_from = NULL;
        d.n_cache_from = 0;
        d.cache_to = NULL;
      }
    }

    srcs[0] = out;
    srcs[1] = src;
    /* Both images are linux/amd64: an index needs distinct platforms. */
    CHECK(berth_index(NULL, srcs, 2, idx, NULL) == BERTH_EINVAL);
    io.annotations = annotations;
    io.n_annotations = 1;
    CHECK(berth_index(&json, srcs, 1, idx, &io) == BERTH_OK);
    CHECK(has(json, "\"mediaType\":\"application/vnd.oci.image.index.v1+json\""));
    berth_free(json);
    json = NULL;
    /* The annotation is on the index itself. */
    CHECK(berth_manifest_get(&json, NULL, idx, NULL) == BERTH_OK);
    CHECK(has(json, "\"org.example.team\":\"build\""));
    berth_free(json);
    json = NULL;

    /* Version 4 limits: a cap below the image's file bytes stops the export, and a
     * new directory is not left behind; then the defaults export it. */
    {
      berth_export_options lim;
      berth_registry_options reg = BERTH_REGISTRY_OPTIONS_INIT;
      CHECK(berth_export_options_init(&lim, BERTH_EXPORT_OPTIONS_VERSION) == BERTH_OK);
      lim.max_total_bytes = 1000; /* data.bin alone is 5000 bytes */
      CHECK(berth_export(out, exp_dir, &lim) == BERTH_ETOOLARGE);
      f = fopen(exp_dir, "r");
      CHECK(f == NULL);
      if (f) fclose(f);
      lim.max_total_bytes = 0;
      lim.timeout_ms = 60000;
      reg.stall_timeout_ms = -1;
      lim.src = &reg;
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
      char *signed_json = NULL, *verified = NULL, signed_digest[160];
      berth_cosign_options co = BERTH_COSIGN_OPTIONS_INIT;
      berth_verify_options vo = BERTH_VERIFY_OPTIONS_INIT;
      snprintf(key, sizeof key, "%s/a.key", argv[2]);
      snprintf(pub, sizeof pub, "%s/a.pub", argv[2]);
      snprintf(other, sizeof other, "%s/b.pub", argv[2]);
      CHECK(berth_verify(NULL, out, pub, NULL) == BERTH_EGATE); /* not signed yet */
      CHECK(berth_sign(&signed_json, out, key, &co) == BERTH_OK);
      CHECK(strcmp(value_of(signed_json, "digest", signed_digest, sizeof signed_digest), built) ==
            0);
      CHECK(has(signed_json, ".sig\""));
      CHECK(berth_verify(&verified, out, pub, &vo) == BERTH_OK);
      CHECK(has(verified, "\"valid\":1"));
      CHECK(berth_verify(NULL, out, other, NULL) == BERTH_EGATE);
      CHECK(berth_sign(NULL, out, pub, NULL) == BERTH_ECONFIG); /* a public key */
      co.key_password = "not the password";                     /* a PEM EC key has none: ignored */
      CHECK(berth_attest(NULL, out, key, "https://spdx.dev/Document",
                         "{\"spdxVersion\":\"SPDX-2.3\"}", &co) == BERTH_OK);
      CHECK(berth_attest(NULL, out, key, "x", "{not json", NULL) == BERTH_EPROTOCOL);
      berth_free(signed_json);
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
    /* The build cache rule: alone (NULL policy, the default prefix), and put first
     * before the shorthand's rules, which move to priorities 2 and 3. */
    json = NULL;
    CHECK(berth_lifecycle_policy_with_build_cache(&json, NULL, 14, NULL) == BERTH_OK);
    CHECK(has(json, "{\"rules\":[{\"rulePriority\":1,"));
    CHECK(has(json, "\"tagPrefixList\":[\"buildcache\"]"));
    CHECK(has(json, "\"countNumber\":14"));
    CHECK(json && berth_lifecycle_policy_validate(json) == BERTH_OK);
    berth_free(json);
    {
      char *shorthand = NULL;
      const char *p2, *p3;
      CHECK(berth_lifecycle_policy_shorthand(&shorthand, 5, 7) == BERTH_OK);
      json = NULL;
      CHECK(berth_lifecycle_policy_with_build_cache(&json, shorthand, 3, "ci-cache") == BERTH_OK);
      CHECK(has(json, "{\"rules\":[{\"rulePriority\":1,"));
      CHECK(has(json, "\"tagPrefixList\":[\"ci-cache\"]"));
      p2 = json ? strstr(json, "\"rulePriority\":2") : NULL;
      p3 = json ? strstr(json, "\"rulePriority\":3") : NULL;
      CHECK(p2 != NULL && p3 != NULL && p2 < p3);
      CHECK(json && berth_lifecycle_policy_validate(json) == BERTH_OK);
      berth_free(json);
      json = NULL;
      CHECK(berth_lifecycle_policy_with_build_cache(&json, "", 1, NULL) == BERTH_OK);
      CHECK(has(json, "\"tagPrefixList\":[\"buildcache\"]"));
      berth_free(json);
      json = (char *)shorthand; /* garbage in, NULL out on failure */
      CHECK(berth_lifecycle_policy_with_build_cache(&json, NULL, 0, NULL) == BERTH_EINVAL);
      CHECK(json == NULL);
      berth_free(shorthand);
    }
  }

  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
