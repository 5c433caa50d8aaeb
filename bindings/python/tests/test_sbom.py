"""berth.sbom through the binding: an image built from a directory holding a dpkg
status file, a dist-info directory and a whiteout in an upper layer, described as
SPDX 2.3 — the packages, their purls and the files' checksums checked against what
Python itself computes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import berth

STATUS = """Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1
Description: compression library
 continued

Package: removed-one
Status: deinstall ok config-files
Version: 1.0

"""

METADATA = "Metadata-Version: 2.1\nName: Demo_Pkg\nVersion: 1.2.3\nLicense: MIT\n\nbody\n"


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("sbom")
    lower, upper = work / "lower", work / "upper"
    (lower / "var/lib/dpkg").mkdir(parents=True)
    (lower / "var/lib/dpkg/status").write_text(STATUS)
    site = lower / "usr/lib/python3/dist-packages/Demo_Pkg-1.2.3.dist-info"
    site.mkdir(parents=True)
    (site / "METADATA").write_text(METADATA)
    (lower / "etc").mkdir()
    (lower / "etc/secret").write_text("deleted above\n")
    (lower / "etc/kept").write_bytes(b"kept\x00bytes")
    ref = f"oci:{work / 'layout'}:v1"
    berth.build(output=f"oci:{work / 'layout'}:base", layers=[lower], created=1700000000)
    # The upper layer deletes etc/secret with a whiteout file, as docker builds do.
    (upper / "etc").mkdir(parents=True)
    (upper / "etc/.wh.secret").write_bytes(b"")
    berth.build(output=ref, from_=f"oci:{work / 'layout'}:base", layers=[upper], created=1700000000)
    return {"ref": ref, "lower": lower}


def test_sbom_packages_files_and_whiteouts(image):
    doc = berth.sbom(image["ref"], created="2026-01-02T03:04:05Z")
    assert doc["spdxVersion"] == "SPDX-2.3"
    assert doc["creationInfo"]["created"] == "2026-01-02T03:04:05Z"
    purls = {ref["referenceLocator"] for p in doc["packages"] for ref in p.get("externalRefs", [])}
    assert "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&upstream=zlib" in purls
    assert "pkg:pypi/demo-pkg@1.2.3" in purls
    assert not any("removed-one" in p for p in purls)
    files = {f["fileName"]: {c["algorithm"]: c["checksumValue"] for c in f["checksums"]}
             for f in doc["files"]}
    assert "./etc/secret" not in files and "./etc/.wh.secret" not in files
    kept = (image["lower"] / "etc/kept").read_bytes()
    assert files["./etc/kept"] == {"SHA1": hashlib.sha1(kept).hexdigest(),
                                   "SHA256": hashlib.sha256(kept).hexdigest()}


def test_sbom_is_reproducible_and_errors_are_typed(image, tmp_path):
    assert berth.sbom(image["ref"], created="2026-01-02T03:04:05Z") == \
        berth.sbom(image["ref"], created="2026-01-02T03:04:05Z")
    with pytest.raises(berth.NotFoundError):
        berth.sbom(f"oci:{tmp_path / 'nothing'}:v1")
    with pytest.raises(TypeError):
        berth.sbom(image["ref"], timeout="soon")  # type: ignore[arg-type]


def _tar(path: Path, members: list) -> Path:
    """A layer tar: (name, bytes) files, (name, None) directories, (name, "->target")
    hard links."""
    import io
    import tarfile
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            elif isinstance(data, str):
                info.type, info.linkname = tarfile.LNKTYPE, data[2:]
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def test_sbom_opaque_directories_and_hard_links(tmp_path):
    lower = _tar(tmp_path / "lower.tar", [("opt", None), ("opt/a", b"a"), ("opt/b", b"b"),
                                          ("keep", b"kept")])
    upper = _tar(tmp_path / "upper.tar", [("opt", None), ("opt/.wh..wh..opq", b""),
                                          ("opt/c", b"c"), ("usr/bin/x", b"\x7fELF not go"),
                                          ("usr/bin/x2", "->usr/bin/x")])
    ref = f"oci:{tmp_path / 'layout'}:v1"
    berth.build(output=ref, layers=[lower, upper], created=1700000000)
    doc = berth.sbom(ref)
    files = {f["fileName"]: f["checksums"] for f in doc["files"]}
    assert set(files) == {"./keep", "./opt/c", "./usr/bin/x", "./usr/bin/x2"}
    assert files["./usr/bin/x2"] == files["./usr/bin/x"]
    assert files["./opt/c"][1]["checksumValue"] == hashlib.sha256(b"c").hexdigest()
