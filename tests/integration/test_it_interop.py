"""Interop with independent peers: what berth writes, skopeo, crane and umoci read
(and the reverse), with equal digests."""

from __future__ import annotations

import gzip
import json
import os

from itlib import (layout_entry, layout_index, read_blob, run, sha256, skopeo_digest,
                   skopeo_raw, tar_bytes, verify_layout)

NO_TLS = ("--tls-verify=false",)
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


def crane_digest(crane: str, ref: str) -> str:
    return run([crane, "digest", "--insecure", ref]).stdout.strip()


def test_berth_push_read_by_skopeo(plain_reg, small_image, multi_image, berth, repo, tmp_path):
    digest = layout_entry(small_image["layout"], "v1")["digest"]
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    berth.copy(small_image["ref"], "docker://" + ref)
    info = json.loads(run(["skopeo", "inspect", *NO_TLS, "docker://" + ref]).stdout)
    assert info["Digest"] == digest and len(info["Layers"]) == 2
    # skopeo pulls every blob berth pushed, verifying digests as it goes
    out = str(tmp_path / "sk")
    run(["skopeo", "copy", "--src-tls-verify=false", "docker://" + ref, "oci:%s:v1" % out])
    assert verify_layout(out, "v1")["digest"] == digest

    mref = "%s/%s-multi:m" % (plain_reg.hostport, repo)
    berth.copy(multi_image["ref"], "docker://" + mref)
    assert skopeo_digest(mref, *NO_TLS) == multi_image["index"]["digest"]
    out = str(tmp_path / "skm")
    run(["skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + mref, "oci:%s:m" % out])
    assert verify_layout(out, "m")["digest"] == multi_image["index"]["digest"]


def test_berth_push_read_by_crane(plain_reg, small_image, multi_image, berth, repo, crane):
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    r = berth.copy(small_image["ref"], "docker://" + ref)
    assert crane_digest(crane, ref) == r.json["digest"]
    raw = run([crane, "manifest", "--insecure", ref]).stdout.encode()
    assert sha256(raw) == r.json["digest"]
    run([crane, "validate", "--insecure", "--remote", ref])  # downloads and digests all

    mref = "%s/%s-multi:m" % (plain_reg.hostport, repo)
    r = berth.copy(multi_image["ref"], "docker://" + mref)
    assert crane_digest(crane, mref) == multi_image["index"]["digest"]
    arm = run([crane, "digest", "--insecure", "--platform", "linux/arm64", mref]).stdout.strip()
    assert arm == multi_image["children"]["arm64"]["digest"]
    run([crane, "validate", "--insecure", "--remote", mref])


def test_skopeo_push_copied_by_berth(plain_reg, small_image, berth, repo, tmp_path):
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    # skopeo converts to docker schema2 on the way in: the digest is skopeo's, not the layout's
    run(["skopeo", "copy", "--dest-tls-verify=false", "--format", "v2s2", small_image["ref"],
         "docker://" + ref])
    digest = skopeo_digest(ref, *NO_TLS)
    assert json.loads(skopeo_raw(ref, *NO_TLS))["mediaType"] == DOCKER_MANIFEST
    out = str(tmp_path / "out")
    r = berth.copy("docker://" + ref, "oci:%s:v1" % out)
    assert r.json["digest"] == digest and r.json["media_type"] == DOCKER_MANIFEST
    got = verify_layout(out, "v1")
    assert got["digest"] == digest and got["media_type"] == DOCKER_MANIFEST
    r = berth.copy("oci:%s:v1" % out, "docker://%s/%s-again:v1" % (plain_reg.hostport, repo))
    assert skopeo_digest("%s/%s-again:v1" % (plain_reg.hostport, repo), *NO_TLS) == digest


def test_crane_push_copied_by_berth(plain_reg, berth, repo, tmp_path, crane):
    layers = []
    for arch in ("amd64", "arm64"):
        tgz = tmp_path / ("%s.tar.gz" % arch)
        tgz.write_bytes(gzip.compress(tar_bytes({"etc/arch": arch.encode() + b"\n"}), mtime=0))
        layers.append(str(tgz))
    refs = []
    for arch, layer in zip(("amd64", "arm64"), layers):
        ref = "%s/%s:%s" % (plain_reg.hostport, repo, arch)
        run([crane, "append", "--insecure", "-f", layer, "-t", ref])  # docker media types
        run([crane, "mutate", "--insecure", "--set-platform", "linux/" + arch, ref])
        assert json.loads(run([crane, "config", "--insecure", ref]).stdout)["architecture"] == arch
        refs.append(ref)
    lref = "%s/%s:list" % (plain_reg.hostport, repo)
    run([crane, "index", "append", "--insecure", "--docker-empty-base", "-m", refs[0], "-m",
         refs[1], "-t", lref])
    list_digest = crane_digest(crane, lref)
    raw = json.loads(run([crane, "manifest", "--insecure", lref]).stdout)
    assert raw["mediaType"] == DOCKER_LIST
    assert [m["platform"]["architecture"] for m in raw["manifests"]] == ["amd64", "arm64"]

    out = str(tmp_path / "out")
    r = berth.copy("docker://" + lref, "oci:%s:list" % out)
    assert r.json["digest"] == list_digest and r.json["media_type"] == DOCKER_LIST
    assert r.json["manifests"] == 3
    verify_layout(out, "list")
    # to another repository (mounted) and one platform to a third
    r = berth.copy("docker://" + lref, "docker://%s/%s-copy:list" % (plain_reg.hostport, repo))
    assert r.json["blobs_mounted"] == 4
    assert crane_digest(crane, "%s/%s-copy:list" % (plain_reg.hostport, repo)) == list_digest
    arm = run([crane, "digest", "--insecure", "--platform", "linux/arm64", lref]).stdout.strip()
    r = berth.copy("docker://" + lref, "docker://%s/%s-arm:v1" % (plain_reg.hostport, repo),
                   "--platform", "linux/arm64")
    assert r.json["digest"] == arm and r.json["media_type"] == DOCKER_MANIFEST
    run([crane, "validate", "--insecure", "--remote", "%s/%s-arm:v1" % (plain_reg.hostport, repo)])


def test_berth_layout_opens_in_umoci_and_crane(plain_reg, small_image, berth, repo, tmp_path,
                                               crane):
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    digest = berth.copy(small_image["ref"], "docker://" + ref).json["digest"]
    out = str(tmp_path / "layout")
    berth.copy("docker://" + ref, "oci:%s:v1" % out)

    stat = json.loads(run(["umoci", "stat", "--json", "--image", "%s:v1" % out]).stdout)
    assert len(stat["history"]) == 2
    bundle = str(tmp_path / "bundle")
    rootless = ["--rootless"] if os.geteuid() != 0 else []
    run(["umoci", "unpack", *rootless, "--image", "%s:v1" % out, bundle])
    with open(os.path.join(bundle, "rootfs", "layer0", "hello.txt")) as f:
        assert f.read() == "hello from berth\n"

    dst = "%s/%s-crane:v1" % (plain_reg.hostport, repo)
    run([crane, "push", "--insecure", out, dst])
    assert crane_digest(crane, dst) == digest
    assert sha256(run([crane, "manifest", "--insecure", dst]).stdout.encode()) == digest


def test_peer_layouts_read_by_berth(plain_reg, small_image, berth, repo, tmp_path, crane):
    # umoci (the fixture's layout) is what every other test starts from; here skopeo's
    # and crane's layouts.
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    digest = berth.copy(small_image["ref"], "docker://" + ref).json["digest"]

    sk = str(tmp_path / "skopeo")
    run(["skopeo", "copy", "--src-tls-verify=false", "docker://" + ref, "oci:%s:sk" % sk])
    r = berth.copy("oci:%s:sk" % sk, "docker://%s/%s-sk:v1" % (plain_reg.hostport, repo))
    assert r.json["digest"] == digest

    cr = str(tmp_path / "crane")
    run([crane, "pull", "--insecure", "--format", "oci", ref, cr])
    entries = layout_index(cr)["manifests"]
    assert len(entries) == 1 and entries[0]["digest"] == digest
    crane_entry = entries[0]
    # crane's index.json entry has no tag: oci:DIR picks the only image
    r = berth.copy("oci:%s" % cr, "docker://%s/%s-cr:v1" % (plain_reg.hostport, repo))
    assert r.json["digest"] == digest
    assert skopeo_digest("%s/%s-cr:v1" % (plain_reg.hostport, repo), *NO_TLS) == digest
    assert read_blob(cr, digest) == read_blob(small_image["layout"], digest)
    # and the other way: berth into the directory crane wrote, under a tag
    berth.copy("docker://" + ref, "oci:%s:tagged" % cr)
    assert verify_layout(cr, "tagged")["digest"] == digest
    entries = layout_index(cr)["manifests"]
    assert len(entries) == 2 and entries[0] == crane_entry  # crane's entry left as it was
