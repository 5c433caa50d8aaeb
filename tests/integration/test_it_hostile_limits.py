"""A registry that lies about sizes, never stops talking, or leads in circles (issue 12,
hostile-registry cases). Every case: a clear error on stderr, a non-zero exit, bounded
time and memory, and nothing written as if complete.

The caps these tests hold berth to (README, "Reliability"): a manifest is at most
4 MiB (image::kMaxManifestSize, checked while it streams in); any other reply that is
read whole (token replies, tag and catalog pages, API replies) at most 32 MiB
(http::ClientOptions::max_buffered_body); reply headers at most 256 KiB in all (one
line at most 100 KiB, libcurl's limit); Link pagination at most 10,000 pages and never
a page twice; at most 10 redirects per request."""

from __future__ import annotations

import json
import os
import time

import itlib
from hostile_registry import (HostileRegistry, digest, endless, endless_headers, lazily_sized,
                              redirect, send, wrong_length)
from itlib import EXIT_TRANSFER, run, run_measured

LAYER = itlib.tar_bytes({"hello.txt": b"hello from a hostile registry\n"})
MANIFEST_CAP = 4 << 20
REPLY_CAP = 32 << 20
# Peak RSS of berth (itlib.run_measured), measured: 15 MiB for an honest `berth
# manifest`, 20 MiB refusing a 1 GB or endless manifest (the 4 MiB buffer), 48 MiB
# refusing an endless token reply or tag list (the 32 MiB buffer). The bounds leave
# slack for allocators and string growth, and fail if a cap stops holding.
RSS_BOUND = 40 << 20  # cases held to the 4 MiB manifest cap or less
REPLY_RSS_BOUND = 80 << 20  # cases held to the 32 MiB reply cap


def pull(berth, ref: str, layout: str, *args: str, timeout: float = 60):
    return run([berth.binary, "pull", "--quiet", *args, ref, "oci:" + layout + ":t"],
               env=berth.env, check=False, timeout=timeout)


def assert_nothing_written(layout: str, *absent: str) -> None:
    """A failed pull leaves nothing behind as if complete: no tag, and every blob it
    kept is whole (named by its true digest); `absent` digests are not there at all."""
    idx_path = os.path.join(layout, "index.json")
    if os.path.exists(idx_path):
        with open(idx_path) as f:
            assert json.load(f)["manifests"] == []
    for root, _, files in os.walk(os.path.join(layout, "blobs")):
        for f in files:
            if ".berth-tmp-" not in f:
                name = os.path.basename(root) + ":" + f
                assert itlib.sha256_file(os.path.join(root, f)) == name, name
                assert name not in absent, name


# ------------------------------------------------------------------ digests (sha256)
# test_it_hostile covers sha512 and test_it_inspect covers `validate`; these are the
# plain sha256 lies on an ordinary pull.


def test_manifest_bytes_that_do_not_match_the_digest_asked_for(berth, tmp_path):
    with HostileRegistry() as reg:
        _, real = reg.add_image("app", "v1", [reg.add_blob("app", LAYER)])
        wanted = digest(real)
        other = real.replace(b'"schemaVersion": 2', b'"schemaVersion":2')
        reg.manifests["app/" + wanted] = ("application/vnd.oci.image.manifest.v1+json", other)
        r = pull(berth, "%s/app@%s" % (reg.host, wanted), str(tmp_path / "l"))
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "arrived with digest " + digest(other) in r.stderr, r.stderr
        assert_nothing_written(str(tmp_path / "l"))


def test_a_blob_whose_body_does_not_match_its_digest(berth, tmp_path):
    with HostileRegistry() as reg:
        evil = bytearray(LAYER)
        evil[600] ^= 0x01  # same size: only the digest can tell
        layer = reg.add_blob("app", LAYER, served=bytes(evil))
        reg.add_image("app", "v1", [layer])
        r = pull(berth, reg.host + "/app:v1", str(tmp_path / "l"))
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "expected " + layer["digest"] in r.stderr, r.stderr
        assert_nothing_written(str(tmp_path / "l"), layer["digest"])


# ------------------------------------------------------------------ Content-Length lies


def test_content_length_shorter_than_the_manifest(berth, tmp_path):
    with HostileRegistry() as reg:
        d, m = reg.add_image("app", "v1", [reg.add_blob("app", LAYER)])
        reg.route("GET", "/v2/app/manifests/v1", wrong_length(
            m, len(m) - 20, "application/vnd.oci.image.manifest.v1+json",
            {"Docker-Content-Digest": d}))
        r = pull(berth, reg.host + "/app:v1", str(tmp_path / "l"))
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "manifest" in r.stderr and ("digest" in r.stderr or "JSON" in r.stderr), r.stderr
        assert_nothing_written(str(tmp_path / "l"))


def test_content_length_longer_than_the_manifest(berth, tmp_path):
    with HostileRegistry() as reg:
        d, m = reg.add_image("app", "v1", [reg.add_blob("app", LAYER)])
        reg.route("GET", "/v2/app/manifests/v1", wrong_length(
            m, len(m) + 1000, "application/vnd.oci.image.manifest.v1+json",
            {"Docker-Content-Digest": d}))
        r = pull(berth, reg.host + "/app:v1", str(tmp_path / "l"))
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "1000 bytes remaining" in r.stderr or "closed" in r.stderr, r.stderr
        assert_nothing_written(str(tmp_path / "l"))


def test_content_length_shorter_and_longer_than_a_blob(berth, tmp_path):
    with HostileRegistry() as reg:
        layer = reg.add_blob("app", LAYER)
        reg.add_image("app", "v1", [layer])
        path = "/v2/app/blobs/" + layer["digest"]
        for announced in (len(LAYER) - 100, len(LAYER) + 100):
            reg.route("GET", path, wrong_length(LAYER, announced))
            out = str(tmp_path / ("l%d" % announced))
            r = pull(berth, reg.host + "/app:v1", out)
            assert r.returncode == EXIT_TRANSFER, r.describe()
            assert layer["digest"] in r.stderr or "remaining" in r.stderr, r.stderr
            assert_nothing_written(out, layer["digest"])


# ------------------------------------------------------------------ endless and huge replies


def test_a_1_gb_manifest_stops_at_the_4_mib_cap(berth, tmp_path):
    sent = [0]
    with HostileRegistry() as reg:
        reg.route("GET", "/v2/app/manifests/v1", lazily_sized(
            1 << 30, b'{"schemaVersion":2,"layers":[', b'{"size":1},', sent))
        r, rss = run_measured([berth.binary, "pull", "--quiet", reg.host + "/app:v1",
                               "oci:%s:t" % (tmp_path / "l")], env=berth.env, timeout=60)
        assert r.returncode != 0, r.describe()
        assert "manifest app:v1 is larger than 4 MiB" in r.stderr, r.stderr
        assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)
        assert sent[0] < 64 << 20, sent  # it hung up; it did not read the gigabyte
        assert_nothing_written(str(tmp_path / "l"))


def test_an_endless_manifest_stops_at_the_4_mib_cap(berth, tmp_path):
    sent = [0]
    with HostileRegistry() as reg:
        reg.route("GET", "/v2/app/manifests/v1",
                  endless(b'{"schemaVersion":2,"layers":[', b'{"size":1},', sent))
        r, rss = run_measured([berth.binary, "manifest", reg.host + "/app:v1"], env=berth.env,
                              timeout=60)
        assert r.returncode != 0, r.describe()
        assert "larger than 4 MiB" in r.stderr and r.stdout == "", r.describe()
        assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)
        assert MANIFEST_CAP <= sent[0] < 64 << 20, sent


def test_an_endless_token_reply_stops_at_the_reply_cap(berth, tmp_path):
    sent = [0]
    with HostileRegistry() as reg:
        reg.bearer_realm = "http://%s/token" % reg.host
        reg.route("GET", "/token", endless(b'{"token":"', b"a", sent))
        reg.add_image("app", "v1", [reg.add_blob("app", LAYER)])
        r, rss = run_measured([berth.binary, "pull", "--quiet", reg.host + "/app:v1",
                               "oci:%s:t" % (tmp_path / "l")], env=berth.env, timeout=60)
        assert r.returncode != 0, r.describe()
        assert "/token is larger than 32 MiB" in r.stderr, r.stderr
        assert rss < REPLY_RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)
        assert REPLY_CAP <= sent[0] < 3 * REPLY_CAP, sent  # one attempt, not five
        assert_nothing_written(str(tmp_path / "l"))


def test_an_endless_tag_list_stops_at_the_reply_cap(berth):
    sent = [0]
    with HostileRegistry() as reg:
        reg.route("GET", "/v2/app/tags/list",
                  endless(b'{"name":"app","tags":[', b'"t",', sent))
        r, rss = run_measured([berth.binary, "ls", reg.host + "/app"], env=berth.env, timeout=60)
        assert r.returncode != 0 and r.stdout == "", r.describe()
        assert "/v2/app/tags/list is larger than 32 MiB" in r.stderr, r.stderr
        assert rss < REPLY_RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)
        assert sent[0] < 3 * REPLY_CAP, sent


def test_endless_reply_headers_stop_at_the_header_cap(berth):
    """Was: curl's own 300 KiB limit, reported as "network error: Too large response
    headers" and retried 5 times; berth now stops at 256 KiB of headers, at once."""
    sent = [0]
    with HostileRegistry() as reg:
        reg.route("GET", "/v2/app/manifests/v1", endless_headers(False, sent))
        r, rss = run_measured([berth.binary, "manifest", reg.host + "/app:v1"], env=berth.env,
                              timeout=60)
        assert r.returncode != 0 and r.stdout == "", r.describe()
        assert "/v2/app/manifests/v1 are larger than 256 KiB" in r.stderr, r.stderr
        assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)
        assert sent[0] < 4 << 20, sent
        assert len([p for _, p, _ in reg.requests if p == "/v2/app/manifests/v1"]) == 1
        # one header line that never ends: curl's 100 KiB line limit, said as such
        sent[0] = 0
        reg.route("GET", "/v2/app/manifests/v2", endless_headers(True, sent))
        r, rss = run_measured([berth.binary, "manifest", reg.host + "/app:v2"], env=berth.env,
                              timeout=60)
        assert r.returncode != 0 and r.stdout == "", r.describe()
        assert "header line was longer than its 100 KiB limit" in r.stderr, r.stderr
        assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)
        assert sent[0] < 4 << 20, sent


def test_a_docker_config_that_never_ends_is_refused(berth, tmp_path):
    """Was: the keychain read config.json to its end, so one linked to /dev/zero took
    all memory. It is read up to 16 MiB, the cap `berth ecr login` applies."""
    with HostileRegistry() as reg:
        reg.bearer_realm = "http://%s/token" % reg.host  # so credentials are looked up
        reg.route("GET", "/token", lambda h: send(h, 200, b'{"token":"t"}'))
        reg.add_image("app", "v1", [reg.add_blob("app", LAYER)])
        os.makedirs(berth.env["DOCKER_CONFIG"], exist_ok=True)
        os.symlink("/dev/zero", os.path.join(berth.env["DOCKER_CONFIG"], "config.json"))
        r, rss = run_measured([berth.binary, "manifest", reg.host + "/app:v1"], env=berth.env,
                              timeout=30)
        assert r.returncode != 0 and r.stdout == "", r.describe()
        assert "config.json" in r.stderr and "larger than 16 MiB" in r.stderr, r.stderr
        assert rss < RSS_BOUND + (32 << 20), "peak RSS %d MiB" % (rss >> 20)


# ------------------------------------------------------------------ circles


def test_link_pagination_that_loops_is_detected(berth):
    """Was: `berth ls` and `berth catalog` followed the loop forever."""
    with HostileRegistry() as reg:
        pages: list[str] = []

        def looping(kind: str, key: str, items: list[str]):
            def handler(h):
                pages.append(h.path)
                last = "b" if "last=a" in h.path else "a"  # a -> b -> a -> ...
                path = "/v2/app/tags/list" if kind == "tags" else "/v2/_catalog"
                send(h, 200, json.dumps({key: items}).encode(),
                     {"Content-Type": "application/json",
                      "Link": '<%s?n=2&last=%s>; rel="next"' % (path, last)})
            return handler

        reg.route("GET", "/v2/app/tags/list", looping("tags", "tags", ["x", "y"]))
        reg.route("GET", "/v2/_catalog", looping("catalog", "repositories", ["r"]))
        r = run([berth.binary, "ls", "--page-size", "2", reg.host + "/app"], env=berth.env,
                check=False, timeout=30)
        assert r.returncode != 0 and r.stdout == "", r.describe()
        assert "Link pagination loops back to" in r.stderr, r.stderr
        assert len(pages) == 3, pages  # n=2, last=a, last=b; then last=a again: stop
        pages.clear()
        r = run([berth.binary, "catalog", reg.host], env=berth.env, check=False, timeout=30)
        assert r.returncode != 0 and r.stdout == "", r.describe()
        assert "catalog of %s: the registry's Link pagination loops back" % reg.host in r.stderr
        assert len(pages) == 3, pages


def test_a_redirect_loop_ends_with_a_clear_error(berth, tmp_path):
    with HostileRegistry() as reg:
        reg.add_image("app", "v1", [reg.add_blob("app", LAYER)])
        reg.route("GET", "/v2/app/manifests/v1", redirect("/v2/app/manifests/v1"))
        r = pull(berth, reg.host + "/app:v1", str(tmp_path / "l"))
        assert r.returncode != 0, r.describe()
        assert "too many redirects" in r.stderr, r.stderr
        hops = [p for m, p, _ in reg.requests if p == "/v2/app/manifests/v1"]
        assert len(hops) == 11, len(hops)  # the request and 10 redirects
        assert_nothing_written(str(tmp_path / "l"))


def test_an_index_that_names_itself_as_a_child(berth, tmp_path):
    """Content addressing makes a true cycle impossible; a registry can still answer a
    child's digest with the index itself. berth must not recurse into it."""
    with HostileRegistry() as reg:
        child = "sha256:" + "ab" * 32
        index = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                           "digest": child, "size": 300,
                           "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()
        mt = "application/vnd.oci.image.index.v1+json"
        reg.put_manifest("app", "v1", index, mt)
        reg.manifests["app/" + child] = (mt, index)  # the child is the index again
        for cmd in (["pull", "--quiet", reg.host + "/app:v1", "oci:%s:t" % (tmp_path / "l")],
                    ["validate", reg.host + "/app:v1"]):
            del reg.requests[:]
            start = time.monotonic()
            r = run([berth.binary, *cmd], env=berth.env, check=False, timeout=30)
            assert r.returncode != 0, r.describe()
            assert "arrived with digest" in r.stderr or "FAIL" in r.stdout, r.describe()
            assert time.monotonic() - start < 10
            fetched = [p for _, p, _ in reg.requests if p.endswith(child)]
            assert 1 <= len(fetched) <= 2, (cmd, fetched)  # read once, never followed
        assert_nothing_written(str(tmp_path / "l"))


# ------------------------------------------------------------------ descriptor sizes


def test_descriptors_with_negative_or_huge_sizes(berth, tmp_path):
    with HostileRegistry() as reg:
        layer = reg.add_blob("app", LAYER)
        for tag, size in (("neg", -1), ("huge", 2 ** 62), ("over", 2 ** 64)):
            reg.add_image("app", tag, [dict(layer, size=size)])
            out = str(tmp_path / tag)
            r, rss = run_measured([berth.binary, "pull", "--quiet", reg.host + "/app:" + tag,
                                   "oci:%s:t" % out], env=berth.env, timeout=30)
            assert r.returncode == EXIT_TRANSFER, r.describe()
            if size < 0 or size >= 2 ** 63:
                assert 'no valid "size"' in r.stderr, r.stderr
            else:
                assert "descriptor says %d" % size in r.stderr or str(size) in r.stderr, r.stderr
            assert rss < RSS_BOUND, "peak RSS %d MiB" % (rss >> 20)
            assert_nothing_written(out)


# ------------------------------------------------------------------ many layers


def test_an_image_with_10000_layers_works(berth, tmp_path):
    """No layer-count cap: only the manifest cap limits layers (a 10,000-layer manifest
    is about 1.7 MB). Peers measured with the 1 GB manifest above: skopeo 1.9 stops at
    4 MiB ("exceeded maximum allowed size of 4194304 bytes"), crane 0.22 at 100 MiB
    ("body exceeds 104857600 byte limit"); neither counts layers. Copied layout ->
    layout, every layer there and counted."""
    src = str(tmp_path / "src")
    layers = [itlib.tar_bytes({"f/%05d" % i: b"%d\n" % i}) for i in range(10000)]
    desc = itlib.make_layout_image(src, "v1", layers, gzip_layers=False)
    size = len(itlib.read_blob(src, desc["digest"]))
    assert 1 << 20 < size < MANIFEST_CAP, size
    dst = str(tmp_path / "dst")
    r = run([berth.binary, "copy", "--quiet", "oci:%s:v1" % src, "oci:%s:v1" % dst],
            env=berth.env, timeout=60)
    assert r.stdout.strip() == desc["digest"]
    m = json.loads(itlib.read_blob(dst, desc["digest"]))
    assert len(m["layers"]) == 10000
    assert all(os.path.exists(itlib.blob_path(dst, l["digest"])) for l in m["layers"])
    doc = json.loads(run([berth.binary, "inspect", "--format", "json", "oci:%s:v1" % dst],
                         env=berth.env).stdout)
    assert len(doc["images"][0]["layers"]) == 10000
