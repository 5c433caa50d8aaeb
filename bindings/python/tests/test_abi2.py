"""What ABI 2 changed, through the binding: berth_registry_options reaching each call,
results read from JSON, the library's defaults, and build's created=0.

Registries are Debian's docker-registry on 127.0.0.1 from the repository's test
stack (tests/servers/stack.py); images are made with umoci or built by berth into
OCI layouts. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

import berth
from berth import _lib

REGISTRY_BIN = os.environ.get("BERTH_DOCKER_REGISTRY", "docker-registry")
_MISSING = [t for t in (REGISTRY_BIN, "umoci", "htpasswd") if not shutil.which(t)]
needs_registry = pytest.mark.skipif(bool(_MISSING), reason=f"needs {', '.join(_MISSING)}")


from _keychain import empty_keychain  # noqa: E402,F401  (autouse, module-wide)


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> str:
    """A small one-layer OCI image built by berth: "oci:DIR:v1"."""
    work = tmp_path_factory.mktemp("abi2")
    (work / "src" / "etc").mkdir(parents=True)
    (work / "src" / "etc" / "motd").write_text("ABI 2 through the Python binding\n")
    ref = f"oci:{work / 'layout'}:v1"
    berth.build(output=ref, layers=[str(work / "src")], created=1_700_000_000)
    return ref


@pytest.fixture(scope="module")
def plain():
    import stack

    with stack.Registry() as reg:
        yield reg


@pytest.fixture(scope="module")
def htpasswd():
    import stack

    with stack.Registry(auth="htpasswd") as reg:
        yield reg


@pytest.fixture(scope="module")
def ec_key(tmp_path_factory):
    """(private, public) PEM EC P-256 key files made with OpenSSL."""
    if not shutil.which("openssl"):
        pytest.skip("needs openssl")
    d = tmp_path_factory.mktemp("keys")
    key, pub = d / "ec.key", d / "ec.pub"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                    "-out", str(key)], check=True, capture_output=True)
    subprocess.run(["openssl", "ec", "-in", str(key), "-pubout", "-out", str(pub)],
                   check=True, capture_output=True)
    return key, pub


def _dead_hostport() -> str:
    """127.0.0.1:PORT where nothing listens (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"127.0.0.1:{port}"


# ---------------------------------------------------------------------------------
# Defaults: one definition, include/berth/defaults.h, read through berth_defaults()


def _header_defaults(repo_root: Path) -> dict:
    text = (repo_root / "include" / "berth" / "defaults.h").read_text(encoding="utf-8")
    macros = dict(re.findall(r"#define (BERTH_\w+) (.+)", text))

    def number(name: str):
        value = macros[name].strip()
        shifted = re.fullmatch(r"\((\d+)ULL << (\d+)\)", value)
        if shifted:
            return int(shifted.group(1)) << int(shifted.group(2))
        return float(value) if "." in value else int(value)

    return {
        "jobs": number("BERTH_DEFAULT_JOBS"),
        "maxJobs": number("BERTH_MAX_JOBS"),
        "platform": json.loads(macros["BERTH_DEFAULT_PLATFORM"]),
        "stallTimeoutMs": number("BERTH_DEFAULT_STALL_TIMEOUT_MS"),
        "pageSize": number("BERTH_DEFAULT_PAGE_SIZE"),
        "maxExportBytes": number("BERTH_DEFAULT_MAX_EXPORT_BYTES"),
        "maxExpansionRatio": number("BERTH_DEFAULT_MAX_EXPANSION_RATIO"),
        "scanTimeoutSeconds": number("BERTH_DEFAULT_SCAN_TIMEOUT_S"),
    }


def test_defaults_are_the_header_s(repo_root):
    got = berth.defaults()
    assert got == _header_defaults(repo_root)
    got["jobs"] = -5  # a copy: the binding's own is untouched
    assert berth.defaults()["jobs"] != -5


def test_no_python_default_repeats_the_header(repo_root):
    """Arguments whose default is one of defaults.h's default to None (0 to the C
    ABI), so that the library's value applies."""
    import inspect

    for fn, names in ((berth.copy, ["jobs", "stall_timeout"]), (berth.replicate, ["jobs"]),
                      (berth.index, ["jobs"]), (berth.build, ["jobs", "platform"]),
                      (berth.validate, ["jobs"]), (berth.list_tags, ["page_size"]),
                      (berth.catalog, ["page_size"]), (berth.sbom, ["platform"]),
                      (berth.export, ["platform", "max_size", "max_expansion_ratio"]),
                      (berth.ecr_scan_gate, ["timeout_seconds"])):
        params = inspect.signature(fn).parameters
        for name in names:
            assert params[name].default is None, (fn.__name__, name)


def test_jobs_above_the_library_s_maximum_are_refused(image, tmp_path):
    most = berth.defaults()["maxJobs"]
    with pytest.raises(berth.InvalidArgumentError, match=str(most)):
        berth.copy(image, f"oci:{tmp_path / 'x'}:v1", jobs=most + 1)
    assert berth.copy(image, f"oci:{tmp_path / 'x'}:v1", jobs=most).blobs_copied == 2


# ---------------------------------------------------------------------------------
# build(created=0): the epoch, not "unset"


def test_build_created_zero_is_the_epoch(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_text("epoch\n")
    ref = f"oci:{tmp_path / 'out'}:v1"
    r = berth.build(output=ref, layers=[str(tmp_path / "src")], created=0)
    m = berth.manifest(ref).json()
    blob = tmp_path / "out" / "blobs" / "sha256" / m["config"]["digest"].split(":", 1)[1]
    config = json.loads(blob.read_bytes())
    assert config["created"] == "1970-01-01T00:00:00Z"
    assert r.config_digest == m["config"]["digest"]
    # None is "unset": SOURCE_DATE_EPOCH when set, else now.
    env = dict(os.environ, SOURCE_DATE_EPOCH="86400", PYTHONPATH=str(Path(berth.__file__).parent.parent))
    code = ("import berth, sys; r = berth.build(output=sys.argv[1], layers=[sys.argv[2]]); "
            "print(r.digest)")
    ran = subprocess.run([sys_executable(), "-c", code, f"oci:{tmp_path / 'sde'}:v1",
                          str(tmp_path / "src")], env=env, capture_output=True, text=True,
                         timeout=120)
    assert ran.returncode == 0, ran.stderr
    sde = berth.inspect(f"oci:{tmp_path / 'sde'}:v1").images[0]
    assert sde.created == "1970-01-02T00:00:00Z"


def sys_executable() -> str:
    import sys

    return sys.executable


# ---------------------------------------------------------------------------------
# Results from JSON


def _raw_copy(src_ref: str, dst_ref: str, **fields) -> dict:
    """berth_copy through ctypes alone: the JSON the library returned."""
    opts = _lib.CopyOptions()
    assert _lib.function("berth_copy_options_init")(opts, _lib.COPY_OPTIONS_VERSION) == 0
    for k, v in fields.items():
        setattr(opts, k, v)
    out = ctypes.c_void_p()
    rc = _lib.function("berth_copy")(ctypes.byref(out), src_ref.encode(), dst_ref.encode(),
                                     ctypes.byref(opts))
    raw = _lib.take_string(out)
    _lib.check(rc)
    return json.loads(raw)


def test_copy_result_carries_every_field_of_the_json(image, tmp_path):
    d = _raw_copy(image, f"oci:{tmp_path / 'raw'}:v1")
    r = berth.copy(image, f"oci:{tmp_path / 'py'}:v1")
    assert (r.digest, r.media_type, r.bytes_copied, r.blobs_copied, r.blobs_skipped,
            r.blobs_mounted, r.manifests) == (
        d["digest"], d["mediaType"], d["bytesCopied"], d["blobsCopied"], d["blobsSkipped"],
        d["blobsMounted"], d["manifests"])
    assert isinstance(d["warnings"], list) and r.warnings == tuple(d["warnings"])
    assert isinstance(r.seconds, float) and r.seconds >= 0
    assert r.mirror is None and r.signature is None
    assert (r.referrers, r.digest_tags) == (0, 0)
    # seconds is a measurement, not part of what was copied
    assert r == dataclasses.replace(r, seconds=r.seconds + 1)


def _attach(layout: Path, artifact_type: str) -> str:
    """An artifact whose subject is the layout's v1 image, as an untagged entry."""
    import hashlib

    def blob(data: bytes) -> dict:
        h = hashlib.sha256(data).hexdigest()
        (layout / "blobs" / "sha256" / h).write_bytes(data)
        return {"digest": "sha256:" + h, "size": len(data)}

    idx = json.loads((layout / "index.json").read_text())
    top = idx["manifests"][0]
    cfg, layer = blob(b"{}"), blob(b"payload of " + artifact_type.encode())
    m = blob(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": artifact_type,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", **cfg},
        "layers": [{"mediaType": "application/octet-stream", **layer}],
        "subject": {"mediaType": top["mediaType"], "digest": top["digest"],
                    "size": top["size"]}}).encode())
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                             "artifactType": artifact_type, **m})
    (layout / "index.json").write_text(json.dumps(idx))
    return m["digest"]


@needs_registry
def test_copy_reports_referrers_and_digest_tags(image, plain, tmp_path):
    layout = tmp_path / "with-sbom"
    shutil.copytree(image[len("oci:"):-len(":v1")], layout)
    for p in layout.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    _attach(layout, "application/vnd.example.sbom")
    r = berth.copy(f"oci:{layout}:v1", f"docker://{plain.hostport}/abi2/referrers:v1")
    assert r.referrers == 1
    # docker-registry 2.8 has no referrers API: the referrer travels in the tag
    # scheme's sha256-<hex> index; digest_tags counts cosign's .sig/.att/.sbom tags only.
    assert r.digest_tags == 0
    fallback = "sha256-" + r.digest.split(":", 1)[1]
    assert fallback in berth.list_tags(f"{plain.hostport}/abi2/referrers")
    assert all(isinstance(w, str) for w in r.warnings)
    none = berth.copy(f"oci:{layout}:v1", f"docker://{plain.hostport}/abi2/none:v1",
                      referrers=False)
    assert (none.referrers, none.digest_tags) == (0, 0)


@needs_registry
def test_copy_with_a_sign_key_reports_the_signature(image, plain, ec_key):
    key, pub = ec_key
    dst = f"docker://{plain.hostport}/abi2/signed:v1"
    r = berth.copy(image, dst, sign_key=key)
    assert r.signature and r.signature.endswith(r.digest.replace(":", "-") + ".sig")
    v = berth.verify(dst, pub)
    assert v["digest"] == r.digest and v["valid"] >= 1
    unsigned = berth.copy(image, f"docker://{plain.hostport}/abi2/unsigned:v1")
    assert unsigned.signature is None


def test_build_result_from_json(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_text("a\n")
    cache = tmp_path / "cache"
    first = berth.build(output=f"oci:{tmp_path / 'o1'}:v1", layers=[str(tmp_path / "a")],
                        created=0, cache_dir=cache)
    again = berth.build(output=f"oci:{tmp_path / 'o2'}:v1", layers=[str(tmp_path / "a")],
                        created=0, cache_dir=cache)
    assert (first.layers_built, first.layers_cached) == (1, 0)
    assert (again.layers_built, again.layers_cached) == (1, 1)
    (layer,) = again.layers
    assert layer.cached and layer.digest.startswith("sha256:") and layer.size > 0
    assert layer.diff_id.startswith("sha256:") and layer.diff_id != layer.digest
    assert again.digest == first.digest and again.base_name is None
    assert again.attestations == () and isinstance(again.warnings, tuple)


# ---------------------------------------------------------------------------------
# Registry options reach the call


@needs_registry
def test_credentials_reach_every_kind_of_call(image, htpasswd, ec_key, tmp_path):
    creds = f"{htpasswd.username}:{htpasswd.password}"
    wrong = f"{htpasswd.username}:wrong-{htpasswd.password}"
    repo = f"{htpasswd.hostport}/abi2/creds"
    with pytest.raises(berth.AuthError):
        berth.copy(image, f"docker://{repo}:v1")
    pushed = berth.copy(image, f"docker://{repo}:v1", dest_creds=creds)

    # berth_index_options.src / .dst
    with pytest.raises(berth.AuthError):
        berth.index([f"docker://{repo}:v1"], f"docker://{repo}:idx", src_creds=creds)
    idx = berth.index([f"docker://{repo}:v1"], f"docker://{repo}:idx", src_creds=creds,
                      dest_creds=creds)
    assert idx.digest.startswith("sha256:")
    # berth_export_options.src
    with pytest.raises(berth.AuthError):
        berth.export(f"docker://{repo}:v1", tmp_path / "rootfs")
    berth.export(f"docker://{repo}:v1", tmp_path / "rootfs", src_creds=creds)
    assert (tmp_path / "rootfs" / "etc" / "motd").is_file()
    # berth_inspect_options.registry
    with pytest.raises(berth.AuthError) as e:
        berth.inspect(f"{repo}:v1", creds=wrong)
    assert htpasswd.password not in str(e.value)
    assert berth.inspect(f"{repo}:v1", creds=creds).digest == pushed.digest
    # berth_sbom_options.registry
    with pytest.raises(berth.AuthError):
        berth.sbom(f"{repo}:v1")
    assert berth.sbom(f"{repo}:v1", creds=creds)["spdxVersion"] == "SPDX-2.3"
    # berth_cosign_options.registry, berth_verify_options.registry
    key, pub = ec_key
    with pytest.raises(berth.AuthError):
        berth.sign(f"docker://{repo}:v1", key)
    assert berth.sign(f"docker://{repo}:v1", key, creds=creds) == pushed.digest
    with pytest.raises(berth.AuthError):
        berth.verify(f"docker://{repo}:v1", pub)
    assert berth.verify(f"docker://{repo}:v1", pub, creds=creds)["valid"] >= 1
    # berth_build_options.src (a registry base) and .dst
    with pytest.raises(berth.AuthError):
        berth.build(from_=f"docker://{repo}:v1", output=f"docker://{repo}:built",
                    src_creds=creds)
    built = berth.build(from_=f"docker://{repo}:v1", output=f"docker://{repo}:built",
                        src_creds=creds, dest_creds=creds, created=0)
    assert built.base_digest == pushed.digest


@needs_registry
def test_mirrors_serve_reads(image, plain, tmp_path):
    """The source registry is down; its mirror (a path prefix on another registry)
    serves every read that takes berth_registry_options.mirrors."""
    upstream = _dead_hostport()
    cached = berth.copy(image, f"docker://{plain.hostport}/cache/abi2/app:v1")
    mirrors = [f"{upstream}={plain.hostport}/cache"]
    src = f"docker://{upstream}/abi2/app:v1"

    with pytest.raises(berth.NetworkError):
        berth.copy(src, f"oci:{tmp_path / 'direct'}:v1")
    r = berth.copy(src, f"oci:{tmp_path / 'mirrored'}:v1", mirrors=mirrors)
    assert r.digest == cached.digest and r.blobs_copied == 2
    assert r.mirror and plain.hostport in r.mirror and "cache" in r.mirror

    assert berth.inspect(src, mirrors=mirrors).digest == cached.digest
    assert berth.manifest(src, mirrors=mirrors).digest == cached.digest
    berth.export(src, tmp_path / "rootfs", mirrors=mirrors)
    assert (tmp_path / "rootfs" / "etc" / "motd").is_file()
    built = berth.build(from_=src, output=f"oci:{tmp_path / 'built'}:v1", mirrors=mirrors,
                        created=0)
    assert built.base_digest == cached.digest and built.base_mirror


def test_a_mirror_on_a_copy_s_destination_is_refused(image, tmp_path):
    """Mirrors are for reading: the library refuses them on berth_copy_options.dst
    (the binding gives mirrors to the source only, so ctypes is used directly)."""
    mirrors = (ctypes.c_char_p * 1)(b"registry.example=mirror.example/cache")
    dst = _lib.RegistryOptions()
    assert _lib.function("berth_registry_options_init")(dst, 1) == 0
    dst.mirrors = ctypes.cast(mirrors, type(dst.mirrors))
    dst.n_mirrors = 1
    with pytest.raises(berth.InvalidArgumentError, match="(?i)mirror"):
        _raw_copy(image, f"oci:{tmp_path / 'x'}:v1", dst=ctypes.pointer(dst))
    assert not (tmp_path / "x").exists()
    # the same options on the source are accepted (an oci: source reads no registry)
    assert _raw_copy(image, f"oci:{tmp_path / 'y'}:v1", src=ctypes.pointer(dst))["digest"]


@needs_registry
def test_stall_timeout_and_chunk_size_reach_the_destination(image, plain):
    with pytest.raises(berth.InvalidArgumentError, match="chunk_size"):
        berth.copy(image, f"docker://{plain.hostport}/abi2/chunk:v1", chunk_size=1000)
    r = berth.copy(image, f"docker://{plain.hostport}/abi2/chunk:v1", chunk_size=1 << 20,
                   stall_timeout=30)
    assert r.blobs_copied == 2
