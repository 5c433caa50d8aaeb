/* The inspection C ABI from C99 against a real registry: pushes an OCI layout
 * (argv[1], tag v1) to HOST:PORT (argv[4]), then reads its manifest, inspects it,
 * tags it, lists tags and repositories, validates it (and a layout whose layer
 * argv[3] is corrupt, argv[2]), assembles an annotated index and deletes the
 * manifest. argv[5] is a scratch directory. */
#include <berth.h>

#include <stdio.h>
#include <string.h>

#include "c_check.h"

static int contains(const char *haystack, const char *needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

int main(int argc, char **argv) {
  char src[1024], bad[1024], repo[512], ref[600], by_digest[800], needle[900], idx[1100];
  char pushed[160];
  berth_inspect_options opts;
  berth_registry_options reg = BERTH_REGISTRY_OPTIONS_INIT;
  char *out = NULL, *info = NULL;
  if (argc != 6) {
    fprintf(stderr, "usage: test_c_inspect LAYOUT BAD_LAYOUT BAD_LAYER HOST:PORT WORK_DIR\n");
    return 2;
  }
  snprintf(src, sizeof src, "oci:%s:v1", argv[1]);
  snprintf(bad, sizeof bad, "oci:%s:v1", argv[2]);
  snprintf(repo, sizeof repo, "%s/c-abi/inspect", argv[4]);
  snprintf(ref, sizeof ref, "%s:v1", repo);
  snprintf(idx, sizeof idx, "oci:%s/index:idx", argv[5]);

  {
    char dst[700];
    snprintf(dst, sizeof dst, "docker://%s", ref);
    char *copied = NULL;
    const char *at;
    snprintf(dst, sizeof dst, "docker://%s", ref);
    pushed[0] = '\0';
    CHECK(berth_copy(&copied, src, dst, NULL) == BERTH_OK);
    at = copied ? strstr(copied, "\"digest\":\"") : NULL;
    CHECK(at != NULL);
    if (at) snprintf(pushed, sizeof pushed, "%.71s", at + 10);
    berth_free(copied);
  }
  snprintf(by_digest, sizeof by_digest, "%s@%s", repo, pushed);

  CHECK(berth_inspect_options_init(&opts, BERTH_INSPECT_OPTIONS_VERSION) == BERTH_OK);
  CHECK(opts.version == 2 && opts.jobs == 0 && opts.page_size == 0 && opts.registry == NULL);
  CHECK(berth_inspect_options_init(&opts, 99) == BERTH_EINVAL);
  /* ABI 1's layout is refused by name, not misread. */
  CHECK(berth_inspect_options_init(&opts, 1) == BERTH_EINVAL);
  CHECK(contains(berth_last_error()->message, "C ABI 1"));
  CHECK(berth_inspect_options_init(&opts, BERTH_INSPECT_OPTIONS_VERSION) == BERTH_OK);
  reg.plain_http = 1; /* loopback uses http anyway; the struct is read */
  opts.registry = &reg;

  /* The manifest, as served: the digest of the bytes is the pushed digest. */
  CHECK(berth_manifest_get(&out, &info, ref, &opts) == BERTH_OK);
  snprintf(needle, sizeof needle,
           "{\"digest\":\"%s\",\"mediaType\":\"application/"
           "vnd.oci.image.manifest.v1+json\",\"size\":%u}",
           pushed, (unsigned)(out ? strlen(out) : 0));
  CHECK(info != NULL && strcmp(info, needle) == 0);
  CHECK(out != NULL && contains(out, "\"layers\""));
  berth_free(out);
  berth_free(info);
  out = NULL;
  info = NULL;

  /* Inspect: JSON naming the digest and the image's platform. */
  CHECK(berth_inspect(&out, ref, NULL) == BERTH_OK);
  snprintf(needle, sizeof needle, "\"digest\":\"%s\"", pushed);
  CHECK(contains(out, needle) && contains(out, "\"platform\":\"linux/amd64\""));
  berth_free(out);
  out = NULL;

  /* Tag twice: the second time every tag is already there. */
  {
    const char *tags[] = {"a", "b"};
    CHECK(berth_tag(&out, ref, tags, 2, &opts) == BERTH_OK);
    CHECK(contains(out, "\"tagged\":[\"a\",\"b\"],\"skipped\":[]"));
    berth_free(out);
    out = NULL;
    CHECK(berth_tag(&out, by_digest, tags, 2, &opts) == BERTH_OK);
    CHECK(contains(out, "\"tagged\":[],\"skipped\":[\"a\",\"b\"]"));
    berth_free(out);
    out = NULL;
    CHECK(berth_tag(NULL, ref, tags, 0, &opts) == BERTH_EINVAL);
  }

  /* Tags and repositories. */
  CHECK(berth_tags_list(&out, repo, &opts) == BERTH_OK);
  CHECK(contains(out, "\"a\"") && contains(out, "\"b\"") && contains(out, "\"v1\""));
  berth_free(out);
  out = NULL;
  opts.page_size = 1;
  CHECK(berth_catalog(&out, argv[4], &opts) == BERTH_OK);
  CHECK(contains(out, "\"repositories\":[") && contains(out, "\"c-abi/inspect\""));
  berth_free(out);
  out = NULL;
  opts.page_size = 0;

  /* Validate: the registry copy is sound, the corrupt layout is not. */
  CHECK(berth_validate(&out, ref, &opts) == BERTH_OK);
  CHECK(contains(out, "\"ok\":true") && contains(out, "\"blobs\":2"));
  berth_free(out);
  out = NULL;
  CHECK(berth_validate(&out, bad, &opts) == BERTH_EGATE);
  CHECK(berth_last_error()->code == BERTH_EGATE);
  snprintf(needle, sizeof needle, "\"digest\":\"%s\",\"kind\":\"layer\"", argv[3]);
  CHECK(contains(out, "\"ok\":false") && contains(out, needle));
  berth_free(out);
  out = NULL;

  /* An annotated index, always OCI. */
  {
    const char *srcs[1];
    const char *annotations[] = {"org.example.k=v"};
    const char *bad_annotations[] = {"no-equals"};
    berth_index_options io = BERTH_INDEX_OPTIONS_INIT;
    srcs[0] = src;
    io.annotations = annotations;
    io.n_annotations = 1;
    CHECK(berth_index(&out, srcs, 1, idx, &io) == BERTH_OK);
    CHECK(contains(out, "\"mediaType\":\"application/vnd.oci.image.index.v1+json\""));
    berth_free(out);
    out = NULL;
    CHECK(berth_manifest_get(&out, NULL, idx, NULL) == BERTH_OK);
    CHECK(contains(out, "\"annotations\":{\"org.example.k\":\"v\"}"));
    berth_free(out);
    out = NULL;
    io.annotations = bad_annotations;
    CHECK(berth_index(NULL, srcs, 1, idx, &io) == BERTH_EINVAL);
  }

  /* Delete by tag: the digest is resolved, then the manifest is gone. */
  CHECK(berth_manifest_delete(&out, ref, &opts) == BERTH_OK);
  snprintf(needle, sizeof needle, "{\"digest\":\"%s\"}", pushed);
  CHECK(out != NULL && strcmp(out, needle) == 0);
  berth_free(out);
  out = NULL;
  info = (char *)&opts; /* must be reset to NULL */
  CHECK(berth_manifest_get(&out, &info, by_digest, &opts) == BERTH_ENOTFOUND);
  CHECK(out == NULL && info == NULL);

  /* Argument errors. */
  CHECK(berth_manifest_get(NULL, NULL, ref, NULL) == BERTH_EINVAL);
  CHECK(berth_inspect(&out, NULL, NULL) == BERTH_EINVAL);
  opts.version = 0;
  CHECK(berth_tags_list(&out, repo, &opts) == BERTH_EINVAL);
  CHECK(out == NULL);

  printf("%d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
