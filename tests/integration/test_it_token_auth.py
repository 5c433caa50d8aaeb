"""Bearer token auth through the test token server (distribution's token spec)."""

from __future__ import annotations

from itlib import (EXIT_AUTH, layout_entry, make_layout_image, skopeo_digest, tar_bytes,
                   verify_layout)


def creds(reg) -> str:
    return "%s:%s" % (reg.username, reg.password)


def scopes_of(requests: list[dict]) -> list[set[str]]:
    return [set(r["scopes"]) for r in requests]


def test_push_pull_with_token_reuse(token_reg, berth, repo, tmp_path):
    ts = token_reg.token_server
    # Six layers: eight blobs in all, each one HEADed, POSTed and PUT.
    layout = str(tmp_path / "six")
    desc = make_layout_image(layout, "v1", [tar_bytes({"f%d" % i: b"layer %d\n" % i * 50})
                                            for i in range(6)])
    ts.clear_requests()
    dst = "%s/%s:v1" % (token_reg.hostport, repo)
    r = berth.copy("oci:%s:v1" % layout, "docker://" + dst, "--dest-creds", creds(token_reg))
    assert r.json["digest"] == desc["digest"] and r.json["blobs_copied"] == 7
    reqs = ts.requests
    assert all(q["status"] == 200 and q["username"] == token_reg.username for q in reqs), reqs
    # A token per scope set (pull for the HEADs, pull,push for the uploads), each reused
    # for every blob: far fewer token requests than the 7 blobs x 3 requests.
    push_scope = "repository:%s:pull,push" % repo
    assert any(push_scope in q["scopes"] for q in reqs), reqs
    assert all(set(q["scopes"]) <= {push_scope, "repository:%s:pull" % repo} for q in reqs), reqs
    assert 1 <= len(reqs) <= 3, reqs
    granted = [g for q in reqs for g in q["granted"]]
    assert {"type": "repository", "name": repo, "actions": ["pull", "push"]} in granted

    assert skopeo_digest(dst, "--tls-verify=false", "--creds", creds(token_reg)) == desc["digest"]

    ts.clear_requests()
    out = str(tmp_path / "out")
    r = berth.copy("docker://" + dst, "oci:%s:v1" % out, "--src-creds", creds(token_reg))
    assert verify_layout(out, "v1")["digest"] == desc["digest"]
    assert r.json["blobs_copied"] == 7
    reqs = ts.requests
    assert 1 <= len(reqs) <= 2, reqs
    assert all(q["scopes"] == ["repository:%s:pull" % repo] for q in reqs), reqs


def test_mount_asks_pull_on_the_source(token_reg, small_image, berth, repo):
    ts = token_reg.token_server
    src = "%s/%s-src:v1" % (token_reg.hostport, repo)
    berth.copy(small_image["ref"], "docker://" + src, "--dest-creds", creds(token_reg))
    ts.clear_requests()
    r = berth.copy("docker://" + src, "docker://%s/%s-dst:v1" % (token_reg.hostport, repo),
                   "--src-creds", creds(token_reg), "--dest-creds", creds(token_reg))
    assert r.json["blobs_mounted"] == 3 and r.json["blobs_copied"] == 0
    wanted = {"repository:%s-dst:pull,push" % repo, "repository:%s-src:pull" % repo}
    mount_reqs = [q for q in ts.requests if wanted <= set(q["scopes"])]
    assert mount_reqs, scopes_of(ts.requests)
    granted = {(g["name"], tuple(g["actions"])) for g in mount_reqs[0]["granted"]}
    assert {(repo + "-dst", ("pull", "push")), (repo + "-src", ("pull",))} <= granted
    assert len(ts.requests) <= 4, scopes_of(ts.requests)


def test_bad_password_and_missing_scope(token_reg, small_image, berth, repo):
    ts = token_reg.token_server
    ts.clear_requests()
    dst = "docker://%s/%s:v1" % (token_reg.hostport, repo)
    r = berth.copy(small_image["ref"], dst, "--dest-creds", token_reg.username + ":Wr0ng-Pa55",
                   check=False)
    assert r.returncode == EXIT_AUTH, r.describe()
    assert "user '%s' were rejected" % token_reg.username in r.stderr, r.stderr
    assert "Wr0ng-Pa55" not in r.stderr
    assert ts.requests and ts.requests[0]["status"] == 401

    # A user allowed to pull only: the push is refused with the auth exit code.
    ts.add_user("reader", {"password": "readpass", "access": {"*": ["pull"]}})
    r = berth.copy(small_image["ref"], dst, "--dest-creds", "reader:readpass", check=False)
    assert r.returncode == EXIT_AUTH, r.describe()
    assert "user 'reader' is not granted repository:%s:" % repo in r.stderr, r.stderr
    # nothing was pushed: the repository does not exist
    pull = ts.mint(token_reg.username, [{"type": "repository", "name": repo, "actions": ["pull"]}])
    st, _, body = token_reg.request("GET", "/v2/%s/tags/list" % repo,
                                    headers={"Authorization": "Bearer " + pull})
    assert st == 404 and b"NAME_UNKNOWN" in body, (st, body)
    berth.copy(small_image["ref"], dst, "--dest-creds", creds(token_reg))
    r = berth.copy(dst, "oci:%s:v1" % (berth.home + "/pulled"), "--src-creds", "reader:readpass")
    assert r.json["digest"] == layout_entry(small_image["layout"], "v1")["digest"]
