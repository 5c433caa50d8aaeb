"""berth sbom against real image content: an image built by berth from a directory
holding a trimmed copy of this machine's dpkg status, its os-release, an apk database
in apk's documented format, a real Python dist-info directory from site-packages and a
real Go binary (crane). The packages, versions and purls must match what dpkg-query,
`go version -m` and importlib.metadata say; the files' checksums what hashlib says;
the document must pass the SPDX project's own validator (pyspdxtools); a file an
upper layer deleted must be absent; hostile inputs give warnings, never a crash."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

import itlib
from itlib import run

DPKG_STATUS = "/var/lib/dpkg/status"
APK_DB = """C:Q1SgEtLW1zJWDXKPvs28Q0q/MwuK4=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407447
I:655360
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1705512112
c:8a9a9d4c3a8c4b4b4a1c0d0e6f0b6d2e1a0f9c8b
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1tBc5eaFkhe6hzVNzDg/ELXdxZ2I=

C:Q1Hq1AhR0vbXNIWPcp7HNEAxNRQ8k=
P:ssl_client
V:1.36.1-r15
A:x86_64
L:GPL-2.0-only
o:busybox
D:so:libc.musl-x86_64.so.1

"""
# Python distribution shipped in the image: any real one this interpreter has.
PY_DIST = "pytest"


def go_bin() -> str | None:
    return shutil.which("go") or (os.path.exists("/usr/local/go/bin/go") and "/usr/local/go/bin/go") or None


def pyspdxtools() -> str:
    path = shutil.which("pyspdxtools")
    if not path:
        pytest.fail("pyspdxtools is missing (scripts/setup.sh: pip install spdx-tools)", pytrace=False)
    return path


def trimmed_status() -> str:
    """The first ten installed stanzas of the machine's status file, plus a few with
    epochs and Source: fields (what purls must encode)."""
    stanzas = Path(DPKG_STATUS).read_text().split("\n\n")
    picked, epochs, sources = [], 0, 0
    for s in stanzas:
        if "Package:" not in s:
            continue
        has_epoch = any(l.startswith("Version:") and ":" in l[8:] for l in s.splitlines())
        has_source = any(l.startswith("Source:") for l in s.splitlines())
        if len(picked) < 10 or (has_epoch and epochs < 3) or (has_source and sources < 3):
            picked.append(s.strip("\n"))
            epochs += has_epoch
            sources += has_source
    return "\n\n".join(picked) + "\n"


def dpkg_query(status_text: str, tmp: Path) -> set[tuple[str, str, str, str]]:
    """(name, version, arch, source) of installed packages, as dpkg itself reads them."""
    admin = tmp / "dpkg-admin"
    (admin / "updates").mkdir(parents=True)
    (admin / "info").mkdir()
    (admin / "status").write_text(status_text)
    out = subprocess.run(["dpkg-query", "--admindir", str(admin), "-W", "-f",
                          "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\t"
                          "${source:Package}\n"], capture_output=True, text=True, check=True)
    rows = set()
    for line in out.stdout.splitlines():
        name, version, arch, status, source = line.split("\t")
        if status.startswith("ii"):
            rows.add((name, version, arch, "" if source == name else source))
    return rows


def go_version_m(binary: str) -> tuple[str, set[tuple[str, str]]]:
    """The Go version and the (module path, version) pairs `go version -m` reports,
    replacements applied."""
    out = subprocess.run([go_bin(), "version", "-m", binary], capture_output=True, text=True,
                         check=True).stdout
    go_version = out.splitlines()[0].split(": ", 1)[1].strip()
    mods: list[tuple[str, str]] = []
    for line in out.splitlines()[1:]:
        f = line.strip().split("\t")
        if f[0] in ("mod", "dep"):
            mods.append((f[1], f[2] if len(f) > 2 else ""))
        elif f[0] == "=>":
            mods[-1] = (f[1], f[2])
    return go_version, set(mods)


def purls(doc: dict, kind: str) -> list[str]:
    return [r["referenceLocator"] for p in doc["packages"] for r in p.get("externalRefs", [])
            if r["referenceLocator"].startswith("pkg:%s/" % kind)]


def split_purl(purl: str) -> tuple[str, str, dict]:
    """pkg:type/ns/name@version?quals -> ("ns/name", version, quals), decoded (the
    namespace is the module path's head for golang, the distribution for deb/apk)."""
    rest, _, q = purl[4:].partition("?")
    path, _, version = rest.rpartition("@")
    quals = dict(kv.split("=", 1) for kv in q.split("&")) if q else {}
    return (unquote(path.split("/", 1)[1]), unquote(version),
            {k: unquote(v) for k, v in quals.items()})


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> dict:
    go = go_bin()
    crane = itlib.find_crane()
    if not (go and crane):
        pytest.fail("needs go and crane (scripts/setup.sh installs crane)", pytrace=False)
    work = tmp_path_factory.mktemp("sbom-content")
    root, upper = work / "root", work / "upper"
    status = trimmed_status()
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(status)
    (root / "etc").mkdir()
    shutil.copy("/etc/os-release", root / "etc/os-release")
    (root / "etc/deleted-above").write_text("an upper layer deletes this\n")
    (root / "lib/apk/db").mkdir(parents=True)
    (root / "lib/apk/db/installed").write_text(APK_DB)
    dist = importlib.metadata.distribution(PY_DIST)
    dist_info = Path(dist._path)  # type: ignore[attr-defined]
    site = root / "usr/lib/python3/dist-packages"
    site.mkdir(parents=True)
    shutil.copytree(dist_info, site / dist_info.name)
    # and a setuptools egg-info directory as Debian's python3-* packages install them
    eggs = sorted(Path("/usr/lib/python3/dist-packages").glob("*.egg-info/PKG-INFO"))
    egg = eggs[0].parent if eggs else None
    if egg:
        shutil.copytree(egg, site / egg.name)
    (root / "usr/local/bin").mkdir(parents=True)
    shutil.copy(crane, root / "usr/local/bin/crane")
    (upper / "etc").mkdir(parents=True)
    (upper / "etc/.wh.deleted-above").write_bytes(b"")
    return {"work": work, "root": root, "status": status, "dist": dist, "crane": crane,
            "egg": importlib.metadata.PathDistribution(egg) if egg else None}


@pytest.fixture(scope="module")
def image(content, berth_bin, tmp_path_factory) -> dict:
    layout = content["work"] / "layout"
    env = itlib.clean_env(str(tmp_path_factory.mktemp("home")), SOURCE_DATE_EPOCH="1700000000")
    # Uncompressed layers: the Go binary makes them big, and gzip would only cost time.
    run([berth_bin, "build", "--quiet", "--compression", "none", "--layer", str(content["root"]),
         "--layer", str(content["work"] / "upper"), "--output", "oci:%s:v1" % layout], env=env)
    return {"ref": "oci:%s:v1" % layout, "env": env}


def sbom(berth_bin: str, ref: str, env: dict, *args: str, check: bool = True) -> itlib.Result:
    return run([berth_bin, "sbom", *args, ref], env=env, check=check)


def test_sbom_matches_dpkg_go_python_and_validates(berth_bin, content, image, tmp_path):
    out = tmp_path / "sbom.spdx.json"
    r = sbom(berth_bin, image["ref"], image["env"], "--output", str(out))
    assert r.stdout == "", "--output leaves stdout empty"
    v = subprocess.run([pyspdxtools(), "-i", str(out)], capture_output=True, text=True, timeout=120)
    assert v.returncode == 0, v.stdout + v.stderr
    doc = json.loads(out.read_text())
    assert doc["spdxVersion"] == "SPDX-2.3"
    assert doc["creationInfo"]["created"] == "2023-11-14T22:13:20Z"  # SOURCE_DATE_EPOCH

    os_release = dict(l.split("=", 1) for l in Path("/etc/os-release").read_text().splitlines() if "=" in l)
    distro_id = os_release["ID"].strip('"')
    distro = "%s-%s" % (distro_id, os_release["VERSION_ID"].strip('"'))

    # dpkg: every installed package dpkg-query reports, nothing else
    want = dpkg_query(content["status"], tmp_path)
    assert len(want) >= 10
    got = set()
    for p in purls(doc, "deb"):
        assert p.startswith("pkg:deb/%s/" % distro_id)
        path, version, q = split_purl(p)
        name = path.split("/", 1)[1]
        assert q.get("distro") == distro
        assert p.split("@", 1)[1].startswith(quote(version, safe="")), p  # ':' and '+' encoded
        got.add((name, version, q.get("arch", ""), q.get("upstream", "")))
    assert got == want

    # apk: the two packages of the database
    apk = {(split_purl(p)[0].split("/", 1)[1], split_purl(p)[1]) for p in purls(doc, "apk")}
    assert apk == {("musl", "1.2.4_git20230717-r4"), ("ssl_client", "1.36.1-r15")}

    # Python: name and version as importlib.metadata reads them
    dist = content["dist"]
    norm = dist.metadata["Name"].lower().replace("_", "-")
    assert "pkg:pypi/%s@%s" % (norm, dist.version) in purls(doc, "pypi")
    if content["egg"]:
        egg = content["egg"]
        norm = re.sub(r"[-_.]+", "-", egg.metadata["Name"]).lower()
        assert "pkg:pypi/%s@%s" % (norm, quote(egg.version, safe="")) in purls(doc, "pypi")

    # Go: the main module and every dependency `go version -m` lists
    go_version, mods = go_version_m(content["crane"])
    got_go = {split_purl(p)[:2] for p in purls(doc, "golang")}
    # and the standard library at the toolchain's version (syft's "stdlib" convention)
    assert got_go == mods | {("stdlib", go_version[2:])} and len(mods) > 3
    main = [p for p in doc["packages"] if p["name"] == "github.com/google/go-containerregistry"]
    assert main and go_version in main[0]["comment"]

    # files: checksums as hashlib computes them; the deleted file and whiteouts absent
    files = {f["fileName"]: {c["algorithm"]: c["checksumValue"] for c in f["checksums"]}
             for f in doc["files"]}
    data = Path(content["crane"]).read_bytes()
    assert files["./usr/local/bin/crane"] == {"SHA1": hashlib.sha1(data).hexdigest(),
                                              "SHA256": hashlib.sha256(data).hexdigest()}
    assert "./etc/deleted-above" not in files and "./etc/os-release" in files
    assert not any("/.wh." in f for f in files)
    expected_files = {"./" + str(p.relative_to(content["root"])) for p in content["root"].rglob("*")
                      if p.is_file()} - {"./etc/deleted-above"}
    assert set(files) == expected_files


def test_sbom_from_registry_and_archive_is_the_same_document(berth_bin, plain_reg, repo, image,
                                                             tmp_path):
    ref = "%s/%s:v1" % (plain_reg.hostport, repo)
    run([berth_bin, "push", "--quiet", image["ref"], ref], env=image["env"])
    archive = "oci-archive:%s" % (tmp_path / "image.tar")
    run([berth_bin, "copy", "--quiet", image["ref"], archive], env=image["env"])
    docs = [json.loads(sbom(berth_bin, r, image["env"]).stdout) for r in (image["ref"], ref, archive)]
    # Only the name (and the namespace and image purl derived from it) differ.
    for d in docs:
        d.pop("name"), d.pop("documentNamespace")
        d["packages"][0].pop("name"), d["packages"][0].pop("externalRefs")
    assert docs[0] == docs[1] == docs[2]


def test_hostile_content_gives_warnings_not_crashes(berth_bin, content, tmp_path):
    bad = tmp_path / "bad"
    (bad / "var/lib/dpkg/status.d").mkdir(parents=True)
    (bad / "var/lib/dpkg/status").write_bytes(
        b"Package: ok-one\nVersion: 1.0\nStatus: install ok installed\n\n"
        b"\x00\xff garbage without a colon\n Package: continuation-first\n\n"
        b"Package: no-version\nStatus: install ok installed\n\n")
    (bad / "var/lib/dpkg/status.d/broken").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(512))
    meta = bad / "usr/lib/python3/site-packages/evil-1.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text("Name: ../../../etc/passwd\nVersion: 1\n")
    # a Go binary cut inside its build info
    data = Path(content["crane"]).read_bytes()
    at = data.index(b"\xff Go buildinf:")
    (bad / "bin").mkdir()
    (bad / "bin/truncated").write_bytes(data[:at + 40])
    (bad / "bin/notelf").write_bytes(b"\x7fEL")
    # names that are not UTF-8, or hold a newline (tar stores bytes)
    with open(os.path.join(os.fsencode(bad / "bin"), b"latin1-\xe9"), "wb") as f:
        f.write(b"x")
    (bad / "bin/new\nline").write_bytes(b"y")
    layout = tmp_path / "layout"
    env = itlib.clean_env(str(tmp_path / "home"))
    run([berth_bin, "build", "--quiet", "--compression", "none", "--layer", str(bad), "--output",
         "oci:%s:v1" % layout], env=env)
    r = sbom(berth_bin, "oci:%s:v1" % layout, env)
    doc = json.loads(r.stdout)
    names = {p["name"] for p in doc["packages"]}
    assert "ok-one" in names and "no-version" not in names and "../../../etc/passwd" not in names
    assert "var/lib/dpkg/status:" in r.stderr and "not a field" in r.stderr
    assert "evil-1.dist-info/METADATA: no valid Name and Version" in r.stderr
    assert "bin/truncated: Go build info cut short" in r.stderr
    assert "cut short" in doc["creationInfo"]["comment"]
    names = {f["fileName"] for f in doc["files"]}
    assert "./bin/latin1-\ufffd" in names and "./bin/new\nline" in names
    out = tmp_path / "bad.json"
    out.write_text(r.stdout)
    v = subprocess.run([pyspdxtools(), "-i", str(out)], capture_output=True, text=True, timeout=120)
    assert v.returncode == 0, v.stdout + v.stderr


def test_sbom_errors(berth_bin, tmp_path):
    env = itlib.clean_env(str(tmp_path / "home"))
    r = run([berth_bin, "sbom", "oci:%s:v1" % (tmp_path / "none")], env=env, check=False)
    assert r.returncode == 1 and r.stdout == "" and r.stderr
    r = run([berth_bin, "sbom"], env=env, check=False)
    assert r.returncode == 2
    # a failed run leaves no --output file behind
    r = run([berth_bin, "sbom", "--output", str(tmp_path / "x.json"), "oci:%s:v1" % (tmp_path / "none")],
            env=env, check=False)
    assert r.returncode != 0 and not (tmp_path / "x.json").exists()


def test_memory_stays_bounded_and_oversized_databases_are_skipped(berth_bin, tmp_path):
    """An 80 MiB dpkg "status" (past the 64 MiB berth reads of a database) streams
    through: listed with its checksum, skipped as a database with a warning, and the
    process never holds it (peak RSS well under the file's size)."""
    big = tmp_path / "big"
    (big / "var/lib/dpkg").mkdir(parents=True)
    size = 80 << 20
    with open(big / "var/lib/dpkg/status", "wb") as f:
        f.truncate(size)  # sparse: quick to make, still 80 MiB in the layer
    env = itlib.clean_env(str(tmp_path / "home"))
    ref = "oci:%s:v1" % (tmp_path / "layout")
    run([berth_bin, "build", "--quiet", "--compression", "none", "--layer", str(big), "--output",
         ref], env=env)
    # GNU time measures berth alone: a child forked from pytest would report pytest's
    # pages too (Linux keeps the pre-exec peak in ru_maxrss).
    out, err, rss = tmp_path / "out.json", tmp_path / "err.txt", tmp_path / "rss"
    with open(out, "wb") as o, open(err, "wb") as e:
        rc = subprocess.call(["/usr/bin/time", "-f", "%M", "-o", str(rss), berth_bin, "sbom", ref],
                             stdout=o, stderr=e, env=env)
    assert rc == 0, err.read_text()
    peak_kib = int(rss.read_text().split()[-1])
    assert peak_kib < 48 << 10, "peak RSS %d KiB while 80 MiB streamed" % peak_kib
    assert "var/lib/dpkg/status: %d bytes, more than berth reads" % size in err.read_text()
    doc = json.loads(out.read_text())
    sums = {c["algorithm"]: c["checksumValue"] for f in doc["files"]
            if f["fileName"] == "./var/lib/dpkg/status" for c in f["checksums"]}
    assert sums["SHA256"] == hashlib.sha256(bytes(size)).hexdigest()
    assert [p["name"] for p in doc["packages"]] == [ref]
