#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (one file per seed, named by its
SHA-1, as libFuzzer names corpus files).

Seeds come from the test fixtures already in the repository — string literals of
the C++ unit tests and of the Python test servers, routed to the parser they feed —
plus small documents made here for what the fixtures lack: tars of every header
flavour, gzip and zstd streams, archives with links. Deterministic: re-running
rewrites the same files. Run it after changing a fixture the seeds come from:

    fuzz/make_seeds.py
"""

import ast
import bz2
import gzip
import hashlib
import io
import json
import lzma
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEP = b"\n=====\n"  # fuzz_input.hpp's separator between the parts of one input
MAX_SEED = 6144  # bytes: seeds stay small, libFuzzer grows them as it needs

seeds: dict[str, set[bytes]] = {}


def add(target: str, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode()
    if len(data) <= MAX_SEED:
        seeds.setdefault(target, set()).add(data)


# --- string literals of the fixtures ------------------------------------------------

def cpp_literals(path: Path) -> list[bytes]:
    """String literals of a C++ file, adjacent ones joined, escapes decoded."""
    src = path.read_bytes()
    out: list[bytes] = []
    i, n = 0, len(src)
    current: bytes | None = None
    last_end = 0
    while i < n:
        c = src[i:i + 1]
        if src.startswith(b"//", i):
            i = src.find(b"\n", i)
            i = n if i < 0 else i
            continue
        if src.startswith(b"/*", i):
            i = src.find(b"*/", i) + 2
            continue
        if c == b"'" and not src[i - 1:i].isalnum():  # a char literal (not a digit separator)
            j = i + 1
            while j < n and src[j:j + 1] != b"'":
                j += 2 if src[j:j + 1] == b"\\" else 1
            i = j + 1
            continue
        if src.startswith(b'R"', i) and not src[i - 1:i].isalnum():
            open_paren = src.index(b"(", i)
            delim = src[i + 2:open_paren]
            close = src.index(b")" + delim + b'"', open_paren)
            value, end = src[open_paren + 1:close], close + len(delim) + 2
        elif c == b'"':
            j = i + 1
            while src[j:j + 1] != b'"':
                j += 2 if src[j:j + 1] == b"\\" else 1
            raw = src[i + 1:j]
            value = raw.decode("latin-1").encode("latin-1").decode("unicode_escape").encode("latin-1")
            end = j + 1
        else:
            i += 1
            continue
        # Adjacent literals ("a" "b", R"(a)" R"(b)") are one string.
        if current is not None and src[last_end:i].strip() == b"":
            current += value
        else:
            if current is not None:
                out.append(current)
            current = value
        last_end = i = end
    if current is not None:
        out.append(current)
    return out


def py_literals(path: Path) -> list[bytes]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            v = node.value
            out.append(v.encode("utf-8", "surrogateescape") if isinstance(v, str) else v)
    return out


def route_json(text: bytes) -> None:
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return
    keys = set(doc) if isinstance(doc, dict) else set()
    if isinstance(doc, list) and doc and all(isinstance(e, dict) and "Config" in e for e in doc):
        add("docker_archive_manifest", text)
    if keys & {"schemaVersion", "manifests", "layers", "config", "mediaType"}:
        for hint in range(6):
            add("manifest", bytes([hint]) + text)
        if "manifests" in keys:
            add("oci_layout_index", text)
    if keys & {"rootfs", "architecture", "os", "history"} and "layers" not in keys:
        add("image_config", text)
    if "rules" in keys:
        add("lifecycle_policy", text)
    if keys & {"auths", "credHelpers", "credsStore"}:
        add("docker_config", text)
    if keys & {"errors"}:
        add("registry_error", b"\x00" + text)
    if keys & {"__type", "message", "Message", "code"}:
        add("aws_error", b"\x00" + text)
    if keys & {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}:
        add("credentials_json", text)
    for selector, marker in enumerate(["authorizationData", "repositories", "imageDetails",
                                       "repository", "imageScanStatus"]):
        if marker in keys:
            add("ecr_reply", bytes([selector]) + text)


def route(text: bytes, origin: str) -> None:
    s = text.strip()
    if not s:
        return
    if s[:1] in (b"{", b"["):
        route_json(s)
    if s.startswith(b"<") and b"</" in s:
        add("sts_reply", s)
        add("aws_error", b"\x00" + s)
    if re.match(rb"(?i)(basic|bearer)\s", s):
        add("challenge", s)
    if origin == "test_aws_shared_config.cpp" and b"=" in s and b"[" in s:
        add("aws_ini", text)
    if re.fullmatch(rb"[a-z0-9+._-]*sha[a-z0-9+._-]*:[A-Za-z0-9=_.-]+", s):
        add("digest", s)


def references() -> None:
    """The arguments of Reference::parse in the reference tests, and RepoTags."""
    src = (ROOT / "tests/unit/test_reference.cpp").read_text()
    for m in re.finditer(r'parse\("((?:[^"\\]|\\.)*)"\)', src):
        add("reference", m.group(1).encode().decode("unicode_escape").encode("latin-1"))
    for m in re.finditer(r'\{"((?:[^"\\]|\\.)*)",\s*"', src):  # tables of {input, expected}
        add("reference", m.group(1))


# --- documents made here ------------------------------------------------------------

def tar_bytes(fmt: int, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for info, data in members:
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    # tarfile pads the archive to 10 KiB records; two zero blocks end it just as well.
    body = buf.getvalue().rstrip(b"\0")
    return body + b"\0" * (-len(body) % 512) + b"\0" * 1024


def member(name: str, data: bytes | None = None, kind: bytes = tarfile.REGTYPE,
           link: str = "", **attrs) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    if data is not None:
        info.size = len(data)
    for k, v in attrs.items():
        setattr(info, k, v)
    return info, data


def tars() -> list[bytes]:
    long = "dir/" + "d" * 120 + "/" + "f" * 110
    out = [
        tar_bytes(tarfile.USTAR_FORMAT, [member("etc/", kind=tarfile.DIRTYPE, mode=0o755),
                                         member("etc/hosts", b"127.0.0.1 localhost\n"),
                                         member("etc/link", kind=tarfile.SYMTYPE, link="hosts"),
                                         member("etc/hard", kind=tarfile.LNKTYPE, link="etc/hosts")]),
        tar_bytes(tarfile.USTAR_FORMAT, [member("dev/null", kind=tarfile.CHRTYPE, devmajor=1,
                                                devminor=3),
                                         member("fifo", kind=tarfile.FIFOTYPE),
                                         member("a/b/../c", b"up", mode=0o4755)]),
        tar_bytes(tarfile.PAX_FORMAT, [member(long, b"x" * 10, uid=10**9, gid=3,
                                              pax_headers={"SCHILY.xattr.user.k": "v",
                                                           "mtime": "1700000000.5"}),
                                       member("app/.wh.old", b""),
                                       member("app/.wh..wh..opq", b"")]),
        tar_bytes(tarfile.GNU_FORMAT, [member(long, b"gnu"),
                                       member("l", kind=tarfile.SYMTYPE, link=long),
                                       member("big-uid", b"", uid=8**8 + 1)]),
    ]
    # A pax global header, then v7 (no magic) headers: made by hand.
    pax_global = tarfile.TarInfo("pax_global_header")
    pax_global.type = tarfile.XGLTYPE
    out.append(tar_bytes(tarfile.PAX_FORMAT, [(pax_global, None)])[:512] +
               tar_bytes(tarfile.PAX_FORMAT, [member("after-global", b"data")]))
    v7 = bytearray(tar_bytes(tarfile.USTAR_FORMAT, [member("v7file", b"old")]))
    v7[257:265] = b"\0" * 8  # no "ustar" magic
    chk = sum(v7[:148]) + 8 * 32 + sum(v7[156:512])
    v7[148:156] = b"%06o\0 " % chk
    out.append(bytes(v7))
    out.append(tar_bytes(tarfile.USTAR_FORMAT, []))  # two zero blocks only
    # An oci-archive's names, reached through links, and a link loop.
    out.append(tar_bytes(tarfile.USTAR_FORMAT, [
        member("./oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
        member("blobs/sha256/" + "a" * 64, b"{}"),
        member("index.json", kind=tarfile.SYMTYPE, link="blobs/sha256/" + "a" * 64),
        member("manifest.json", kind=tarfile.LNKTYPE, link="index.json"),
        member("loop1", kind=tarfile.SYMTYPE, link="loop2"),
        member("loop2", kind=tarfile.SYMTYPE, link="/loop1")]))
    return out


def zstd(data: bytes) -> bytes | None:
    if not shutil.which("zstd"):
        return None
    return subprocess.run(["zstd", "-q", "-c", "-19"], input=data, capture_output=True,
                          check=True).stdout


def streams(all_tars: list[bytes]) -> None:
    for t in all_tars:
        add("tar_stream", b"\x00" + t)
        add("tar_stream", b"\x07" + t)  # 7-byte short reads
        add("tar_archive", t)
    for i, t in enumerate(all_tars[:3]):
        g = gzip.compress(t, mtime=0)
        add("decompress_gzip", bytes([i]) + g)
        add("tar_archive", g)
        z = zstd(t)
        if z:
            add("decompress_zstd", bytes([i]) + z)
    add("decompress_gzip", b"\x00" + gzip.compress(b"one", mtime=0) + gzip.compress(b"two", mtime=0))
    # decompress_archive: an even first byte is bzip2, an odd one xz.
    for i, t in enumerate(all_tars[:2]):
        add("decompress_archive", bytes([2 * i]) + bz2.compress(t))
        add("decompress_archive", bytes([2 * i + 1]) + lzma.compress(t))
    add("decompress_archive", b"\x00" + bz2.compress(b"one") + bz2.compress(b"two"))
    add("decompress_archive", b"\x01" + lzma.compress(b"one") + lzma.compress(b"two"))
    z1, z2 = zstd(b"frame one"), zstd(b"frame two")
    if z1 and z2:
        skippable = b"\x50\x2a\x4d\x18" + (4).to_bytes(4, "little") + b"skip"
        add("decompress_zstd", b"\x00" + z1 + skippable + z2)


EMPTY_TAR_DIGEST = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
CONFIG = {"architecture": "amd64", "os": "linux",
          "config": {"Env": ["PATH=/usr/local/bin:/usr/bin"], "Entrypoint": ["/bin/sh"],
                     "Labels": {"a": "b"}, "ExposedPorts": {"80/tcp": {}}},
          "rootfs": {"type": "layers", "diff_ids": [EMPTY_TAR_DIGEST]},
          "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "x"}]}


def made_documents() -> None:
    digest = "sha256:" + "a" * 64
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
            "size": 2, "annotations": {"org.opencontainers.image.ref.name": "latest"},
            "platform": {"architecture": "arm64", "os": "linux", "variant": "v8",
                         "os.features": ["x"], "os.version": "1"}}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [desc, dict(desc, annotations={"org.opencontainers.image.ref.name": "v1"})],
             "annotations": {"k": "v"}}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": digest, "size": 2},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": "sha512:" + "b" * 128, "size": 3, "urls": ["https://x"]}],
                "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": digest, "size": 2}}
    for doc in (index, manifest):
        route_json(json.dumps(doc).encode())
    add("oci_layout_index", json.dumps(index).encode() + SEP + b"v1")
    add("oci_layout_index", json.dumps(index).encode() + SEP + b"latest" + SEP +
        b'{"imageLayoutVersion":"1.0.0"}')
    add("image_config", json.dumps(CONFIG))
    archive = [{"Config": "config.json", "RepoTags": ["busybox:latest", "ghcr.io/o/app:v1"],
                "Layers": ["layer.tar"]},
               {"Config": "config.json", "RepoTags": None,
                "Layers": ["blobs/sha256/" + EMPTY_TAR_DIGEST[7:], "./layer.tar"]}]
    add("docker_archive_manifest", json.dumps(archive[:1]))
    add("docker_archive_manifest", json.dumps(archive).encode() + SEP + b"ghcr.io/o/app:v1")
    add("docker_archive_manifest", json.dumps(archive[:1]).encode() + SEP + b"" + SEP +
        json.dumps(CONFIG).encode())
    add("docker_config", b'{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},'
        b'"localhost:5000":{"username":"u","password":"p"}},"credHelpers":'
        b'{"123456789012.dkr.ecr.us-east-1.amazonaws.com":"ecr-login"},"credsStore":"desktop"}'
        + SEP + b"docker.io")
    ecr = [
        {"authorizationData": [{"authorizationToken": "QVdTOnB3", "expiresAt": 1700000000.5,
                                "proxyEndpoint": "https://1.dkr.ecr.us-east-1.amazonaws.com"}]},
        {"repositories": [{"repositoryName": "app", "repositoryArn": "arn", "repositoryUri": "u",
                           "registryId": "1", "imageTagMutability": "IMMUTABLE",
                           "imageScanningConfiguration": {"scanOnPush": True},
                           "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "k"}}],
         "nextToken": "t"},
        {"imageDetails": [{"imageDigest": digest, "imageTags": ["v1", "latest"],
                           "imagePushedAt": 1690000000.25}, {"imageDigest": digest}]},
        {"repository": {"repositoryName": "app"}},
        {"imageScanStatus": {"status": "COMPLETE", "description": "d"},
         "imageScanFindings": {"findingSeverityCounts": {"CRITICAL": 1, "HIGH": 2}}},
    ]
    for selector, doc in enumerate(ecr):
        add("ecr_reply", bytes([selector]) + json.dumps(doc).encode())
    add("sts_reply", b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        b"<AssumeRoleResult><Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s"
        b"</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z"
        b"</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>")
    add("credentials_json", b'{"AccessKeyId":"ASIA","SecretAccessKey":"s","Token":"t",'
        b'"Expiration":"2030-01-01T00:00:00Z"}')
    add("aws_ini", b"[default]\nregion = us-east-1\n[profile dev] # comment\n"
        b"role_arn = arn:aws:iam::1:role/r\nsource_profile = default\ns3 =\n"
        b"  max_concurrent_requests = 2\n[sso-session x]\nsso_region = eu-west-1\n"
        + SEP + b"[default]\naws_access_key_id = AKID\naws_secret_access_key = s ; c\n")
    add("challenge", b'Bearer realm="https://auth.example.com/token",service="registry",'
        b'scope="repository:a/b:pull,push", Basic realm="x\\"y"')
    add("lifecycle_policy", b'{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged",'
        b'"tagPatternList":["v*-rc*"],"countType":"sinceImagePushed","countUnit":"days",'
        b'"countNumber":30},"action":{"type":"expire"}},{"rulePriority":2,"selection":'
        b'{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":3},'
        b'"action":{"type":"expire"}}]}')
    for ref in ["ubuntu", "localhost:5000/a/b:tag@" + digest, "[::1]:5000/app",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1.2.3"]:
        add("reference", ref)
    add("digest", digest)
    add("digest", "sha512:" + "0" * 128)


def sbom_documents() -> None:
    """Package databases, metadata and Go build info as they sit in image layers."""
    add("sbom_dpkg_status", b'ID=debian\nVERSION_ID="12"\n' + SEP +
        b"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n"
        b"Source: glibc (2.36-9)\nVersion: 2.36-9+deb12u4\nDescription: GNU C\n more\n\n"
        b"Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nbad line\n")
    add("sbom_dpkg_status", b"" + SEP + b"Package: tzdata\nVersion: 2024a-0\nArchitecture: all\n")
    add("sbom_apk_installed", b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\n"
        b"F:lib\nR:libc.so\n\nP:busybox\nV:1.36.1-r5\n\nP:nover\n\nnot a field\n")
    add("sbom_python_metadata", b"Metadata-Version: 2.1\nName: Charset_Normalizer\n"
        b"Version: 3.3.2\nLicense: MIT\nClassifier: x\n  continued\n\nbody\n")
    add("sbom_python_metadata", b"Name: ../../etc\nVersion: 1\n")
    modinfo = (b"path\texample.com/tool/cmd/tool\nmod\texample.com/tool\tv1.2.3\th1:a=\n"
               b"dep\tgithub.com/a/b\tv0.1.0\th1:x=\n=>\tgithub.com/fork/b\tv0.2.0\th1:y=\n"
               b"build\t-compiler=gc\n")

    def uvarint(n: int) -> bytes:
        out = b""
        while n >= 0x80:
            out += bytes([(n & 0x7F) | 0x80])
            n >>= 7
        return out + bytes([n])

    wrapped = b"S" * 16 + modinfo + b"E" * 16
    blob = (b"\xff Go buildinf:" + b"\x08\x02").ljust(32, b"\0")
    blob += uvarint(8) + b"go1.22.1" + uvarint(len(wrapped)) + wrapped
    elf = b"\x7fELF".ljust(64, b"\0") + blob + b"tail"
    for chunk_selector in (0, 7, 63):
        add("sbom_go_buildinfo", bytes([chunk_selector]) + elf)
    add("sbom_go_buildinfo", b"\x05" + elf[:80])  # truncated inside the header
    add("sbom_layer_view", b"etc/.wh.passwd\nopt/.wh..wh..opq\n./usr/bin/tool\nvar/\n" + SEP +
        b"etc/passwd\netc/group\nopt/old\n/usr//bin/../bin/tool\n../../x\n")
    # Whole layers for the scanner (sbom_layers): chunk byte, then tars topmost first.
    ustar = tarfile.USTAR_FORMAT
    upper = tar_bytes(ustar, [member("etc/.wh.passwd", b""),
                              member("etc/os-release", b'ID=debian\nVERSION_ID="12"\n'),
                              member("var/lib/dpkg/status", b"Package: bash\nVersion: 5.2\n"
                                     b"Status: install ok installed\n\nPackage: x\n\n")])
    lower = tar_bytes(ustar, [member("etc/passwd", b"root:x:0:0::/root:/bin/sh\n")])
    add("sbom_layers", b"\x00" + upper + SEP + lower)
    add("sbom_layers", b"\x07" + tar_bytes(ustar, [
        member("usr/lib/python3/site-packages/a-1.dist-info/METADATA",
               b"Metadata-Version: 2.1\nName: a\nVersion: 1\n\nbody\n"),
        member("usr/bin/tool", elf, mode=0o755),
        member("usr/bin/tool2", kind=tarfile.LNKTYPE, link="usr/bin/tool")]))
    add("sbom_layers", b"\x03" + tar_bytes(ustar, [
        member("lib/apk/db/installed", b"P:musl\nV:1.2.4-r2\nA:x86_64\n\nP:nover\n\n"),
        member("var/lib/dpkg/status.d/tzdata", b"Package: tzdata\nVersion: 2024a-0\n"),
        member("opt/.wh..wh..opq", b"")]))
    add("sbom_layers", b"\x00" + tar_bytes(tarfile.PAX_FORMAT, [
        member("a/" * 150 + "f", b"x"), member("ok", b"y")]))


def main() -> int:
    for path in sorted((ROOT / "tests/unit").glob("*.cpp")):
        for lit in cpp_literals(path):
            route(lit, path.name)
    for path in sorted(ROOT.glob("tests/*/*.py")):
        try:
            literals = py_literals(path)
        except SyntaxError:
            continue
        for lit in literals:
            route(lit, path.name)
    references()
    made_documents()
    sbom_documents()
    streams(tars())

    corpus = HERE / "corpus"
    targets = sorted(p.stem for p in HERE.glob("*.cpp"))
    for target in targets:
        out = corpus / target
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for data in sorted(seeds.get(target, ())):
            (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
        print(f"{target}: {len(seeds.get(target, ()))} seeds")
    unknown = set(seeds) - set(targets)
    if unknown:
        print("seeds for no target:", ", ".join(sorted(unknown)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
