"""berth manifest | inspect | ls | catalog | tag | rm | validate against real
registries, with skopeo and crane as the judges: the manifest bytes are skopeo's
``inspect --raw``, ``ls`` and ``catalog`` are crane's, tagging moves no blob, a blob
corrupted in the registry's storage is caught by validate (exit 4)."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

import stack
from hostile_registry import HostileRegistry, send
from itlib import (EXIT_AUTH, EXIT_FAILURE, EXIT_GATE, EXIT_USAGE, OCI_INDEX, OCI_MANIFEST,
                   layout_entry, read_blob, registry_tags, run, sha256, skopeo_raw)

NO_TLS = ("--tls-verify=false",)
BLOB_WRITES = re.compile(r"/blobs/")


def cli(berth, *args, check=True, env=None):
    e = dict(berth.env)
    e.update(env or {})
    return run([berth.binary, *args], env=e, check=check)


def push(berth, src: str, ref: str) -> str:
    return berth.copy(src, "docker://" + ref).json["digest"]


@pytest.fixture
def pushed(plain_reg, small_image, berth, repo) -> dict:
    ref = "%s/%s" % (plain_reg.hostport, repo)
    digest = push(berth, small_image["ref"], ref + ":v1")
    return {"repo": ref, "ref": ref + ":v1", "digest": digest}


@pytest.fixture
def pushed_index(plain_reg, multi_image, berth, repo) -> dict:
    ref = "%s/%s" % (plain_reg.hostport, repo)
    digest = push(berth, multi_image["ref"], ref + ":multi")
    return {"repo": ref, "ref": ref + ":multi", "digest": digest}


# ---------------------------------------------------------------- manifest


def test_manifest_is_the_bytes_skopeo_reads(pushed, pushed_index, multi_image, berth, crane):
    for ref in (pushed["ref"], pushed_index["ref"]):
        raw = cli(berth, "manifest", ref).stdout.encode()
        assert raw == skopeo_raw(ref, *NO_TLS)
        assert raw == run([crane, "manifest", "--insecure", ref]).stdout.encode()
    assert sha256(cli(berth, "manifest", pushed_index["ref"]).stdout.encode()) == \
        pushed_index["digest"]

    # --platform: the child of the index, exactly as stored by digest.
    arm = multi_image["children"]["arm64"]
    child = cli(berth, "manifest", "--platform", "linux/arm64", pushed_index["ref"]).stdout
    assert sha256(child.encode()) == arm["digest"]
    assert child.encode() == skopeo_raw("%s@%s" % (pushed_index["repo"], arm["digest"]), *NO_TLS)

    doc = json.loads(cli(berth, "manifest", "--format", "json", pushed_index["ref"]).stdout)
    assert (doc["digest"], doc["mediaType"]) == (pushed_index["digest"], OCI_INDEX)
    assert [m["digest"] for m in doc["manifest"]["manifests"]] == \
        [multi_image["children"][a]["digest"] for a in ("amd64", "arm64")]


def test_manifest_of_missing_tag_and_bad_credentials(basic_reg, small_image, berth, repo):
    ref = "%s/%s" % (basic_reg.hostport, repo)
    creds = "%s:%s" % (basic_reg.username, basic_reg.password)
    berth.copy(small_image["ref"], "docker://%s:v1" % ref, "--dest-creds", creds)
    ok = cli(berth, "manifest", "--creds", creds, ref + ":v1")
    assert ok.stdout.encode() == skopeo_raw(ref + ":v1", *NO_TLS, "--creds", creds)
    bad = cli(berth, "manifest", "--creds", basic_reg.username + ":wrong", ref + ":v1",
              check=False)
    assert bad.returncode == EXIT_AUTH, bad.describe()
    missing = cli(berth, "manifest", "--creds", creds, ref + ":nope", check=False)
    assert missing.returncode == EXIT_FAILURE and "MANIFEST_UNKNOWN" in missing.stderr
    assert missing.stdout == ""


# ---------------------------------------------------------------- inspect


def test_inspect_an_index_matches_skopeo(pushed_index, multi_image, berth):
    doc = json.loads(cli(berth, "inspect", "--format", "json", pushed_index["ref"]).stdout)
    assert doc["digest"] == pushed_index["digest"] and doc["mediaType"] == OCI_INDEX
    assert [m["platform"]["architecture"] for m in doc["manifests"]] == ["amd64", "arm64"]
    assert [i["platform"] for i in doc["images"]] == ["linux/amd64", "linux/arm64"]
    for img in doc["images"]:
        by_digest = "%s@%s" % (pushed_index["repo"], img["digest"])
        raw = json.loads(skopeo_raw(by_digest, *NO_TLS))
        assert img["config"]["digest"] == raw["config"]["digest"]
        assert [l["digest"] for l in img["layers"]] == [l["digest"] for l in raw["layers"]]
        assert img["totalSize"] == (len(skopeo_raw(by_digest, *NO_TLS)) + raw["config"]["size"]
                                    + sum(l["size"] for l in raw["layers"]))
        # skopeo's own reading of the config agrees on what berth reports from it.
        info = json.loads(run(["skopeo", "inspect", *NO_TLS, "docker://" + by_digest]).stdout)
        assert img["platform"] == "%s/%s" % (info["Os"], info["Architecture"])
        assert img["env"] == (info["Env"] or []) and img["labels"] == (info["Labels"] or {})

    table = cli(berth, "inspect", pushed_index["ref"]).stdout
    assert re.search(r"^digest +%s$" % pushed_index["digest"], table, re.M)
    for arch in ("amd64", "arm64"):
        assert re.search(r"^linux/%s +%s " % (arch, multi_image["children"][arch]["digest"]),
                         table, re.M), table

    one = json.loads(cli(berth, "inspect", "--format", "json", "--platform", "linux/arm64",
                         pushed_index["ref"]).stdout)
    assert one["digest"] == multi_image["children"]["arm64"]["digest"]
    assert one["mediaType"] == OCI_MANIFEST and len(one["images"]) == 1


def test_inspect_an_oci_layout_and_the_registry_copy_agree(pushed, small_image, berth):
    a = json.loads(cli(berth, "inspect", "--format", "json", small_image["ref"]).stdout)
    b = json.loads(cli(berth, "inspect", "--format", "json", pushed["ref"]).stdout)
    a.pop("reference"), b.pop("reference")
    assert a == b and a["digest"] == pushed["digest"]


# ---------------------------------------------------------------- ls and catalog


def test_ls_equals_crane_ls(pushed, plain_reg, repo, berth, crane):
    tags = ["v1"] + ["t%d" % i for i in range(6)]
    cli(berth, "tag", pushed["ref"], *tags[1:])
    got = cli(berth, "ls", pushed["repo"]).stdout.splitlines()
    assert sorted(got) == sorted(tags) == registry_tags(plain_reg, repo)
    assert got == run([crane, "ls", "--insecure", pushed["repo"]]).stdout.splitlines()
    doc = json.loads(cli(berth, "ls", "--format", "json", "docker://" + pushed["repo"]).stdout)
    assert doc == {"repository": "docker://" + pushed["repo"], "tags": got}
    bad = cli(berth, "ls", pushed["ref"], check=False)
    assert bad.returncode == EXIT_USAGE and "names an image" in bad.stderr


def test_ls_follows_link_pagination(berth, crane):
    """distribution 2.8 answers the whole tag list at once; ECR, Harbor and
    distribution 3 page it with Link headers, as this registry does."""
    tags = sorted("tag-%02d" % i for i in range(7))
    pages: list[str] = []
    with HostileRegistry() as reg:
        def tags_list(h):
            q = dict(p.split("=", 1) for p in h.path.partition("?")[2].split("&") if "=" in p)
            n, last = int(q.get("n", "100")), q.get("last", "")
            rest = [t for t in tags if t > last]
            page, more = rest[:n], rest[n:]
            pages.append(h.path)
            headers = {"Content-Type": "application/json"}
            if more:
                headers["Link"] = '</v2/app/tags/list?n=%d&last=%s>; rel="next"' % (n, page[-1])
            send(h, 200, json.dumps({"name": "app", "tags": page}).encode(), headers)

        reg.route("GET", r"/v2/app/tags/list", tags_list)
        out = cli(berth, "ls", "--page-size", "3", reg.host + "/app").stdout.splitlines()
        assert out == tags
        assert len(pages) == 3 and pages[0] == "/v2/app/tags/list?n=3", pages
        assert run([crane, "ls", "--insecure", reg.host + "/app"]).stdout.splitlines() == tags


def test_catalog_pages_through_every_repository(small_image, berth, crane, proxy_for):
    with stack.Registry() as reg:
        names = sorted("cat/r%d" % i for i in range(5))
        for n in names:
            push(berth, small_image["ref"], "%s/%s:v1" % (reg.hostport, n))
        px = proxy_for(reg)
        got = cli(berth, "catalog", "--page-size", "2", px.hostport).stdout.splitlines()
        assert got == names
        assert len(px.find("GET", r"^/v2/_catalog$")) == 3  # 2 + 2 + 1
        assert got == run([crane, "catalog", "--insecure", reg.hostport]).stdout.splitlines()
        doc = json.loads(cli(berth, "catalog", "--format", "json", reg.hostport).stdout)
        assert doc == {"registry": reg.hostport, "repositories": names}


# ---------------------------------------------------------------- tag and rm


def test_tag_is_a_manifest_put_per_tag_and_moves_no_blob(pushed, berth, proxy_for, plain_reg):
    px = proxy_for(plain_reg)
    ref = pushed["ref"].replace(plain_reg.hostport, px.hostport)
    r = cli(berth, "tag", "--format", "json", ref, "a", "b")
    assert json.loads(r.stdout) == {"digest": pushed["digest"], "tagged": ["a", "b"],
                                    "skipped": []}
    puts = [q["path"] for q in px.find("PUT")]
    assert sorted(puts) == sorted("/v2/%s/manifests/%s" % (pushed["repo"].split("/", 1)[1], t)
                                  for t in ("a", "b"))
    assert not [q for q in px.requests if BLOB_WRITES.search(q["path"])
                and q["method"] in ("POST", "PATCH", "PUT")]
    for t in ("a", "b"):
        assert sha256(skopeo_raw("%s:%s" % (pushed["repo"], t), *NO_TLS)) == pushed["digest"]
    # Again: the tags are there, nothing is written.
    px.clear_requests()
    again = cli(berth, "tag", ref, "a", "b")
    assert again.stdout.strip() == pushed["digest"]
    assert px.find("PUT") == [] and "already points" in again.stderr


def test_rm_by_tag_and_by_digest(plain_reg, small_image, multi_image, berth, repo):
    ref = "%s/%s" % (plain_reg.hostport, repo)
    d1 = push(berth, small_image["ref"], ref + ":one")
    d2 = push(berth, multi_image["ref"], ref + ":two")
    r = cli(berth, "rm", ref + ":one")
    assert r.stdout.strip() == d1
    assert "one" not in registry_tags(plain_reg, repo)
    gone = run(["skopeo", "inspect", "--raw", *NO_TLS, "docker://%s@%s" % (ref, d1)], check=False)
    assert gone.returncode != 0
    r = cli(berth, "rm", "--format", "json", "%s@%s" % (ref, d2))
    assert json.loads(r.stdout) == {"deleted": d2}
    assert registry_tags(plain_reg, repo) == []
    missing = cli(berth, "rm", ref + ":one", check=False)
    assert missing.returncode == EXIT_FAILURE and "no manifest" in missing.stderr


def test_rm_refused_by_the_registry_says_so(small_image, berth):
    with stack.Registry(extra_config={"storage": {"delete": {"enabled": False}}}) as reg:
        ref = "%s/norm/app" % reg.hostport
        digest = push(berth, small_image["ref"], ref + ":v1")
        r = cli(berth, "rm", ref + ":v1", check=False)
        assert r.returncode == EXIT_FAILURE, r.describe()
        assert "does not allow deleting manifests" in r.stderr and "405" in r.stderr
        assert sha256(skopeo_raw(ref + ":v1", *NO_TLS)) == digest


# ---------------------------------------------------------------- validate


def blob_data_path(reg: stack.Registry, digest: str) -> str:
    hexd = digest.split(":", 1)[1]
    return os.path.join(reg.storage_dir, "docker", "registry", "v2", "blobs", "sha256", hexd[:2],
                        hexd, "data")


def test_validate_passes_then_catches_a_blob_corrupted_in_storage(multi_image, berth, repo):
    with stack.Registry() as reg:
        ref = "%s/%s:multi" % (reg.hostport, repo)
        digest = push(berth, multi_image["ref"], ref)
        ok = json.loads(cli(berth, "validate", "--format", "json", ref).stdout)
        assert ok["ok"] and ok["digest"] == digest
        assert (ok["manifests"], ok["blobs"]) == (3, len(all_blobs(multi_image)))
        assert ok["bytes"] == sum(all_blobs(multi_image).values())

        arm = json.loads(read_blob(multi_image["layout"],
                                   multi_image["children"]["arm64"]["digest"]))
        layer = arm["layers"][0]["digest"]
        path = blob_data_path(reg, layer)
        data = bytearray(open(path, "rb").read())
        data[len(data) // 2] ^= 0xFF  # same size: only the digest can tell
        with open(path, "wb") as f:
            f.write(bytes(data))

        bad = cli(berth, "validate", ref, check=False)
        assert bad.returncode == EXIT_GATE, bad.describe()
        assert re.search(r"^FAIL layer %s: " % layer, bad.stdout, re.M), bad.stdout
        assert bad.stdout.splitlines()[-1].startswith("INVALID %s" % digest)
        report = json.loads(cli(berth, "validate", "--format", "json", ref, check=False).stdout)
        assert [(f["digest"], f["kind"]) for f in report["failures"]] == [(layer, "layer")]
        # skopeo agrees that the image is broken.
        assert run(["skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + ref,
                    "oci:%s/out:x" % reg.workdir], check=False).returncode != 0


def all_blobs(multi_image) -> dict:
    out = {}
    for child in multi_image["children"].values():
        m = json.loads(read_blob(multi_image["layout"], child["digest"]))
        out[m["config"]["digest"]] = m["config"]["size"]
        out.update({l["digest"]: l["size"] for l in m["layers"]})
    return out


def test_validate_reports_every_lie_of_a_hostile_registry(berth):
    with HostileRegistry() as reg:
        good = reg.add_blob("app", b"good layer")
        liar = reg.add_blob("app", b"honest bytes", served=b"liars' bytes")
        short = reg.add_blob("app", b"a longer layer than served", served=b"short")
        absent = {"mediaType": good["mediaType"], "digest": sha256(b"never stored"), "size": 12}
        digest, _ = reg.add_image("app", "v1", [good, liar, short, absent])
        r = cli(berth, "validate", "--format", "json", reg.host + "/app:v1", check=False)
        assert r.returncode == EXIT_GATE, r.describe()
        report = json.loads(r.stdout)
        assert report["digest"] == digest and not report["ok"]
        assert [f["digest"] for f in report["failures"]] == \
            [liar["digest"], short["digest"], absent["digest"]]
        assert report["blobs"] == 5  # config and four layers, each read once


def test_validate_catches_a_corrupt_layout_blob(small_image, berth, tmp_path):
    layout = str(tmp_path / "copy")
    shutil.copytree(small_image["layout"], layout)
    m = json.loads(read_blob(layout, layout_entry(layout, "v1")["digest"]))
    path = os.path.join(layout, "blobs", "sha256", m["config"]["digest"].split(":")[1])
    os.chmod(path, 0o644)
    with open(path, "ab") as f:
        f.write(b" ")
    r = cli(berth, "validate", "oci:%s:v1" % layout, check=False)
    assert r.returncode == EXIT_GATE and ("FAIL config %s" % m["config"]["digest"]) in r.stdout


# ---------------------------------------------------------------- index --annotation


def test_index_annotation_reaches_the_registry(plain_reg, small_image, berth, repo, crane):
    ref = "%s/%s:idx" % (plain_reg.hostport, repo)
    r = cli(berth, "index", "--quiet", small_image["ref"], "--annotation",
            "org.opencontainers.image.source=https://example.com/app", "--annotation", "k=v",
            "--output", "docker://" + ref)
    raw = skopeo_raw(ref, *NO_TLS)
    assert sha256(raw) == r.stdout.strip()
    doc = json.loads(raw)
    assert doc["mediaType"] == OCI_INDEX
    assert doc["annotations"] == {"org.opencontainers.image.source": "https://example.com/app",
                                  "k": "v"}
    assert json.loads(run([crane, "manifest", "--insecure", ref]).stdout)["annotations"] == \
        doc["annotations"]
