/* The C ABI exercised from C99: versions, errors, options init, and SigV4 signing of
 * one case from the AWS suite (get-vanilla), checked against its known signature. */
#include <berth.h>

#include <stdio.h>
#include <string.h>

#include "c_check.h"

static void test_versions(void) {
  CHECK(berth_abi_version() == BERTH_ABI_VERSION);
  CHECK(berth_version() > 0);
  CHECK(strlen(berth_version_string()) >= 5);
}

static void test_errors(void) {
  const berth_error_info *e;
  berth_sign_options opts;
  CHECK(strcmp(berth_strerror(BERTH_EINVAL), "invalid argument") == 0);
  CHECK(strcmp(berth_strerror(BERTH_EDIGEST), "digest mismatch") == 0);
  CHECK(strcmp(berth_strerror(BERTH_EBUILD), "build step failed") == 0);
  CHECK(berth_sign_options_init(&opts, 999) == BERTH_EINVAL);
  e = berth_last_error();
  CHECK(e->code == BERTH_EINVAL);
  CHECK(strstr(e->message, "version") != NULL);
  CHECK(berth_sign_options_init(&opts, BERTH_SIGN_OPTIONS_VERSION) == BERTH_OK);
  CHECK(berth_last_error()->code == BERTH_OK);
  CHECK(opts.normalize_path == 1 && opts.double_encode == 1 && opts.sign_session_token == 1);
  berth_free(NULL);
}

static void test_sign_header_mode(void) {
  berth_sign_options opts = BERTH_SIGN_OPTIONS_INIT;
  berth_header headers[1];
  berth_signed_request *req = NULL;
  const char *name, *value;
  size_t i, n;
  int found_auth = 0;
  headers[0].name = "Host";
  headers[0].value = "example.amazonaws.com";
  opts.region = "us-east-1";
  opts.service = "service";
  opts.access_key_id = "AKIDEXAMPLE";
  opts.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  opts.timestamp = 1440938160; /* 2015-08-30T12:36:00Z */
  CHECK(berth_sign_request(&req, "GET", "https://example.amazonaws.com/", headers, 1, NULL, 0,
                           &opts) == BERTH_OK);
  if (!req) return;
  CHECK(strcmp(berth_signed_request_signature(req),
               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") == 0);
  CHECK(strncmp(berth_signed_request_canonical_request(req), "GET\n/\n\nhost:", 12) == 0);
  n = berth_signed_request_header_count(req);
  CHECK(n == 3);
  for (i = 0; i < n; ++i) {
    CHECK(berth_signed_request_header_at(&name, &value, req, i) == BERTH_OK);
    if (strcmp(name, "Authorization") == 0) {
      found_auth = 1;
      CHECK(strstr(value, "SignedHeaders=host;x-amz-date") != NULL);
    }
  }
  CHECK(found_auth);
  CHECK(berth_signed_request_header_at(&name, &value, req, n) == BERTH_EINVAL);
  /* berth 0.2.0's order (outputs last), still exported for programs built against
   * its header: the same header as the new order gives. */
  {
    const char *name2 = NULL, *value2 = NULL;
    CHECK(berth_signed_request_header_at(&name, &value, req, 0) == BERTH_OK);
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
    CHECK(berth_signed_request_header(req, 0, &name2, &value2) == BERTH_OK);
    CHECK(berth_signed_request_header(req, n, &name2, &value2) == BERTH_EINVAL);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    CHECK(name2 != NULL && strcmp(name, name2) == 0 && strcmp(value, value2) == 0);
  }
  berth_signed_request_free(req);
  berth_signed_request_free(NULL);
}

static void test_sign_presign(void) {
  berth_sign_options opts;
  berth_signed_request *req = NULL;
  berth_sign_options_init(&opts, BERTH_SIGN_OPTIONS_VERSION);
  opts.region = "us-east-1";
  opts.service = "service";
  opts.access_key_id = "AKIDEXAMPLE";
  opts.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  opts.timestamp = 1440938160;
  opts.presign_expires = 3600;
  CHECK(berth_sign_request(&req, "GET", "https://example.amazonaws.com/", NULL, 0, NULL, 0,
                           &opts) == BERTH_OK);
  if (!req) return;
  CHECK(strcmp(berth_signed_request_signature(req),
               "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d") == 0);
  CHECK(strstr(berth_signed_request_url(req), "X-Amz-Signature=e93c787e") != NULL);
  berth_signed_request_free(req);
}

static void test_sign_rejects_bad_input(void) {
  berth_sign_options opts = BERTH_SIGN_OPTIONS_INIT;
  berth_signed_request *req = (berth_signed_request *)&opts; /* must be reset to NULL */
  opts.region = "us-east-1";
  opts.service = "s3";
  opts.access_key_id = "AKID";
  opts.secret_access_key = "secret";
  CHECK(berth_sign_request(&req, "GET", "ftp://example.com/", NULL, 0, NULL, 0, &opts) ==
        BERTH_EINVAL);
  CHECK(req == NULL);
  CHECK(strstr(berth_last_error()->message, "scheme") != NULL);
  opts.secret_access_key = NULL;
  CHECK(berth_sign_request(&req, "GET", "https://example.com/", NULL, 0, NULL, 0, &opts) ==
        BERTH_EINVAL);
  /* The error never echoes a secret. */
  opts.secret_access_key = "TOPSECRETVALUE";
  CHECK(berth_sign_request(&req, "GET", "https://example.com/", NULL, 0, NULL, 0, NULL) ==
        BERTH_EINVAL);
  CHECK(strstr(berth_last_error()->message, "TOPSECRETVALUE") == NULL);
}

int main(void) {
  test_versions();
  test_errors();
  test_sign_header_mode();
  test_sign_presign();
  test_sign_rejects_bad_input();
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
