/* berth_registry_login / berth_registry_logout from C99. Without a registry
 * (argv[1] only, a scratch directory): a login without the check writes the
 * config_path given (a new file 0600, auths[REGISTRY].auth = base64(USER:PASS),
 * other entries kept), logout removes it and says so once, and the arguments are
 * checked. With HOST:PORT USER PASSWORD of a registry asking for Basic auth
 * (argv[2..4], run_login_test.sh starts one): the checked login succeeds, a wrong
 * password is BERTH_EAUTH, nothing is written then, and the password is in no error. */
#define _POSIX_C_SOURCE 200112L
#include <berth.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "c_check.h"

static int contains(const char *haystack, const char *needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

static void base64(const char *in, char *out) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen(in), i, o = 0;
  const unsigned char *s = (const unsigned char *)in;
  for (i = 0; i + 2 < n; i += 3) {
    out[o++] = abc[s[i] >> 2];
    out[o++] = abc[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
    out[o++] = abc[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
    out[o++] = abc[s[i + 2] & 63];
  }
  if (n - i == 1) {
    out[o++] = abc[s[i] >> 2];
    out[o++] = abc[(s[i] & 3) << 4];
    out[o++] = '=';
    out[o++] = '=';
  } else if (n - i == 2) {
    out[o++] = abc[s[i] >> 2];
    out[o++] = abc[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
    out[o++] = abc[(s[i + 1] & 15) << 2];
    out[o++] = '=';
  }
  out[o] = '\0';
}

/* The file's bytes without white space (keys, hosts and base64 have none), so that
 * the layout of the JSON does not matter; "" when it cannot be read. */
static void read_compact(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "rb");
  size_t o = 0;
  int c;
  buf[0] = '\0';
  if (!f) return;
  while ((c = fgetc(f)) != EOF && o + 1 < size)
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') buf[o++] = (char)c;
  buf[o] = '\0';
  fclose(f);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

/* The last error must name none of the secrets. */
static void no_secret_in_error(const char *password) {
  const berth_error_info *e = berth_last_error();
  char encoded[512];
  CHECK(e->message[0] != '\0');
  CHECK(!contains(e->message, password));
  CHECK(!contains(e->request_id, password) && !contains(e->aws_code, password));
  base64(password, encoded);
  CHECK(!contains(e->message, encoded));
}

static void test_without_registry(const char *work) {
  const char *registry = "registry.example.com:5000";
  const char *user = "c-user", *password = "C-pa55:word!";
  char path[1024], other[1024], auth[256], needle[2048], text[4096];
  char *out = (char *)(void *)&failures;
  const char *at;
  berth_login_options o;
  struct stat st;

  CHECK(berth_login_options_init(&o, BERTH_LOGIN_OPTIONS_VERSION) == BERTH_OK);
  CHECK(o.version == 1 && o.registry == NULL && o.no_verify == 0 && o.timeout_ms == 0);
  o.no_verify = 1;

  /* A new file: written with mode 0600, holding base64(USER:PASS) under the registry. */
  snprintf(path, sizeof path, "%s/new/auth.json", work);
  CHECK(berth_registry_login(&out, registry, user, password, path, &o) == BERTH_OK);
  snprintf(needle, sizeof needle, "{\"path\":\"%s\"}", path);
  CHECK(out != NULL && strcmp(out, needle) == 0);
  berth_free(out);
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
  snprintf(auth, sizeof auth, "%s:%s", user, password);
  base64(auth, auth + 128);
  read_compact(path, text, sizeof text);
  snprintf(needle, sizeof needle, "\"auths\":{\"%s\":{\"auth\":\"%s\"}}", registry, auth + 128);
  CHECK(contains(text, needle));

  /* The same again replaces the entry; out_json may be NULL. */
  CHECK(berth_registry_login(NULL, registry, user, password, path, &o) == BERTH_OK);
  read_compact(path, text, sizeof text);
  CHECK(contains(text, needle));
  at = strstr(text, registry);
  CHECK(at != NULL && !contains(at + strlen(registry), registry)); /* once */

  /* Logout: removed once, then there is nothing to remove. */
  out = NULL;
  CHECK(berth_registry_logout(&out, registry, path) == BERTH_OK);
  CHECK(out != NULL && strcmp(out, "{\"removed\":true}") == 0);
  berth_free(out);
  read_compact(path, text, sizeof text);
  CHECK(!contains(text, registry));
  out = NULL;
  CHECK(berth_registry_logout(&out, registry, path) == BERTH_OK);
  CHECK(out != NULL && strcmp(out, "{\"removed\":false}") == 0);
  berth_free(out);
  CHECK(berth_registry_logout(NULL, registry, path) == BERTH_OK);

  /* No file at all: nothing removed, nothing made. */
  snprintf(other, sizeof other, "%s/none/config.json", work);
  out = NULL;
  CHECK(berth_registry_logout(&out, registry, other) == BERTH_OK);
  CHECK(out != NULL && strcmp(out, "{\"removed\":false}") == 0);
  berth_free(out);
  CHECK(stat(other, &st) != 0);

  /* An existing docker config keeps its other entries and settings. */
  snprintf(other, sizeof other, "%s/config.json", work);
  write_file(other, "{\"auths\":{\"other.example\":{\"auth\":\"b3RoZXI6eA==\"}},"
                    "\"credHelpers\":{\"x.example\":\"none\"}}\n");
  CHECK(berth_registry_login(NULL, registry, user, password, other, &o) == BERTH_OK);
  read_compact(other, text, sizeof text);
  CHECK(contains(text, "\"other.example\":{\"auth\":\"b3RoZXI6eA==\"}"));
  CHECK(contains(text, "\"credHelpers\":{\"x.example\":\"none\"}"));
  snprintf(needle, sizeof needle, "\"%s\":{\"auth\":\"%s\"}", registry, auth + 128);
  CHECK(contains(text, needle));
  CHECK(berth_registry_logout(&out, registry, other) == BERTH_OK);
  CHECK(out != NULL && strcmp(out, "{\"removed\":true}") == 0);
  berth_free(out);
  read_compact(other, text, sizeof text);
  CHECK(contains(text, "other.example") && !contains(text, registry));

  /* A file that is not JSON: BERTH_ECONFIG, left as it was. */
  write_file(other, "not json");
  out = (char *)(void *)&failures;
  CHECK(berth_registry_login(&out, registry, user, password, other, &o) == BERTH_ECONFIG);
  CHECK(out == NULL);
  no_secret_in_error(password);
  CHECK(berth_registry_logout(NULL, registry, other) == BERTH_ECONFIG);
  read_compact(other, text, sizeof text);
  CHECK(strcmp(text, "notjson") == 0);

  /* Arguments: registry, username and password are required; the out pointer is
   * NULL after a failure. */
  out = (char *)(void *)&failures;
  CHECK(berth_registry_login(&out, NULL, user, password, path, &o) == BERTH_EINVAL);
  CHECK(out == NULL && berth_last_error()->code == BERTH_EINVAL);
  CHECK(berth_registry_login(NULL, "", user, password, path, &o) == BERTH_EINVAL);
  CHECK(berth_registry_login(NULL, registry, NULL, password, path, &o) == BERTH_EINVAL);
  CHECK(berth_registry_login(NULL, registry, "", password, path, &o) == BERTH_EINVAL);
  CHECK(berth_registry_login(NULL, registry, "a:b", password, path, &o) == BERTH_EINVAL);
  no_secret_in_error(password);
  CHECK(berth_registry_login(NULL, registry, user, NULL, path, &o) == BERTH_EINVAL);
  CHECK(berth_registry_login(NULL, registry, user, "", path, &o) == BERTH_EINVAL);
  out = (char *)(void *)&failures;
  CHECK(berth_registry_logout(&out, NULL, path) == BERTH_EINVAL);
  CHECK(out == NULL);
  CHECK(berth_registry_logout(NULL, "", path) == BERTH_EINVAL);

  /* Options: the credentials are the call's (creds refused, not ignored); no
   * mirrors; versions checked; a negative time limit refused. */
  {
    berth_registry_options reg = BERTH_REGISTRY_OPTIONS_INIT;
    const char *mirrors[1] = {"docker.io=mirror.example"};
    o.registry = &reg;
    reg.creds = "someone:S3cret-creds";
    CHECK(berth_registry_login(NULL, registry, user, password, path, &o) == BERTH_EINVAL);
    CHECK(contains(berth_last_error()->message, "creds"));
    CHECK(!contains(berth_last_error()->message, "S3cret-creds"));
    reg.creds = NULL;
    reg.mirrors = mirrors;
    reg.n_mirrors = 1;
    CHECK(berth_registry_login(NULL, registry, user, password, path, &o) == BERTH_EINVAL);
    CHECK(contains(berth_last_error()->message, "mirrors"));
    reg.mirrors = NULL;
    reg.n_mirrors = 0;
    reg.plain_http = 1;
    CHECK(berth_registry_login(NULL, registry, user, password, path, &o) == BERTH_OK);
    o.registry = NULL;
    o.timeout_ms = -1;
    CHECK(berth_registry_login(NULL, registry, user, password, path, &o) == BERTH_EINVAL);
    o.timeout_ms = 0;
    o.version = BERTH_LOGIN_OPTIONS_VERSION + 1;
    CHECK(berth_registry_login(NULL, registry, user, password, path, &o) == BERTH_EINVAL);
    CHECK(contains(berth_last_error()->message, "version"));
    o.version = BERTH_LOGIN_OPTIONS_VERSION;
    CHECK(berth_login_options_init(&o, 0) == BERTH_EINVAL);
    CHECK(berth_login_options_init(NULL, BERTH_LOGIN_OPTIONS_VERSION) == BERTH_EINVAL);
  }

  /* No registry answers on a closed port: the check fails and nothing is written. */
  {
    berth_login_options checked = BERTH_LOGIN_OPTIONS_INIT;
    snprintf(other, sizeof other, "%s/unreached.json", work);
    checked.timeout_ms = 20000;
    CHECK(berth_registry_login(NULL, "127.0.0.1:1", user, password, other, &checked) ==
          BERTH_ENETWORK);
    no_secret_in_error(password);
    CHECK(stat(other, &st) != 0);
  }
}

static void test_with_registry(const char *work, const char *host, const char *user,
                               const char *password) {
  char path[1024], wrong[256], auth[256], encoded[256], needle[2048], text[4096];
  char *out = NULL;
  berth_login_options o = BERTH_LOGIN_OPTIONS_INIT;
  berth_registry_options reg = BERTH_REGISTRY_OPTIONS_INIT;
  struct stat st;
  reg.plain_http = 1;
  o.registry = &reg;
  o.timeout_ms = 60000;

  /* A wrong password: BERTH_EAUTH, the status, no password in the error, no file. */
  snprintf(path, sizeof path, "%s/checked/config.json", work);
  snprintf(wrong, sizeof wrong, "wrong-%s", password);
  out = (char *)(void *)&failures;
  CHECK(berth_registry_login(&out, host, user, wrong, path, &o) == BERTH_EAUTH);
  CHECK(out == NULL);
  CHECK(berth_last_error()->code == BERTH_EAUTH);
  CHECK(contains(berth_last_error()->message, host));
  no_secret_in_error(wrong);
  no_secret_in_error(password);
  CHECK(stat(path, &st) != 0);

  /* The right one (checked, the default): written. */
  CHECK(berth_registry_login(&out, host, user, password, path, &o) == BERTH_OK);
  snprintf(needle, sizeof needle, "{\"path\":\"%s\"}", path);
  CHECK(out != NULL && strcmp(out, needle) == 0);
  berth_free(out);
  snprintf(auth, sizeof auth, "%s:%s", user, password);
  base64(auth, encoded);
  read_compact(path, text, sizeof text);
  snprintf(needle, sizeof needle, "\"%s\":{\"auth\":\"%s\"}", host, encoded);
  CHECK(contains(text, needle));
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

  /* A wrong password later leaves the good entry alone. */
  CHECK(berth_registry_login(NULL, host, user, wrong, path, &o) == BERTH_EAUTH);
  read_compact(path, text, sizeof text);
  CHECK(contains(text, needle));

  out = NULL;
  CHECK(berth_registry_logout(&out, host, path) == BERTH_OK);
  CHECK(out != NULL && strcmp(out, "{\"removed\":true}") == 0);
  berth_free(out);
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 5) {
    fprintf(stderr, "usage: test_c_login WORK_DIR [HOST:PORT USER PASSWORD]\n");
    return 2;
  }
  test_without_registry(argv[1]);
  if (argc == 5) test_with_registry(argv[1], argv[2], argv[3], argv[4]);
  printf("%d checks, %d failures\n", checks, failures);
  return failures != 0;
}
