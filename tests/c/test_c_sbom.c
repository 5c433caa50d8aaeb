/* berth_sbom from C99: options init and versions, a document for a layout made by
 * umoci (run_sbom_test.sh puts a dpkg status file and a Python METADATA in it), the
 * reply freed with berth_free, and errors (NULL out, unset version, missing image). */
#include <berth.h>

#include <stdio.h>
#include <string.h>

#include "c_check.h"

int main(int argc, char **argv) {
  berth_sbom_options opts = BERTH_SBOM_OPTIONS_INIT;
  berth_sbom_options zeroed;
  char ref[4096], missing[4096];
  char *json = (char *)&opts; /* must be reset to NULL on failure */
  if (argc != 2) {
    fprintf(stderr, "usage: %s LAYOUT\n", argv[0]);
    return 2;
  }
  snprintf(ref, sizeof ref, "oci:%s:v1", argv[1]);
  snprintf(missing, sizeof missing, "oci:%s-none:v1", argv[1]);

  CHECK(berth_sbom_options_init(&opts, 0) == BERTH_EINVAL);
  CHECK(berth_sbom_options_init(&opts, BERTH_SBOM_OPTIONS_VERSION + 1) == BERTH_EINVAL);
  CHECK(berth_sbom_options_init(&opts, 1) == BERTH_EINVAL); /* ABI 1's layout */
  CHECK(strstr(berth_last_error()->message, "C ABI 1") != NULL);
  CHECK(berth_sbom_options_init(&opts, BERTH_SBOM_OPTIONS_VERSION) == BERTH_OK);
  CHECK(opts.version == BERTH_SBOM_OPTIONS_VERSION && opts.created == NULL &&
        opts.timeout_ms == 0 && opts.registry == NULL);

  opts.created = "2026-01-02T03:04:05Z";
  CHECK(berth_sbom(&json, ref, &opts) == BERTH_OK);
  CHECK(json != NULL);
  if (json) {
    CHECK(strstr(json, "\"spdxVersion\":\"SPDX-2.3\"") != NULL);
    CHECK(strstr(json, "\"created\":\"2026-01-02T03:04:05Z\"") != NULL);
    CHECK(strstr(json, "pkg:deb/debian/libfoo1@1%3A2.0-1?arch=amd64") != NULL);
    CHECK(strstr(json, "pkg:pypi/c-abi-demo@0.1") != NULL);
    CHECK(strstr(json, "\"fileName\":\"./var/lib/dpkg/status\"") != NULL);
    berth_free(json);
  }
  /* NULL options: all defaults. */
  json = NULL;
  CHECK(berth_sbom(&json, ref, NULL) == BERTH_OK && json != NULL);
  berth_free(json);

  json = (char *)&opts;
  CHECK(berth_sbom(&json, missing, &opts) == BERTH_ENOTFOUND);
  CHECK(json == NULL);
  CHECK(berth_last_error()->code == BERTH_ENOTFOUND);
  CHECK(berth_sbom(NULL, ref, &opts) == BERTH_EINVAL);
  memset(&zeroed, 0, sizeof zeroed);
  CHECK(berth_sbom(&json, ref, &zeroed) == BERTH_EINVAL);
  CHECK(strstr(berth_last_error()->message, "BERTH_SBOM_OPTIONS_INIT") != NULL);
  opts.created = "yesterday";
  CHECK(berth_sbom(&json, ref, &opts) == BERTH_EINVAL);
  CHECK(strstr(berth_last_error()->message, "RFC 3339") != NULL);
  opts.created = "2026-01-02T04:04:05+01:00"; /* normalised to UTC, as SPDX wants */
  json = NULL;
  CHECK(berth_sbom(&json, ref, &opts) == BERTH_OK);
  CHECK(json != NULL && strstr(json, "\"created\":\"2026-01-02T03:04:05Z\"") != NULL);
  berth_free(json);
  opts.created = NULL;
  opts.timeout_ms = -1;
  CHECK(berth_sbom(&json, ref, &opts) == BERTH_EINVAL);

  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
