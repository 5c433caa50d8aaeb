"""berth copy against a plain (no auth, http) distribution registry."""

from __future__ import annotations

import json
import os

from itlib import (EXIT_FAILURE, OCI_INDEX, OCI_MANIFEST, layout_entry, read_blob, run,
                   registry_tags, sha256, skopeo_digest, skopeo_raw, verify_layout)

NO_TLS = ("--tls-verify=false",)
WRITES = ("PUT", "POST", "PATCH", "DELETE")


def image_blobs(layout: str, tag: str) -> dict[str, int]:
    """{digest: size} of the config and layers of an image in a layout."""
    m = json.loads(read_blob(layout, layout_entry(layout, tag)["digest"]))
    out = {m["config"]["digest"]: m["config"]["size"]}
    out.update({l["digest"]: l["size"] for l in m["layers"]})
    return out


def test_roundtrip_registry_layout_registry(plain_reg, small_image, berth, repo, tmp_path):
    src_digest = layout_entry(small_image["layout"], "v1")["digest"]
    blobs = image_blobs(small_image["layout"], "v1")
    assert len(blobs) == 3

    dst = "%s/%s:v1" % (plain_reg.hostport, repo)
    r = berth.copy(small_image["ref"], "docker://" + dst)
    assert r.json["digest"] == src_digest
    assert r.json["media_type"] == OCI_MANIFEST
    assert (r.json["blobs_copied"], r.json["blobs_skipped"], r.json["blobs_mounted"],
            r.json["manifests"]) == (3, 0, 0, 1)
    assert r.json["bytes_copied"] == sum(blobs.values())
    # skopeo sees exactly the manifest bytes berth pushed
    raw = skopeo_raw(dst, *NO_TLS)
    assert raw == read_blob(small_image["layout"], src_digest)
    assert sha256(raw) == src_digest

    # registry -> layout
    out = str(tmp_path / "pulled")
    r = berth.copy("docker://" + dst, "oci:%s:v1" % out)
    assert r.json["digest"] == src_digest
    got = verify_layout(out, "v1")
    assert got["digest"] == src_digest and got["media_type"] == OCI_MANIFEST
    assert set(got["blobs"]) == set(blobs) | {src_digest}
    for d in blobs:  # byte-identical, not merely "some blob with that name"
        assert read_blob(out, d) == read_blob(small_image["layout"], d)

    # layout -> another repository
    dst2 = "%s/%s-back:v2" % (plain_reg.hostport, repo)
    r = berth.copy("oci:%s:v1" % out, "docker://" + dst2)
    assert r.json["digest"] == src_digest
    assert skopeo_digest(dst2, *NO_TLS) == src_digest


def test_recopy_skips_blobs_and_noop_repush_does_nothing(plain_reg, small_image, berth, repo,
                                                         proxy_for, tmp_path):
    px = proxy_for(plain_reg)
    blobs = image_blobs(small_image["layout"], "v1")
    first = berth.copy(small_image["ref"], "docker://%s/%s:v1" % (px.hostport, repo))
    assert first.json["blobs_copied"] == 3

    # Same blobs under another tag: every blob is found by HEAD, none is sent again.
    px.clear_requests()
    again = berth.copy(small_image["ref"], "docker://%s/%s:v2" % (px.hostport, repo))
    assert (again.json["blobs_copied"], again.json["blobs_skipped"], again.json["manifests"],
            again.json["bytes_copied"]) == (0, 3, 1, 0)
    assert px.find("POST") == [] and px.find("PATCH") == []
    assert [r["path"] for r in px.find("PUT")] == ["/v2/%s/manifests/v2" % repo]
    assert sorted(r["path"].rsplit("/", 1)[1] for r in px.find("HEAD", "/blobs/")) == sorted(blobs)

    # The tag already points at this digest: nothing is written at all.
    px.clear_requests()
    noop = berth.copy(small_image["ref"], "docker://%s/%s:v1" % (px.hostport, repo))
    assert noop.json["digest"] == first.json["digest"]
    assert (noop.json["blobs_copied"], noop.json["blobs_skipped"], noop.json["manifests"],
            noop.json["bytes_copied"]) == (0, 0, 0, 0)
    writes = [r for r in px.requests if r["method"] in WRITES]
    assert writes == [], writes
    assert px.find("GET", "/blobs/") == []

    # Registry -> layout twice: the second run finds the tag in place and moves nothing.
    out = "oci:%s:v1" % (tmp_path / "out")
    assert berth.copy("docker://%s/%s:v1" % (px.hostport, repo), out).json["blobs_copied"] == 3
    px.clear_requests()
    r = berth.copy("docker://%s/%s:v1" % (px.hostport, repo), out)
    assert (r.json["blobs_copied"], r.json["manifests"]) == (0, 0)
    assert px.find("GET", "/blobs/") == []
    # ... and to a new tag of the same layout: blobs are already there.
    r = berth.copy("docker://%s/%s:v1" % (px.hostport, repo), "oci:%s:other" % (tmp_path / "out"))
    assert (r.json["blobs_copied"], r.json["blobs_skipped"], r.json["manifests"]) == (0, 3, 1)
    assert px.find("GET", "/blobs/") == []


def test_cross_repo_mount(plain_reg, small_image, berth, repo, proxy_for):
    px = proxy_for(plain_reg)
    src = "%s/%s-src:v1" % (px.hostport, repo)
    berth.copy(small_image["ref"], "docker://" + src)
    px.clear_requests()
    dst_repo = repo + "-dst"
    r = berth.copy("docker://" + src, "docker://%s/%s:v1" % (px.hostport, dst_repo))
    assert (r.json["blobs_mounted"], r.json["blobs_copied"], r.json["bytes_copied"]) == (3, 0, 0)
    posts = px.find("POST", "/v2/%s/blobs/uploads/" % dst_repo)
    assert len(posts) == 3
    for p in posts:
        assert "mount=sha256%3A" in p["query"] or "mount=sha256:" in p["query"], p["query"]
        assert "from=%s" % (repo + "-src") in p["query"].replace("%2F", "/"), p["query"]
        assert p["status"] == 201
    # mounted, not moved: no blob was read or uploaded
    assert px.find("GET", "/blobs/") == [] and px.find("PATCH") == []
    assert [q["path"] for q in px.find("PUT")] == ["/v2/%s/manifests/v1" % dst_repo]
    assert skopeo_digest("%s/%s:v1" % (plain_reg.hostport, dst_repo), *NO_TLS) == r.json["digest"]


def test_multiarch_index_whole_and_one_platform(plain_reg, multi_image, berth, repo, tmp_path):
    index_digest = multi_image["index"]["digest"]
    arm = multi_image["children"]["arm64"]
    amd = multi_image["children"]["amd64"]
    dst = "%s/%s:multi" % (plain_reg.hostport, repo)

    r = berth.copy(multi_image["ref"], "docker://" + dst)
    assert r.json["digest"] == index_digest and r.json["media_type"] == OCI_INDEX
    assert r.json["manifests"] == 3
    raw = skopeo_raw(dst, *NO_TLS)
    assert sha256(raw) == index_digest
    assert [(m["digest"], m["platform"]["architecture"]) for m in json.loads(raw)["manifests"]] \
        == [(amd["digest"], "amd64"), (arm["digest"], "arm64")]
    for child in (amd, arm):  # children are in the repository by digest
        assert skopeo_digest("%s/%s@%s" % (plain_reg.hostport, repo, child["digest"]),
                             *NO_TLS) == child["digest"]

    # The whole index back into a layout.
    out = str(tmp_path / "whole")
    r = berth.copy("docker://" + dst, "oci:%s:multi" % out)
    got = verify_layout(out, "multi")
    assert got["digest"] == index_digest and got["media_type"] == OCI_INDEX
    assert {amd["digest"], arm["digest"]} <= set(got["blobs"])

    # --platform: only the arm64 image, tagged by itself.
    arm_dst = "%s/%s-arm:v1" % (plain_reg.hostport, repo)
    r = berth.copy("docker://" + dst, "docker://" + arm_dst, "--platform", "linux/arm64")
    assert r.json["digest"] == arm["digest"] and r.json["media_type"] == OCI_MANIFEST
    assert r.json["manifests"] == 1
    assert skopeo_digest(arm_dst, *NO_TLS) == arm["digest"]
    st, _, _ = plain_reg.request("HEAD", "/v2/%s-arm/manifests/%s" % (repo, amd["digest"]),
                                 headers={"Accept": OCI_MANIFEST})
    assert st == 404  # the amd64 image did not come along
    cfg = json.loads(skopeo_raw(arm_dst, *NO_TLS))["config"]["digest"]
    st, _, body = plain_reg.request("GET", "/v2/%s-arm/blobs/%s" % (repo, cfg))
    assert st == 200 and json.loads(body)["architecture"] == "arm64"

    # --platform from a layout to a layout
    out2 = str(tmp_path / "arm")
    r = berth.copy(multi_image["ref"], "oci:%s:arm" % out2, "--platform", "linux/arm64")
    assert verify_layout(out2, "arm")["digest"] == arm["digest"]

    # A platform the index does not have is a clear error, and nothing is tagged.
    r = berth.copy(multi_image["ref"], "docker://%s/%s-none:v1" % (plain_reg.hostport, repo),
                   "--platform", "linux/s390x", check=False)
    assert r.returncode == EXIT_FAILURE, r.describe()
    assert "linux/s390x" in r.stderr and "platform" in r.stderr
    assert registry_tags_or_none(plain_reg, repo + "-none") is None


def registry_tags_or_none(reg, repo):
    st, _, body = reg.request("GET", "/v2/%s/tags/list" % repo)
    return None if st == 404 else json.loads(body).get("tags")


def test_tags_list(plain_reg, small_image, berth, repo, crane):
    for tag in ("v1", "v2", "latest"):
        berth.copy(small_image["ref"], "docker://%s/%s:%s" % (plain_reg.hostport, repo, tag))
    assert registry_tags(plain_reg, repo) == ["latest", "v1", "v2"]
    out = run(["skopeo", "list-tags", "--tls-verify=false", "docker://%s/%s" % (plain_reg.hostport, repo)])
    assert sorted(json.loads(out.stdout)["Tags"]) == ["latest", "v1", "v2"]
    out = run([crane, "ls", "--insecure", "%s/%s" % (plain_reg.hostport, repo)])
    assert sorted(out.stdout.split()) == ["latest", "v1", "v2"]


def test_big_layer_goes_up_in_one_streamed_patch(plain_reg, big_image, berth, repo, proxy_for,
                                                 tmp_path):
    """One request per blob: every PATCH is a round trip and a flush at the registry.
    --chunk-size splits it for proxies that cap request bodies."""
    px = proxy_for(plain_reg)
    layer = big_image["layer"]
    size = layer["size"]
    assert size > 40 << 20
    r = berth.copy(big_image["ref"], "docker://%s/%s:big" % (px.hostport, repo))
    assert r.json["digest"] == big_image["digest"]
    patches = px.find("PATCH", "/v2/%s/blobs/uploads/" % repo)
    assert [p["headers"].get("content-range") for p in patches] == ["0-%d" % (size - 1)]
    assert all(p["status"] == 202 for p in patches)
    assert sum(p["request_bytes"] for p in patches) == size  # each byte sent once
    # the session is closed with a PUT carrying the digest and no body
    fin = [q for q in px.find("PUT", "/blobs/uploads/") if layer["digest"] in q["query"]]
    assert len(fin) == 1 and fin[0]["request_bytes"] == 0 and fin[0]["status"] == 201

    # --chunk-size: PATCHes of that size, none larger
    chunk = 16 << 20
    r = berth.copy(big_image["ref"], "docker://%s/%s-chunked:big" % (px.hostport, repo),
                   "--chunk-size", str(chunk))
    assert r.json["digest"] == big_image["digest"]
    patches = px.find("PATCH", "/v2/%s-chunked/blobs/uploads/" % repo)
    expected = []
    off = 0
    while off < size:
        expected.append("%d-%d" % (off, min(off + chunk, size) - 1))
        off += chunk
    assert [p["headers"].get("content-range") for p in patches] == expected
    assert max(p["request_bytes"] for p in patches) <= chunk
    # the registry's own log saw the same
    log = plain_reg.log_text()
    assert log.count('"PATCH /v2/%s/blobs/uploads/' % repo) == 1
    assert log.count('"PATCH /v2/%s-chunked/blobs/uploads/' % repo) == len(expected)

    assert skopeo_digest("%s/%s:big" % (plain_reg.hostport, repo), *NO_TLS) == big_image["digest"]
    st, hdrs, _ = plain_reg.request("HEAD", "/v2/%s/blobs/%s" % (repo, layer["digest"]))
    assert st == 200 and int(hdrs["content-length"]) == size
    # and back down, verified
    out = str(tmp_path / "big")
    berth.copy("docker://%s/%s:big" % (plain_reg.hostport, repo), "oci:%s:big" % out)
    assert verify_layout(out, "big")["blobs"][layer["digest"]] == size
    assert os.path.getsize(os.path.join(out, "blobs", "sha256", layer["digest"][7:])) == size


def test_pull_to_plain_paths_is_read_by_skopeo_and_umoci(plain_reg, small_image, berth, repo,
                                                         tmp_path):
    """`berth pull REF out.tar` writes what docker load reads (a docker-archive) and
    `berth pull REF ./dir:TAG` an OCI layout: skopeo and umoci read them as such."""
    src = "%s/%s:v1" % (plain_reg.hostport, repo)
    berth.copy(small_image["ref"], "docker://" + src)
    digest = layout_entry(small_image["layout"], "v1")["digest"]
    run([berth.binary, "pull", "--quiet", src, "out.tar"], env=berth.env, cwd=str(tmp_path))
    cfg = json.loads(run(["skopeo", "inspect", "--config",
                          "docker-archive:%s" % (tmp_path / "out.tar")]).stdout)
    assert cfg["rootfs"]["type"] == "layers"
    r = run([berth.binary, "pull", "--quiet", src, "./dir:v1"], env=berth.env,
            cwd=str(tmp_path))
    assert r.stdout.strip() == digest
    assert layout_entry(str(tmp_path / "dir"), "v1")["digest"] == digest
    run(["umoci", "unpack", "--rootless", "--image", "%s/dir:v1" % tmp_path,
         str(tmp_path / "bundle")])
    assert (tmp_path / "bundle" / "rootfs").is_dir()
