"""The ctypes structs mirror berth.h exactly: same size, same field offsets.

A field added to berth.h but not here (or in another order) would make berth read
garbage from Python-filled structs; the C compiler is the judge of the layout.
"""

import ctypes
import shutil
import subprocess

import pytest

import berth
from berth import _lib

STRUCTS = {
    "berth_error_info": _lib.ErrorInfo,
    "berth_header": _lib.Header,
    "berth_sign_options": _lib.SignOptions,
    "berth_progress": _lib.ProgressInfo,
    "berth_registry_options": _lib.RegistryOptions,
    "berth_copy_options": _lib.CopyOptions,
    "berth_index_options": _lib.IndexOptions,
    "berth_export_options": _lib.ExportOptions,
    "berth_aws_options": _lib.AwsOptions,
    "berth_build_options": _lib.BuildOptions,
    "berth_dockerfile_options": _lib.DockerfileOptions,
    "berth_cosign_options": _lib.CosignOptions,
    "berth_verify_options": _lib.VerifyOptions,
    "berth_inspect_options": _lib.InspectOptions,
    "berth_sbom_options": _lib.SbomOptions,
    "berth_login_options": _lib.LoginOptions,
}

#: The *_OPTIONS_VERSION constants of _lib -> the macro of berth.h each mirrors.
VERSIONS = {
    "SIGN_OPTIONS_VERSION": "BERTH_SIGN_OPTIONS_VERSION",
    "PROGRESS_VERSION": "BERTH_PROGRESS_VERSION",
    "REGISTRY_OPTIONS_VERSION": "BERTH_REGISTRY_OPTIONS_VERSION",
    "COPY_OPTIONS_VERSION": "BERTH_COPY_OPTIONS_VERSION",
    "INDEX_OPTIONS_VERSION": "BERTH_INDEX_OPTIONS_VERSION",
    "EXPORT_OPTIONS_VERSION": "BERTH_EXPORT_OPTIONS_VERSION",
    "AWS_OPTIONS_VERSION": "BERTH_AWS_OPTIONS_VERSION",
    "BUILD_OPTIONS_VERSION": "BERTH_BUILD_OPTIONS_VERSION",
    "DOCKERFILE_OPTIONS_VERSION": "BERTH_DOCKERFILE_OPTIONS_VERSION",
    "COSIGN_OPTIONS_VERSION": "BERTH_COSIGN_OPTIONS_VERSION",
    "VERIFY_OPTIONS_VERSION": "BERTH_VERIFY_OPTIONS_VERSION",
    "INSPECT_OPTIONS_VERSION": "BERTH_INSPECT_OPTIONS_VERSION",
    "SBOM_OPTIONS_VERSION": "BERTH_SBOM_OPTIONS_VERSION",
    "LOGIN_OPTIONS_VERSION": "BERTH_LOGIN_OPTIONS_VERSION",
    "ABI_VERSION": "BERTH_ABI_VERSION",
}


@pytest.fixture(scope="module")
def c_layout(tmp_path_factory, repo_root):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler to check struct layouts against")
    lines = []
    for c_name, cls in STRUCTS.items():
        # "sizeof", not "size": a struct may have a field named size.
        lines.append(f'printf("{c_name} sizeof %zu\\n", sizeof({c_name}));')
        for field, _ in cls._fields_:
            lines.append(f'printf("{c_name} {field} %zu\\n", offsetof({c_name}, {field}));')
    src = ("#include <berth.h>\n#include <stddef.h>\n#include <stdio.h>\n"
           "int main(void) {\n" + "\n".join(lines) + "\nreturn 0;\n}\n")
    d = tmp_path_factory.mktemp("layout")
    (d / "layout.c").write_text(src)
    subprocess.run([cc, "-std=c99", "-I", str(repo_root / "include"), "-o", str(d / "layout"),
                    str(d / "layout.c")], check=True)
    out = subprocess.run([str(d / "layout")], check=True, capture_output=True, text=True).stdout
    return {tuple(line.split()[:2]): int(line.split()[2]) for line in out.splitlines()}


@pytest.mark.parametrize("c_name", sorted(STRUCTS))
def test_struct_matches_c(c_layout, c_name):
    cls = STRUCTS[c_name]
    assert c_layout[(c_name, "sizeof")] == ctypes.sizeof(cls)
    for field, _ in cls._fields_:
        assert c_layout[(c_name, field)] == getattr(cls, field).offset, field


def test_sign_options_defaults_match_the_init_macro():
    opts = _lib.SignOptions()
    assert _lib.lib().berth_sign_options_init(opts, _lib.SIGN_OPTIONS_VERSION) == 0
    assert (opts.version, opts.normalize_path, opts.double_encode, opts.sign_session_token) == \
        (1, 1, 1, 1)
    assert (opts.timestamp, opts.presign_expires, opts.unsigned_payload,
            opts.content_sha256_header) == (0, 0, 0, 0)
    assert opts.region is None and opts.payload_hash is None


def test_every_struct_of_the_header_is_mirrored(berth_header_text):
    import re

    declared = set(re.findall(r"typedef struct (berth_\w+) \{", berth_header_text))
    assert declared == set(STRUCTS)


def test_versions_match_the_header(berth_header_text):
    import re

    defined = {name: int(v) for name, v in
               re.findall(r"#define (BERTH_\w*VERSION) (\d+)", berth_header_text)}
    for ours, theirs in VERSIONS.items():
        assert getattr(_lib, ours) == defined[theirs], ours
    # every *_VERSION macro of the header has its constant here
    assert set(defined) == set(VERSIONS.values())


def _init(name, cls, version):
    opts = cls()
    rc = _lib.function(name)(opts, version)
    return rc, opts


def test_copy_options_defaults_match_the_init_macro():
    rc, opts = _init("berth_copy_options_init", _lib.CopyOptions, _lib.COPY_OPTIONS_VERSION)
    assert rc == 0
    assert (opts.version, opts.jobs, opts.format, opts.timeout_ms) == (7, 0, 0, 0)
    assert not opts.src and not opts.dst and opts.platform is None
    assert opts.sign_key is None and opts.sign_key_password is None
    assert (opts.no_referrers, opts.n_artifact_types, opts.create_repository) == (0, 0, 0)
    assert not opts.extra_tags and opts.n_extra_tags == 0 and not opts.artifact_types
    assert not opts.progress and opts.progress_user_data is None


def test_registry_options_defaults_match_the_init_macro():
    rc, opts = _init("berth_registry_options_init", _lib.RegistryOptions,
                     _lib.REGISTRY_OPTIONS_VERSION)
    assert rc == 0
    assert (opts.version, opts.plain_http, opts.insecure, opts.stall_timeout_ms,
            opts.chunk_size, opts.n_mirrors) == (1, 0, 0, 0, 0, 0)
    assert opts.creds is None and opts.ca_bundle is None and not opts.mirrors


def test_index_export_cosign_verify_options_defaults_match_the_init_macros():
    rc, ix = _init("berth_index_options_init", _lib.IndexOptions, _lib.INDEX_OPTIONS_VERSION)
    assert rc == 0
    assert (ix.version, ix.jobs, ix.format, ix.timeout_ms, ix.n_extra_tags,
            ix.n_annotations) == (1, 0, 0, 0, 0, 0)
    assert not ix.src and not ix.dst and not ix.progress and not ix.annotations

    rc, ex = _init("berth_export_options_init", _lib.ExportOptions, _lib.EXPORT_OPTIONS_VERSION)
    assert rc == 0
    assert (ex.version, ex.timeout_ms, ex.max_total_bytes, ex.max_expansion_ratio,
            ex.devices) == (1, 0, 0, 0.0, 0)
    assert not ex.src and ex.platform is None

    rc, co = _init("berth_cosign_options_init", _lib.CosignOptions, _lib.COSIGN_OPTIONS_VERSION)
    assert rc == 0
    assert (co.version, co.key_password, co.timeout_ms) == (1, None, 0) and not co.registry

    rc, ve = _init("berth_verify_options_init", _lib.VerifyOptions, _lib.VERIFY_OPTIONS_VERSION)
    assert rc == 0
    assert (ve.version, ve.timeout_ms) == (1, 0) and not ve.registry


def test_build_options_defaults_match_the_init_macro():
    rc, opts = _init("berth_build_options_init", _lib.BuildOptions, _lib.BUILD_OPTIONS_VERSION)
    assert rc == 0
    # created -1: unset (SOURCE_DATE_EPOCH or now); 0 would be the epoch.
    assert (opts.version, opts.level, opts.created, opts.jobs) == (4, -1, -1, 0)
    assert not opts.src and not opts.dst
    assert (opts.sbom, opts.provenance) == (0, 0)
    assert opts.sign_key is None and opts.sign_key_password is None and opts.builder_id is None
    assert getattr(opts, "from") is None and opts.output is None and not opts.layers
    assert opts.compression is None and opts.cache_key is None
    assert not opts.progress


def test_inspect_and_sbom_options_defaults_match_the_init_macros():
    rc, opts = _init("berth_inspect_options_init", _lib.InspectOptions,
                     _lib.INSPECT_OPTIONS_VERSION)
    assert rc == 0
    assert (opts.version, opts.jobs, opts.page_size, opts.timeout_ms) == (2, 0, 0, 0)
    assert not opts.registry and opts.platform is None
    rc, sb = _init("berth_sbom_options_init", _lib.SbomOptions, _lib.SBOM_OPTIONS_VERSION)
    assert rc == 0
    assert (sb.version, sb.timeout_ms) == (2, 0)
    assert not sb.registry and sb.platform is None and sb.created is None


_OLDER_ABI = r"(?i)ABI[ -]?1|older ABI|previous ABI"


@pytest.mark.parametrize("name, cls, versions", [
    ("berth_copy_options_init", _lib.CopyOptions, range(1, 7)),
    ("berth_build_options_init", _lib.BuildOptions, range(1, 4)),
    ("berth_sbom_options_init", _lib.SbomOptions, [1]),
    ("berth_inspect_options_init", _lib.InspectOptions, [1]),
])
def test_init_refuses_the_struct_versions_of_abi_1(name, cls, versions):
    """ABI 1's layouts of these structs are not ABI 2's: their versions are refused,
    with a message that says why."""
    for version in versions:
        opts = cls()
        rc = _lib.function(name)(opts, version)
        with pytest.raises(berth.InvalidArgumentError, match=_OLDER_ABI) as e:
            _lib.check(rc)
        assert str(version) in e.value.message, (name, version)


def test_a_copy_with_an_abi_1_struct_version_is_refused(tmp_path):
    """A program built against ABI 1's header passes its copy options (version 6) to
    berth_copy: refused as an older ABI's, before anything is read or written."""
    opts = _lib.CopyOptions()
    assert _lib.function("berth_copy_options_init")(opts, _lib.COPY_OPTIONS_VERSION) == 0
    opts.version = 6
    out = ctypes.c_void_p()
    rc = _lib.function("berth_copy")(ctypes.byref(out), f"oci:{tmp_path / 'a'}:v1".encode(),
                                     f"oci:{tmp_path / 'b'}:v1".encode(), ctypes.byref(opts))
    assert not out.value
    with pytest.raises(berth.InvalidArgumentError, match=_OLDER_ABI) as e:
        _lib.check(rc)
    assert "6" in e.value.message
    assert not (tmp_path / "b").exists()


def test_copy_options_init_refuses_unknown_versions():
    opts = _lib.CopyOptions()
    rc = _lib.function("berth_copy_options_init")(opts, 999)
    with pytest.raises(berth.InvalidArgumentError, match="version"):
        _lib.check(rc)


def test_aws_options_defaults_match_the_init_macro():
    opts = _lib.AwsOptions()
    assert _lib.function("berth_aws_options_init")(opts, _lib.AWS_OPTIONS_VERSION) == 0
    assert (opts.version, opts.role_duration_seconds) == (1, 0)
    for field, _ in _lib.AwsOptions._fields_[1:]:
        if field != "role_duration_seconds":
            assert getattr(opts, field) is None, field


def test_aws_options_init_refuses_unknown_versions():
    opts = _lib.AwsOptions()
    rc = _lib.function("berth_aws_options_init")(opts, 999)
    with pytest.raises(berth.InvalidArgumentError, match="version"):
        _lib.check(rc)


def test_progress_events_match_the_header(berth_header_text):
    import re

    defined = {int(code): name.lower() for name, code in
               re.findall(r"#define BERTH_PROGRESS_(\w+) (\d+)", berth_header_text)
               if name != "VERSION"}
    assert defined == _lib.PROGRESS_EVENTS
