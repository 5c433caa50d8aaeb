"""berth login / logout against real registries (htpasswd and a token service), read
back by skopeo and by berth itself: the credentials are checked first (a wrong password
writes nothing), written where docker and skopeo read them (0600, other entries kept,
REGISTRY_AUTH_FILE honoured), and removed again by logout."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat

from itlib import EXIT_AUTH, layout_entry, run


def login(berth, reg, password: str, *args: str, env: dict | None = None, check=True):
    e = dict(berth.env)
    e.update(env or {})
    return run([berth.binary, "login", reg.hostport, "-u", reg.username, "--password-stdin",
                *args], env=e, input=password + "\n", check=check)


def config(berth) -> dict:
    with open(os.path.join(berth.env["DOCKER_CONFIG"], "config.json")) as f:
        return json.load(f)


def test_login_checks_writes_and_logout_removes(basic_reg, token_reg, small_image, berth,
                                                repo):
    os.makedirs(berth.env["DOCKER_CONFIG"], exist_ok=True)
    path = os.path.join(berth.env["DOCKER_CONFIG"], "config.json")
    with open(path, "w") as f:  # what was there stays
        json.dump({"auths": {"other.example": {"auth": "eDp5"}}, "credsStore": ""}, f)

    # A wrong password: refused by the registry, nothing written, the auth exit code.
    r = login(berth, basic_reg, "Wr0ng-Pa55", check=False)
    assert r.returncode == EXIT_AUTH, r.describe()
    assert "user '%s' were rejected" % basic_reg.username in r.stderr, r.stderr
    assert "Wr0ng-Pa55" not in r.stderr
    assert basic_reg.hostport not in config(berth)["auths"]

    for reg in (basic_reg, token_reg):
        r = login(berth, reg, reg.password)
        assert "Login Succeeded" in r.stderr and r.stdout == "", r.describe()
        entry = config(berth)["auths"][reg.hostport]
        assert base64.b64decode(entry["auth"]).decode() == "%s:%s" % (reg.username, reg.password)
    assert config(berth)["auths"]["other.example"] == {"auth": "eDp5"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644  # an existing file's mode, as docker

    # berth and skopeo both use what login wrote, with no credentials flag.
    dst = "%s/%s:v1" % (basic_reg.hostport, repo)
    berth.copy(small_image["ref"], "docker://" + dst)
    out = run(["skopeo", "inspect", "--tls-verify=false", "--authfile", path, "--raw",
               "docker://" + dst])
    digest = layout_entry(small_image["layout"], "v1")["digest"]
    assert "sha256:" + hashlib.sha256(out.stdout.encode()).hexdigest() == digest
    assert berth.copy("docker://" + dst, "docker://%s/%s-2:v1" % (
        token_reg.hostport, repo)).json["digest"] == digest

    r = run([berth.binary, "logout", basic_reg.hostport], env=berth.env)
    assert "Removed login credentials" in r.stderr
    assert basic_reg.hostport not in config(berth)["auths"]
    assert token_reg.hostport in config(berth)["auths"]
    r = run([berth.binary, "logout", basic_reg.hostport], env=berth.env)
    assert "Not logged in" in r.stderr
    r = berth.copy(small_image["ref"], "docker://" + dst, check=False)
    assert r.returncode == EXIT_AUTH, r.describe()


def test_login_writes_registry_auth_file_when_set(basic_reg, berth, tmp_path):
    auth_file = str(tmp_path / "containers" / "auth.json")
    login(berth, basic_reg, basic_reg.password, env={"REGISTRY_AUTH_FILE": auth_file})
    with open(auth_file) as f:
        assert basic_reg.hostport in json.load(f)["auths"]
    assert stat.S_IMODE(os.stat(auth_file).st_mode) == 0o600  # a new file holding a password
    assert not os.path.exists(os.path.join(berth.env["DOCKER_CONFIG"], "config.json"))


def test_login_usage(basic_reg, berth):
    r = run([berth.binary, "login", basic_reg.hostport], env=berth.env, check=False)
    assert r.returncode == 2 and "needs -u USER" in r.stderr
    r = run([berth.binary, "login", basic_reg.hostport, "-u", "x"], env=berth.env, check=False,
            input="")
    assert r.returncode == 2 and "--password-stdin" in r.stderr
