"""The ``format`` option of copy, replicate and index: Docker <-> OCI media types.

Everything stays on disk (OCI layouts and archives; no registry): the source is an
OCI layout made with umoci, and umoci is also the judge that an OCI layout berth
converts is usable ("not implemented" is what it says to Docker manifests).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, NamedTuple

import pytest

import berth
from berth import _lib

pytestmark = pytest.mark.skipif(shutil.which("umoci") is None, reason="needs umoci")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_TYPES = ["application/vnd.oci.image.config.v1+json",
             "application/vnd.oci.image.layer.v1.tar+gzip"]
DOCKER_TYPES = ["application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar.gzip"]


class Image(NamedTuple):
    layout: Path
    ref: str
    digest: str
    blobs: List[str]  # config, layer


class Stored(NamedTuple):
    digest: str        # index.json's entry for the tag
    media_type: str    # ... and its media type
    manifest: Dict     # the manifest blob it names
    sha256: str        # of that blob's bytes


def _blob(layout: Path, digest: str) -> bytes:
    return (layout / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()


def stored(layout: Path, tag: str) -> Stored:
    index = json.loads((layout / "index.json").read_text())
    (entry,) = [m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    raw = _blob(layout, entry["digest"])
    return Stored(entry["digest"], entry["mediaType"], json.loads(raw),
                  "sha256:" + hashlib.sha256(raw).hexdigest())


def types(manifest: Dict) -> List[str]:
    return [manifest["config"]["mediaType"]] + [layer["mediaType"] for layer in manifest["layers"]]


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Image:
    work = tmp_path_factory.mktemp("format")
    layout, src = work / "layout", work / "src"
    src.mkdir()
    (src / "hello.txt").write_text("hello from the format tests\n")
    rootless = ["--rootless"] if os.geteuid() != 0 else []
    for cmd in (["init", "--layout", str(layout)], ["new", "--image", f"{layout}:v1"],
                ["insert", *rootless, "--image", f"{layout}:v1", str(src), "/app"]):
        subprocess.run(["umoci", *cmd], check=True, capture_output=True)
    s = stored(layout, "v1")
    blobs = [s.manifest["config"]["digest"]] + [layer["digest"] for layer in s.manifest["layers"]]
    return Image(layout, f"oci:{layout}:v1", s.digest, blobs)


def test_format_docker_and_back(image, tmp_path):
    out = tmp_path / "out"
    docker = berth.copy(image.ref, f"oci:{out}:docker", format="docker")
    assert docker.media_type == DOCKER_MANIFEST
    assert docker.digest != image.digest
    s = stored(out, "docker")
    # The result names what is stored, and the tag points at it.
    assert (s.digest, s.sha256, s.media_type) == (docker.digest, docker.digest, DOCKER_MANIFEST)
    assert s.manifest["mediaType"] == DOCKER_MANIFEST and types(s.manifest) == DOCKER_TYPES
    # Blobs travel unchanged.
    assert [s.manifest["config"]["digest"]] + [x["digest"] for x in s.manifest["layers"]] == \
        image.blobs
    for digest in image.blobs:
        assert _blob(out, digest) == _blob(image.layout, digest)

    back = berth.copy(f"oci:{out}:docker", f"oci:{out}:oci", format="oci")
    assert back.media_type == OCI_MANIFEST and back.blobs_skipped == 2
    assert types(stored(out, "oci").manifest) == OCI_TYPES
    subprocess.run(["umoci", "unpack", "--rootless", "--image", f"{out}:oci",
                    str(tmp_path / "rootfs")], check=True, capture_output=True)
    assert (tmp_path / "rootfs" / "rootfs" / "app" / "hello.txt").read_text() == \
        "hello from the format tests\n"


def test_default_keeps_the_source_and_extra_tags_follow_the_conversion(image, tmp_path):
    kept = berth.copy(image.ref, f"oci:{tmp_path}:kept")
    assert (kept.digest, kept.media_type) == (image.digest, OCI_MANIFEST)
    r = berth.copy(image.ref, f"oci:{tmp_path}:main", format="docker", extra_tags=["more"])
    assert stored(tmp_path, "more").digest == stored(tmp_path, "main").digest == r.digest


def test_docker_archive_becomes_oci_in_a_layout(image, tmp_path):
    archive = tmp_path / "saved.tar"
    berth.copy(image.ref, f"docker-archive:{archive}:example.com/app:v1")
    r = berth.copy(f"docker-archive:{archive}", f"oci:{tmp_path / 'l'}:v1")
    s = stored(tmp_path / "l", "v1")
    assert (r.media_type, s.media_type, s.digest) == (OCI_MANIFEST, OCI_MANIFEST, r.digest)
    assert types(s.manifest) == OCI_TYPES
    subprocess.run(["umoci", "unpack", "--rootless", "--image", f"{tmp_path / 'l'}:v1",
                    str(tmp_path / "rootfs")], check=True, capture_output=True)
    # Asked for, Docker it stays.
    d = berth.copy(f"docker-archive:{archive}", f"oci:{tmp_path / 'l'}:docker", format="docker")
    assert d.media_type == DOCKER_MANIFEST
    assert types(stored(tmp_path / "l", "docker").manifest)[0] == DOCKER_TYPES[0]


def test_replicate_decides_per_destination(image, tmp_path):
    archive = tmp_path / "saved.tar"
    berth.copy(image.ref, f"docker-archive:{archive}")
    to_oci, to_archive = berth.replicate(
        f"docker-archive:{archive}",
        [f"oci:{tmp_path / 'a'}:v1", f"docker-archive:{tmp_path / 'b.tar'}"])
    # Into the layout, OCI; into another docker-archive, the synthesised Docker manifest.
    assert to_oci.media_type == OCI_MANIFEST and to_archive.media_type == DOCKER_MANIFEST
    assert to_oci.digest == stored(tmp_path / "a", "v1").digest != to_archive.digest
    both = berth.replicate(image.ref, [f"oci:{tmp_path / 'c'}:v1", f"oci:{tmp_path / 'd'}:v1"],
                           format="docker")
    assert {r.media_type for r in both} == {DOCKER_MANIFEST}
    assert stored(tmp_path / "c", "v1").digest == stored(tmp_path / "d", "v1").digest == \
        both[0].digest


def test_index_with_format_docker_is_a_manifest_list(image, tmp_path):
    r = berth.index([image.ref], f"oci:{tmp_path}:idx", format="docker")
    assert r.media_type == DOCKER_LIST
    s = stored(tmp_path, "idx")
    assert s.digest == r.digest and s.manifest["manifests"][0]["mediaType"] == DOCKER_MANIFEST
    oci = berth.index([image.ref], f"oci:{tmp_path}:idx-oci")
    assert oci.media_type == OCI_INDEX


def test_zstd_layers_cannot_become_docker(tmp_path):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "f").write_text("x")
    built = berth.build(output=f"oci:{tmp_path / 'z'}:v1", layers=[str(tmp_path / "tree")],
                        compression="zstd")
    with pytest.raises(berth.UnsupportedError, match="zstd"):
        berth.copy(f"oci:{tmp_path / 'z'}:v1", f"oci:{tmp_path / 'out'}:v1", format="docker")
    # Nothing of the image reached the destination.
    assert not (tmp_path / "out" / "blobs" / "sha256" / built.digest.split(":")[1]).exists()
    assert berth.copy(f"oci:{tmp_path / 'z'}:v1", f"oci:{tmp_path / 'out'}:v1",
                      format="oci").digest == built.digest


@pytest.mark.parametrize("bad, error", [("v2s2", berth.InvalidArgumentError),
                                        ("OCI", berth.InvalidArgumentError),
                                        (1, TypeError)])
def test_format_values_are_checked(image, tmp_path, bad, error):
    with pytest.raises(error, match="format"):
        berth.copy(image.ref, f"oci:{tmp_path}:x", format=bad)
    assert not (tmp_path / "index.json").exists()


def test_formats_match_the_header(berth_header_text):
    import re

    defined = {name.lower(): int(code) for name, code in
               re.findall(r"#define BERTH_FORMAT_(\w+) (\d+)", berth_header_text)}
    assert defined == _lib.FORMATS
