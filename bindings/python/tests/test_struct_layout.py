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
    "berth_copy_options": _lib.CopyOptions,
    "berth_copy_result": _lib.CopyResult,
    "berth_aws_options": _lib.AwsOptions,
    "berth_build_options": _lib.BuildOptions,
    "berth_build_result": _lib.BuildResult,
    "berth_inspect_options": _lib.InspectOptions,
    "berth_manifest_info": _lib.ManifestInfo,
    "berth_sbom_options": _lib.SbomOptions,
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


def test_copy_options_defaults_match_the_init_macro():
    opts = _lib.CopyOptions()
    assert _lib.function("berth_copy_options_init")(opts, _lib.COPY_OPTIONS_VERSION) == 0
    assert (opts.version, opts.jobs, opts.format) == (6, 4, 0)
    assert opts.sign_key is None and opts.sign_key_password is None
    assert (opts.timeout_ms, opts.stall_timeout_ms, opts.chunk_size, opts.max_total_bytes,
            opts.max_expansion_ratio, opts.devices, opts.no_referrers,
            opts.n_artifact_types, opts.create_repository) == (0, 0, 0, 0, 0.0, 0, 0, 0, 0)
    assert not opts.extra_tags and opts.n_extra_tags == 0
    assert (opts.src_plain_http, opts.dst_plain_http, opts.src_insecure, opts.dst_insecure) == \
        (0, 0, 0, 0)
    assert opts.src_creds is None and opts.dst_ca_bundle is None and opts.platform is None
    assert not opts.progress and opts.progress_user_data is None


def test_copy_options_init_accepts_version_1():
    opts = _lib.CopyOptions()
    assert _lib.function("berth_copy_options_init")(opts, 1) == 0
    assert opts.version == 1


def test_copy_options_init_accepts_version_2():
    opts = _lib.CopyOptions()
    assert _lib.function("berth_copy_options_init")(opts, 2) == 0
    assert (opts.version, opts.jobs) == (2, 4)


def test_copy_options_init_writes_only_the_fields_of_its_version():
    # A program built against an older header passes a shorter struct: init must not
    # write past it (it used to write the whole current struct).
    for version, first_unknown in ((1, "extra_tags"), (2, "format"), (3, "timeout_ms"),
                                   (4, "create_repository"), (5, "sign_key")):
        opts = _lib.CopyOptions()
        ctypes.memset(ctypes.byref(opts), 0xAB, ctypes.sizeof(opts))
        assert _lib.function("berth_copy_options_init")(opts, version) == 0
        start = getattr(_lib.CopyOptions, first_unknown).offset
        tail = ctypes.string_at(ctypes.addressof(opts) + start, ctypes.sizeof(opts) - start)
        assert tail == b"\xab" * len(tail), version
        assert opts.version == version and opts.jobs == 4


def test_build_options_init_writes_only_the_fields_of_its_version():
    for version, first_unknown in ((1, "mirrors"), (2, "sbom")):
        opts = _lib.BuildOptions()
        ctypes.memset(ctypes.byref(opts), 0xAB, ctypes.sizeof(opts))
        assert _lib.function("berth_build_options_init")(opts, version) == 0
        start = getattr(_lib.BuildOptions, first_unknown).offset
        tail = ctypes.string_at(ctypes.addressof(opts) + start, ctypes.sizeof(opts) - start)
        assert tail == b"\xab" * len(tail), version
        assert (opts.version, opts.level) == (version, -1)


def test_build_options_defaults_match_the_init_macro():
    opts = _lib.BuildOptions()
    assert _lib.function("berth_build_options_init")(opts, _lib.BUILD_OPTIONS_VERSION) == 0
    assert (opts.version, opts.level, opts.created, opts.jobs) == (3, -1, 0, 0)
    assert not opts.mirrors and opts.n_mirrors == 0
    assert (opts.sbom, opts.provenance) == (0, 0)
    assert opts.sign_key is None and opts.sign_key_password is None and opts.builder_id is None
    assert getattr(opts, "from") is None and opts.output is None and not opts.layers
    assert not opts.progress


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
               re.findall(r"#define BERTH_PROGRESS_(\w+) (\d+)", berth_header_text)}
    assert defined == _lib.PROGRESS_EVENTS


def test_inspect_options_defaults_match_the_init_macro():
    opts = _lib.InspectOptions()
    assert _lib.function("berth_inspect_options_init")(opts, _lib.INSPECT_OPTIONS_VERSION) == 0
    assert (opts.version, opts.jobs, opts.page_size, opts.timeout_ms) == (1, 4, 1000, 0)
    assert (opts.plain_http, opts.insecure) == (0, 0)
    assert opts.creds is None and opts.ca_bundle is None and opts.platform is None
