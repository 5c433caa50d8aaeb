"""Basic auth (htpasswd) with credentials from flags, docker config.json and a real
credential helper."""

from __future__ import annotations

import base64
import json
import os
import stat

import secret_scan  # tests/servers
from itlib import EXIT_AUTH, EXIT_USAGE, layout_entry, run, skopeo_digest, verify_layout


def creds(reg) -> str:
    return "%s:%s" % (reg.username, reg.password)


def skopeo_creds(reg) -> tuple[str, ...]:
    return ("--tls-verify=false", "--creds", creds(reg))


def write_docker_config(home: str, cfg: dict) -> str:
    d = os.path.join(home, ".docker")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "config.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def test_creds_flags_push_and_pull(basic_reg, small_image, berth, repo, tmp_path):
    digest = layout_entry(small_image["layout"], "v1")["digest"]
    dst = "%s/%s:v1" % (basic_reg.hostport, repo)
    r = berth.copy(small_image["ref"], "docker://" + dst, "--dest-creds", creds(basic_reg))
    assert r.json["digest"] == digest and r.json["blobs_copied"] == 3
    assert skopeo_digest(dst, *skopeo_creds(basic_reg)) == digest

    out = str(tmp_path / "out")
    r = berth.copy("docker://" + dst, "oci:%s:v1" % out, "--src-creds", creds(basic_reg))
    assert verify_layout(out, "v1")["digest"] == digest

    # registry -> registry on the same host with both flags: a mount
    r = berth.copy("docker://" + dst, "docker://%s/%s-2:v1" % (basic_reg.hostport, repo),
                   "--src-creds", creds(basic_reg), "--dest-creds", creds(basic_reg))
    assert r.json["blobs_mounted"] == 3


def test_wrong_password_is_an_auth_error(basic_reg, small_image, berth, repo, tmp_path):
    dst = "docker://%s/%s:v1" % (basic_reg.hostport, repo)
    r = berth.copy(small_image["ref"], dst, "--dest-creds", basic_reg.username + ":Wr0ng-Pa55",
                   check=False)
    assert r.returncode == EXIT_AUTH, r.describe()
    err = r.stderr.lower()
    assert "401" in err and "unauthorized" in err, r.stderr
    assert "user '%s' were rejected" % basic_reg.username in r.stderr, r.stderr
    assert "Wr0ng-Pa55" not in r.stderr  # never echo the password
    # no credentials at all: the same exit code
    r = berth.copy(small_image["ref"], dst, check=False)
    assert r.returncode == EXIT_AUTH, r.describe()
    assert "no credentials configured for %s" % basic_reg.hostport in r.stderr, r.stderr
    assert "berth login %s -u USER --password-stdin" % basic_reg.hostport in r.stderr
    # pulling with a wrong password fails as clearly
    r = berth.copy(dst, "oci:%s:v1" % (tmp_path / "x"), "--src-creds", "nobody:nothing",
                   check=False)
    assert r.returncode == EXIT_AUTH, r.describe()
    assert "nothing" not in r.stderr
    st, _, _ = basic_reg.request("GET", "/v2/%s/tags/list" % repo)
    assert st == 404  # nothing was written


def test_credentials_from_docker_config(basic_reg, small_image, berth, repo):
    auth = base64.b64encode(creds(basic_reg).encode()).decode()
    write_docker_config(berth.home, {"auths": {basic_reg.hostport: {"auth": auth}}})
    dst = "%s/%s:v1" % (basic_reg.hostport, repo)
    r = berth.copy(small_image["ref"], "docker://" + dst)
    assert r.json["blobs_copied"] == 3
    assert skopeo_digest(dst, *skopeo_creds(basic_reg)) == r.json["digest"]

    # a wrong entry in the file gives the auth exit code
    bad = base64.b64encode(b"testuser:nope").decode()
    write_docker_config(berth.home, {"auths": {basic_reg.hostport: {"auth": bad}}})
    r = berth.copy(small_image["ref"], "docker://%s/%s:v2" % (basic_reg.hostport, repo),
                   check=False)
    assert r.returncode == EXIT_AUTH, r.describe()
    # --dest-creds overrides the file
    r = berth.copy(small_image["ref"], "docker://%s/%s:v2" % (basic_reg.hostport, repo),
                   "--dest-creds", creds(basic_reg))
    assert r.json["blobs_skipped"] == 3


def test_credentials_from_credential_helper(basic_reg, small_image, berth, repo, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "helper.log"
    helper = bindir / "docker-credential-xyz"
    helper.write_text(
        "#!/bin/sh\n"
        "# A docker credential helper: 'get' reads the server URL on stdin.\n"
        "read server\n"
        "echo \"$* $server\" >> '%s'\n"
        "if [ \"$1\" = get ] && [ \"$server\" = '%s' ]; then\n"
        "  printf '{\"ServerURL\":\"%%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}' \"$server\"\n"
        "  exit 0\n"
        "fi\n"
        "echo 'credentials not found in native keychain'\n"
        "exit 1\n" % (log, basic_reg.hostport, basic_reg.username, basic_reg.password))
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
    write_docker_config(berth.home, {"credHelpers": {basic_reg.hostport: "xyz"},
                                     "auths": {basic_reg.hostport: {
                                         "auth": base64.b64encode(b"testuser:stale").decode()}}})
    env = {"PATH": "%s:%s" % (bindir, os.environ["PATH"])}
    dst = "%s/%s:v1" % (basic_reg.hostport, repo)
    r = berth.copy(small_image["ref"], "docker://" + dst, env=env)
    assert r.json["blobs_copied"] == 3
    assert skopeo_digest(dst, *skopeo_creds(basic_reg)) == r.json["digest"]
    calls = log.read_text().splitlines()
    assert calls and all(c == "get " + basic_reg.hostport for c in calls), calls
    for c in calls:  # what berth put on the helper's command line: never a secret
        secret_scan.record_argv(c.split(" ")[:-1], "docker-credential-xyz")

    # the helper is the source of truth: one that knows nothing means no credentials
    write_docker_config(berth.home, {"credHelpers": {basic_reg.hostport: "xyz"}})
    helper.write_text("#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n")
    r = berth.copy(small_image["ref"], "docker://%s/%s:v2" % (basic_reg.hostport, repo),
                   env=env, check=False)
    assert r.returncode == EXIT_AUTH, r.describe()

    # a helper that is not installed is reported by name
    write_docker_config(berth.home, {"credHelpers": {basic_reg.hostport: "missing-helper"}})
    r = berth.copy(small_image["ref"], "docker://%s/%s:v2" % (basic_reg.hostport, repo),
                   env=env, check=False)
    assert r.returncode == EXIT_AUTH, r.describe()
    assert "docker-credential-missing-helper" in r.stderr


def test_creds_from_a_file_and_from_the_environment(basic_reg, small_image, berth, repo,
                                                     tmp_path):
    """--*-creds-file FILE and --*-creds-env VAR give USER:PASS without putting it on
    the command line; what cannot be read is a credentials error (3) naming the file
    or variable, never what it holds."""
    secret = creds(basic_reg)
    digest = layout_entry(small_image["layout"], "v1")["digest"]
    dst = "%s/%s:v1" % (basic_reg.hostport, repo)
    creds_file = tmp_path / "creds"
    creds_file.write_text(secret + "\n")  # as `echo USER:PASS > FILE` writes it
    creds_file.chmod(0o600)
    r = berth.copy(small_image["ref"], "docker://" + dst, "--dest-creds-file", str(creds_file))
    assert r.json["digest"] == digest and r.json["blobs_copied"] == 3
    assert skopeo_digest(dst, *skopeo_creds(basic_reg)) == digest
    r = berth.copy("docker://" + dst, "oci:%s:v1" % (tmp_path / "out"), "--src-creds-env",
                   "REG_CREDS", env={"REG_CREDS": secret})
    assert verify_layout(str(tmp_path / "out"), "v1")["digest"] == digest
    for args, env in ((("--creds-file", str(creds_file)), {}),
                      (("--creds-env", "REG_CREDS"), {"REG_CREDS": secret})):
        r = run([berth.binary, "manifest", *args, dst], env=dict(berth.env, **env), check=False)
        assert r.returncode == 0 and json.loads(r.stdout)["layers"], r.describe()
        assert basic_reg.password not in r.stdout + r.stderr  # nothing echoes the secret

    def refused(*args: str, env: dict | None = None):
        r = berth.copy(small_image["ref"], "docker://%s/%s:v2" % (basic_reg.hostport, repo),
                       *args, env=env, check=False)
        assert basic_reg.password not in r.stderr
        return r

    missing = tmp_path / "no-such-file"
    r = refused("--dest-creds-file", str(missing))
    assert r.returncode == EXIT_AUTH, r.describe()
    assert "--dest-creds-file %s: cannot read it" % missing in r.stderr, r.stderr
    r = refused("--dest-creds-env", "REG_CREDS_UNSET")
    assert r.returncode == EXIT_AUTH, r.describe()
    assert "--dest-creds-env REG_CREDS_UNSET: the variable is not set" in r.stderr, r.stderr
    no_colon = tmp_path / "no-colon"
    no_colon.write_text("Sup3r-Secret-Token\n")
    r = refused("--dest-creds-file", str(no_colon))
    assert r.returncode == EXIT_AUTH and "does not hold USER:PASS" in r.stderr, r.describe()
    assert "Sup3r-Secret-Token" not in r.stderr
    r = refused("--dest-creds-env", "REG_CREDS", env={"REG_CREDS": basic_reg.username + ":Wr0ng"})
    assert r.returncode == EXIT_AUTH and "Wr0ng" not in r.stderr, r.describe()
    r = refused("--dest-creds", secret, "--dest-creds-file", str(creds_file))
    assert r.returncode == EXIT_USAGE and "give one of them" in r.stderr, r.describe()


def test_authfile_replaces_the_default_files(basic_reg, small_image, berth, repo, tmp_path):
    """--authfile FILE (skopeo's) is read instead of docker's config.json and
    auth.json, not as well."""
    good = {"auths": {basic_reg.hostport: {
        "auth": base64.b64encode(creds(basic_reg).encode()).decode()}}}
    authfile = tmp_path / "auth.json"
    authfile.write_text(json.dumps(good))
    dst = "docker://%s/%s:v1" % (basic_reg.hostport, repo)
    r = berth.copy(small_image["ref"], dst, "--authfile", str(authfile))
    assert r.json["blobs_copied"] == 3
    r = run([berth.binary, "inspect", "--authfile", str(authfile), dst], env=berth.env)
    # The default file has the login; an --authfile without one is used instead of it.
    write_docker_config(berth.home, good)
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    r = berth.copy(small_image["ref"], dst, "--authfile", str(empty), check=False)
    assert r.returncode == EXIT_AUTH, r.describe()
    r = berth.copy(small_image["ref"], dst, "--authfile", str(tmp_path / "absent.json"),
                   check=False)
    assert r.returncode == EXIT_AUTH and "--authfile %s: cannot read it" % (
        tmp_path / "absent.json") in r.stderr, r.describe()
