"""The registry build cache (`--cache-to/--cache-from type=registry,ref=...`), as a CI
runner that starts empty each time uses it: one build exports the steps it used to a
real docker-registry; a "fresh runner" (a new cache dir and HOME) reuses them. Checked
through the registry's own access log (which blobs were read), its storage (what the
cache image holds) and skopeo (the images pushed).

Run as root:  python3 -m pytest -q -p no:cacheprovider tests/dockerfile/test_registry_cache.py
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from conftest import Berth, run_cmd

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
CACHE_TYPE = "application/vnd.berth.build-cache.config.v1+json"

APP = """FROM {base}
COPY lib/ /lib-src/
RUN echo ran-lib | tr a-z A-Z && cat /lib-src/* > /combined && rm /lib-src/b.txt
COPY app.txt /app/
RUN echo ran-app | tr a-z A-Z && wc -c /app/app.txt > /app/size
"""
FILES = {"lib/a.txt": "alpha\n", "lib/b.txt": "beta\n", "app.txt": "app v1\n"}

MULTI = """FROM {base} AS builder
RUN echo ran-builder | tr a-z A-Z && mkdir /out && echo built > /out/artifact
FROM {base}
COPY --from=builder /out/artifact /artifact
RUN echo ran-final | tr a-z A-Z && cat /artifact > /final
"""


@pytest.fixture(scope="module")
def registry_base(berth_bin, busybox_image, registry) -> str:
    """The busybox base in the registry: a fresh runner reads it over the network too."""
    ref = "%s/base/busybox:1" % registry.hostport
    run_cmd([berth_bin, "copy", "--quiet", busybox_image.ref, "docker://" + ref])
    return ref


def runner(berth_bin, tmp_path: pathlib.Path, name: str) -> Berth:
    """A CI runner that starts empty: its own HOME and cache directory."""
    return Berth(berth_bin, tmp_path / name)


def log_offset(registry) -> int:
    return pathlib.Path(registry.log_file).stat().st_size


def blob_gets(registry, since: int) -> list[str]:
    """The blob digests GET from the registry since the log offset `since`."""
    text = pathlib.Path(registry.log_file).read_bytes()[since:].decode(errors="replace")
    return re.findall(r'http\.request\.method=GET http\.request\.remoteaddr=\S+ '
                      r'http\.request\.uri="/v2/[^"]*/blobs/(sha256:[0-9a-f]{64})"', text)


def manifest_of(ref: str) -> dict:
    return json.loads(run_cmd(["skopeo", "inspect", "--raw", "--tls-verify=false",
                               "docker://" + ref]).stdout)


def build(b: Berth, dockerfile: str, files: dict, *args, check=True):
    ctx = b.context(dockerfile, files)
    return b.run("--cache", str(b.cache), *args, str(ctx), env=EPOCH, check=check)


def test_fresh_runner_runs_no_step_and_reads_no_layer(berth_bin, registry, registry_base,
                                                      tmp_path):
    cache = "%s/app-cache" % registry.hostport
    first = runner(berth_bin, tmp_path, "runner1")
    r1 = build(first, APP.format(base=registry_base), FILES, "-t",
               "%s/app:1" % registry.hostport, "--cache-to", "type=registry,ref=" + cache)
    assert "RAN-LIB" in r1.stderr and "RAN-APP" in r1.stderr
    assert re.search(r"build cache %s:buildcache: 4 steps" % re.escape(cache), r1.stderr), r1.stderr
    # The cache is an OCI image manifest whose config lists the steps and whose layers
    # are the steps' layers: what skopeo reads there.
    m = manifest_of(cache + ":buildcache")
    assert m["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert m["config"]["mediaType"] == CACHE_TYPE
    image = manifest_of("%s/app:1" % registry.hostport)
    assert [l["digest"] for l in m["layers"]] == [l["digest"] for l in image["layers"][1:]]

    fresh = runner(berth_bin, tmp_path, "runner2")
    since = log_offset(registry)
    r2 = build(fresh, APP.format(base=registry_base), FILES, "-t",
               "%s/app:2" % registry.hostport, "--cache-from", "type=registry,ref=" + cache)
    assert "RAN-" not in r2.stderr, r2.stderr
    assert r2.stderr.count("  CACHED") == 4, r2.stderr
    # The same image (SOURCE_DATE_EPOCH), written without reading any layer: the layers
    # went registry to registry (mounted), only configs were read.
    assert r2.stdout.strip() == r1.stdout.strip()
    layer_digests = {l["digest"] for l in image["layers"]}
    assert not layer_digests & set(blob_gets(registry, since))
    assert not list((fresh.cache / "layers").glob("sha256/*")), "a layer was unpacked"
    assert manifest_of("%s/app:2" % registry.hostport) == image


def test_one_changed_file_runs_only_the_steps_after_it(berth_bin, registry, registry_base,
                                                       tmp_path):
    cache = "%s/changed-cache:main" % registry.hostport
    first = runner(berth_bin, tmp_path, "runner1")
    build(first, APP.format(base=registry_base), FILES, "-t", "%s/changed:1" % registry.hostport,
          "--cache-to", "type=registry,ref=%s,mode=max" % cache)
    fresh = runner(berth_bin, tmp_path, "runner2")
    files = dict(FILES, **{"app.txt": "app v2, longer\n"})
    r = build(fresh, APP.format(base=registry_base), files, "-t",
              "%s/changed:2" % registry.hostport, "--cache-from", cache, "--cache-to",
              "type=registry,ref=%s,mode=max" % cache)
    assert "RAN-LIB" not in r.stderr and "RAN-APP" in r.stderr, r.stderr
    assert r.stderr.count("  CACHED") == 2, r.stderr
    # The cache the second runner exported holds the new layer: a third runner finds
    # every step there, the changed one included.
    out = runner(berth_bin, tmp_path, "check").run(
        "--cache", str(tmp_path / "check-cache"), "--cache-from", cache, "--output",
        "oci:%s:t" % (tmp_path / "again"), str(fresh.work / "ctx"), env=EPOCH)
    assert "RAN-" not in out.stderr, out.stderr


def test_expired_blobs_are_a_miss_not_an_error(berth_bin, registry, registry_base, tmp_path):
    cache = "%s/expiring-cache" % registry.hostport
    first = runner(berth_bin, tmp_path, "runner1")
    r1 = build(first, APP.format(base=registry_base), FILES, "--output",
               "oci:%s:t" % (tmp_path / "one"), "--cache-to", "type=registry,ref=" + cache)
    m = manifest_of(cache + ":buildcache")
    # A lifecycle policy (or a garbage collection) took the cache's layers away.
    for l in m["layers"]:
        status, _, body = registry.request("DELETE", "/v2/expiring-cache/blobs/" + l["digest"])
        assert status == 202, (status, body)
    fresh = runner(berth_bin, tmp_path, "runner2")
    r2 = build(fresh, APP.format(base=registry_base), FILES, "--output",
               "oci:%s:t" % (tmp_path / "two"), "--cache-from", cache)
    assert "RAN-LIB" in r2.stderr and "RAN-APP" in r2.stderr, r2.stderr
    assert "  CACHED" not in r2.stderr
    assert r2.stdout.strip() == r1.stdout.strip()


def test_mode_max_keeps_every_stage_and_min_the_final_image(berth_bin, registry,
                                                            registry_base, tmp_path):
    for mode, builder_runs in (("min", True), ("max", False)):
        cache = "%s/multi-cache:%s" % (registry.hostport, mode)
        first = runner(berth_bin, tmp_path, "first-" + mode)
        build(first, MULTI.format(base=registry_base), {}, "--output",
              "oci:%s:t" % (tmp_path / ("one-" + mode)), "--cache-to",
              "type=registry,ref=%s,mode=%s" % (cache, mode))
        fresh = runner(berth_bin, tmp_path, "fresh-" + mode)
        r = build(fresh, MULTI.format(base=registry_base), {}, "--output",
                  "oci:%s:t" % (tmp_path / ("two-" + mode)), "--cache-from", cache)
        assert ("RAN-BUILDER" in r.stderr) == builder_runs, (mode, r.stderr)
        # The builder's output is the same bytes either way, so the final stage hits.
        assert "RAN-FINAL" not in r.stderr, (mode, r.stderr)


def test_what_is_not_a_cache_is_a_warning(berth_bin, registry, registry_base, tmp_path):
    b = runner(berth_bin, tmp_path, "runner")
    r = build(b, APP.format(base=registry_base), FILES, "--output",
              "oci:%s:t" % (tmp_path / "out"), "--cache-from", registry_base, "--cache-from",
              "type=registry,ref=%s/nothing-here" % registry.hostport)
    assert "is not a berth build cache" in r.stderr, r.stderr
    assert "no build cache at %s/nothing-here:buildcache yet" % registry.hostport in r.stderr
    assert "RAN-LIB" in r.stderr


@pytest.mark.parametrize("spec, message", [
    ("type=gha", "type=gha is not supported"),
    ("type=local,dest=/tmp/cache", "type=local is not supported"),
    ("type=registry", "needs ref=REPO[:TAG]"),
    ("type=registry,ref=x/y,mode=all", "mode is min or max"),
    ("type=registry,ref=x/y,colour=red", 'unknown option "colour"'),
    ("type=registry,ref=x/y@sha256:" + "a" * 64, "takes a tag, not a digest"),
])
def test_bad_cache_specs_are_refused_before_building(berth_bin, tmp_path, spec, message):
    b = runner(berth_bin, tmp_path, "runner")
    r = build(b, "FROM scratch\nCOPY f /f\n", {"f": "x"}, "--output",
              "oci:%s:t" % (tmp_path / "out"), "--cache-to", spec, check=False)
    assert r.returncode != 0 and message in r.stderr, r.describe()
    assert not (tmp_path / "out").exists()
