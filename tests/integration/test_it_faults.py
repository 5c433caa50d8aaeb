"""Faults injected by stack.FaultProxy between berth and a real registry: dropped
connections mid-body, 503/429 with Retry-After, blob GETs redirected to storage."""

from __future__ import annotations

import json
import os

import pytest

import stack
from itlib import (layout_entry, make_layout_image, read_blob, skopeo_digest, tar_bytes,
                   verify_layout)

NO_TLS = ("--tls-verify=false",)
MiB = 1 << 20


@pytest.fixture(scope="module")
def medium_image(tmp_path_factory) -> dict:
    """One 3 MiB random layer (monolithic upload, long enough to cut mid-body)."""
    layout = str(tmp_path_factory.mktemp("medium") / "layout")
    desc = make_layout_image(layout, "v1", [tar_bytes({"rand.bin": os.urandom(3 * MiB)})],
                             gzip_layers=False)
    manifest = json.loads(read_blob(layout, desc["digest"]))
    return {"layout": layout, "ref": "oci:%s:v1" % layout, "digest": desc["digest"],
            "layer": manifest["layers"][0], "config": manifest["config"]}


def blob_path_re(digest: str) -> str:
    return r"/blobs/%s$" % digest


def test_blob_get_dropped_mid_body_resumes_with_range(plain_reg, medium_image, berth, repo,
                                                      proxy_for, tmp_path):
    berth.copy(medium_image["ref"], "docker://%s/%s:v1" % (plain_reg.hostport, repo))
    px = proxy_for(plain_reg)
    layer = medium_image["layer"]
    cut = 1 * MiB + 12345
    rule = px.drop_response("GET", blob_path_re(layer["digest"]), after_bytes=cut)
    out = str(tmp_path / "out")
    r = berth.copy("docker://%s/%s:v1" % (px.hostport, repo), "oci:%s:v1" % out)
    assert rule.hits == 1
    assert r.json["digest"] == medium_image["digest"]
    got = verify_layout(out, "v1")
    assert got["blobs"][layer["digest"]] == layer["size"]
    assert read_blob(out, layer["digest"]) == read_blob(medium_image["layout"], layer["digest"])

    gets = px.find("GET", blob_path_re(layer["digest"]))
    assert len(gets) == 2, gets
    assert gets[0]["action"] == "drop_response" and gets[0]["response_bytes"] == cut
    assert "range" not in gets[0]["headers"]
    # the second request asks for exactly the missing bytes, and gets only those
    assert gets[1]["headers"].get("range") == "bytes=%d-" % cut
    assert gets[1]["status"] == 206 and gets[1]["response_bytes"] == layer["size"] - cut


def test_manifest_get_dropped_mid_body_is_fetched_again(plain_reg, multi_image, berth, repo,
                                                        proxy_for, tmp_path):
    berth.copy(multi_image["ref"], "docker://%s/%s:m" % (plain_reg.hostport, repo))
    px = proxy_for(plain_reg)
    # the index and then a child manifest are cut off after 100 bytes, once each
    idx = px.drop_response("GET", r"/manifests/m$", after_bytes=100)
    child = px.drop_response("GET", r"/manifests/sha256:", after_bytes=100)
    out = str(tmp_path / "out")
    r = berth.copy("docker://%s/%s:m" % (px.hostport, repo), "oci:%s:m" % out)
    assert (idx.hits, child.hits) == (1, 1)
    assert r.json["digest"] == multi_image["index"]["digest"]
    assert verify_layout(out, "m")["digest"] == multi_image["index"]["digest"]
    gets = px.find("GET", r"/manifests/m$")
    assert [g["action"] for g in gets] == ["drop_response", "forward"]
    assert gets[1]["status"] == 200


def test_blob_get_dropped_during_registry_to_registry_copy(plain_reg, basic_reg, medium_image,
                                                           berth, repo, proxy_for):
    berth.copy(medium_image["ref"], "docker://%s/%s:v1" % (plain_reg.hostport, repo))
    px = proxy_for(plain_reg)
    layer = medium_image["layer"]
    px.drop_response("GET", blob_path_re(layer["digest"]), after_bytes=2 * MiB)
    dst = "%s/%s:v1" % (basic_reg.hostport, repo)
    r = berth.copy("docker://%s/%s:v1" % (px.hostport, repo), "docker://" + dst,
                   "--dest-creds", "%s:%s" % (basic_reg.username, basic_reg.password))
    assert r.json["digest"] == medium_image["digest"]
    st, _, body = basic_reg.request("GET", "/v2/%s/blobs/%s" % (repo, layer["digest"]))
    assert st == 200 and body == read_blob(medium_image["layout"], layer["digest"])
    gets = px.find("GET", blob_path_re(layer["digest"]))
    assert gets[0]["action"] == "drop_response" and len(gets) >= 2


def sent_upload_bytes(px: stack.FaultProxy, repo: str) -> int:
    """Body bytes of PATCH/PUT requests to upload sessions that reached the registry."""
    return sum(q["request_bytes"] for q in px.requests
               if q["method"] in ("PATCH", "PUT") and "/v2/%s/blobs/uploads/" % repo in q["path"]
               and q["action"] in ("forward", "drop_request", "delay"))


def test_patch_dropped_mid_body_push_completes(plain_reg, big_image, berth, repo, proxy_for):
    px = proxy_for(plain_reg)
    layer = big_image["layer"]
    config_size = json.loads(read_blob(big_image["layout"], big_image["digest"]))["config"]["size"]
    cut = 4 * MiB
    rule = px.drop_request("PATCH", r"/blobs/uploads/", after_bytes=cut)
    r = berth.copy(big_image["ref"], "docker://%s/%s:big" % (px.hostport, repo))
    assert rule.hits == 1
    assert r.json["digest"] == big_image["digest"]
    assert skopeo_digest("%s/%s:big" % (plain_reg.hostport, repo), *NO_TLS) == big_image["digest"]
    st, hdrs, _ = plain_reg.request("HEAD", "/v2/%s/blobs/%s" % (repo, layer["digest"]))
    assert st == 200 and int(hdrs["content-length"]) == layer["size"]
    patches = px.find("PATCH", "/v2/%s/blobs/uploads/" % repo)
    assert patches[0]["action"] == "drop_request" and patches[0]["request_bytes"] == cut
    # only the interrupted part was sent twice, not the whole blob again
    resent = sent_upload_bytes(px, repo) - layer["size"] - config_size
    assert 0 < resent < layer["size"], resent
    assert resent <= 16 * MiB


def test_patch_refused_resumes_from_the_reported_offset(plain_reg, big_image, berth, repo,
                                                        proxy_for):
    px = proxy_for(plain_reg)
    layer = big_image["layer"]
    # The first PATCH goes through; the second is answered 503 before any of it reaches
    # the registry, so the session stays valid and reports 16 MiB received.
    px.delay("PATCH", r"/blobs/uploads/", seconds=0, times=1)
    refused = px.fail("PATCH", r"/blobs/uploads/", status=503, times=1, retry_after=None)
    r = berth.copy(big_image["ref"], "docker://%s/%s:big" % (px.hostport, repo),
                   "--chunk-size", str(16 << 20))
    assert refused.hits == 1
    assert r.json["digest"] == big_image["digest"]
    patches = px.find("PATCH", "/v2/%s/blobs/uploads/" % repo)
    ranges = [(p["headers"]["content-range"], p["status"]) for p in patches]
    assert ranges[:3] == [("0-16777215", 202), ("16777216-33554431", 503),
                          ("16777216-33554431", 202)], ranges
    # berth asked the registry where the upload stood (GET on the session) in between
    status = [q for q in px.find("GET", "/v2/%s/blobs/uploads/" % repo)]
    assert len(status) == 1 and status[0]["status"] == 204
    assert status[0]["response_headers"]["range"] == "0-16777215"
    forwarded = sum(p["request_bytes"] for p in patches if p["action"] != "status")
    assert forwarded == layer["size"]  # not one byte sent twice to the registry
    assert skopeo_digest("%s/%s:big" % (plain_reg.hostport, repo), *NO_TLS) == big_image["digest"]


def test_first_patch_refused_resumes_from_zero(plain_reg, big_image, berth, repo, proxy_for):
    """distribution reports an empty session as "Range: 0-0" (the same as one byte):
    berth must go on from byte 0, in the same session."""
    px = proxy_for(plain_reg)
    layer = big_image["layer"]
    refused = px.fail("PATCH", r"/blobs/uploads/", status=503, times=1, retry_after=None)
    r = berth.copy(big_image["ref"], "docker://%s/%s:big" % (px.hostport, repo))
    assert refused.hits == 1
    assert r.json["digest"] == big_image["digest"]
    patches = px.find("PATCH", "/v2/%s/blobs/uploads/" % repo)
    ranges = [(p["headers"]["content-range"], p["status"]) for p in patches]
    whole = "0-%d" % (layer["size"] - 1)  # one streamed PATCH per blob
    assert ranges == [(whole, 503), (whole, 202)], ranges
    status = px.find("GET", "/v2/%s/blobs/uploads/" % repo)
    assert len(status) == 1 and status[0]["response_headers"]["range"] == "0-0"
    assert len({p["path"] for p in patches}) == 1  # one session throughout
    assert sum(p["request_bytes"] for p in patches if p["action"] != "status") == layer["size"]


def test_put_dropped_mid_body_push_completes(plain_reg, medium_image, berth, repo, proxy_for):
    px = proxy_for(plain_reg)
    layer = medium_image["layer"]
    rule = px.drop_request("PUT", r"/blobs/uploads/", query=layer["digest"].replace(":", "(:|%3A)"),
                           after_bytes=1 * MiB)
    r = berth.copy(medium_image["ref"], "docker://%s/%s:v1" % (px.hostport, repo))
    assert rule.hits == 1
    assert r.json["digest"] == medium_image["digest"]
    st, _, body = plain_reg.request("GET", "/v2/%s/blobs/%s" % (repo, layer["digest"]))
    assert st == 200 and body == read_blob(medium_image["layout"], layer["digest"])


def test_503_and_429_with_retry_after(plain_reg, small_image, berth, repo, proxy_for, tmp_path):
    px = proxy_for(plain_reg)
    digest = layout_entry(small_image["layout"], "v1")["digest"]
    # push: the manifest PUT answered 503 once, an upload POST 429 once
    put = px.fail("PUT", r"/manifests/", status=503, times=1, retry_after=1)
    post = px.throttle("POST", r"/blobs/uploads/", times=1, retry_after=1)
    # one blob at a time, so that the request after the 429 is its retry
    r = berth.copy(small_image["ref"], "docker://%s/%s:v1" % (px.hostport, repo), "--jobs", "1")
    assert (put.hits, post.hits) == (1, 1)
    assert r.json["digest"] == digest
    puts = px.find("PUT", "/manifests/v1$")
    assert [q["status"] for q in puts] == [503, 201]
    assert puts[1]["time"] - puts[0]["time"] >= 0.9  # Retry-After: 1 was honoured
    posts = px.find("POST", "/blobs/uploads/")
    assert posts[0]["status"] == 429 and all(q["status"] == 202 for q in posts[1:])
    assert posts[1]["time"] - posts[0]["time"] >= 0.9

    # pull: the manifest GET answered 503, a blob GET 429
    px.reset()
    layer = json.loads(read_blob(small_image["layout"], digest))["layers"][0]["digest"]
    m = px.fail("GET", r"/manifests/", status=503, times=1, retry_after=1)
    b = px.throttle("GET", blob_path_re(layer), times=1, retry_after=1)
    out = str(tmp_path / "out")
    r = berth.copy("docker://%s/%s:v1" % (px.hostport, repo), "oci:%s:v1" % out)
    assert (m.hits, b.hits) == (1, 1)
    assert verify_layout(out, "v1")["digest"] == digest
    gets = px.find("GET", blob_path_re(layer))
    assert [q["status"] for q in gets] == [429, 200]
    assert gets[1]["time"] - gets[0]["time"] >= 0.9


@pytest.mark.parametrize("kind", ["htpasswd", "token"])
def test_blob_redirect_to_storage_never_leaks_authorization(kind, basic_reg, token_reg,
                                                            medium_image, berth, repo, proxy_for,
                                                            tmp_path):
    reg = basic_reg if kind == "htpasswd" else token_reg
    creds = "%s:%s" % (reg.username, reg.password)
    berth.copy(medium_image["ref"], "docker://%s/%s:v1" % (reg.hostport, repo),
               "--dest-creds", creds)
    px = proxy_for(reg)
    px.redirect_blobs()
    out = str(tmp_path / "out")
    r = berth.copy("docker://%s/%s:v1" % (px.hostport, repo), "oci:%s:v1" % out,
                   "--src-creds", creds)
    assert r.json["digest"] == medium_image["digest"]
    got = verify_layout(out, "v1")
    assert read_blob(out, medium_image["layer"]["digest"]) == \
        read_blob(medium_image["layout"], medium_image["layer"]["digest"])
    assert len(got["blobs"]) == 3

    redirected = [q for q in px.requests if q["action"] == "redirect"]
    assert len(redirected) == 2  # config and layer
    # the registry side did get credentials (so there was something to leak) ...
    scheme = "Basic " if kind == "htpasswd" else "Bearer "
    assert all(q["headers"]["authorization"].startswith(scheme) for q in redirected)
    # ... and storage never saw them
    storage = px.storage_requests
    assert len(storage) == 2, storage
    assert all(not s["authorization"] and s["status"] == 200 for s in storage), storage
    assert all("authorization" not in s["headers"] for s in storage)
