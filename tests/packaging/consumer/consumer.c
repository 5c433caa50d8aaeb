/* Uses the installed C ABI only. */
#include <berth.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  berth_sign_options opts = BERTH_SIGN_OPTIONS_INIT;
  berth_signed_request *req = NULL;
  int rc;
  if (berth_abi_version() != BERTH_ABI_VERSION) return 1;
  opts.region = "us-east-1";
  opts.service = "service";
  opts.access_key_id = "AKIDEXAMPLE";
  opts.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  opts.timestamp = 1440938160;
  rc = berth_sign_request(&req, "GET", "https://example.amazonaws.com/", NULL, 0, NULL, 0, &opts);
  if (rc != BERTH_OK) return 1;
  rc = strcmp(berth_signed_request_signature(req),
              "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  berth_signed_request_free(req);
  printf("consumer_c: berth %s, signature %s\n", berth_version_string(), rc == 0 ? "ok" : "WRONG");
  return rc == 0 ? 0 : 1;
}
