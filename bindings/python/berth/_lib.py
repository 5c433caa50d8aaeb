"""ctypes view of include/berth.h: structs, prototypes, loading and error checks.

Everything that knows the C ABI's shape lives here, so a change to berth.h is one
edit in one file. Later modules (copy, push, ...) add their structs and a line per
function to PROTOTYPES, then call ``lib().berth_x(...)`` followed by ``check(rc)``.

The library is loaded on first use, not at import: ``import berth`` must work for
tooling (pip, docs, type checkers) on machines without libberth, and the error
about a missing library is clearer at the call that needs it.
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_int, c_int32,
                    c_int64, c_size_t, c_uint32, c_uint64, c_void_p)
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import _discover, _interrupt
from ._errors import (AbiMismatchError, BerthLibraryError, ProtocolError, UnsupportedError,
                      make_error)

#: The BERTH_ABI_VERSION of the berth.h this binding mirrors.
ABI_VERSION = 2
#: BERTH_SIGN_OPTIONS_VERSION of the berth_sign_options mirrored below.
SIGN_OPTIONS_VERSION = 1
#: BERTH_PROGRESS_VERSION of the berth_progress mirrored below.
PROGRESS_VERSION = 1
#: BERTH_REGISTRY_OPTIONS_VERSION of the berth_registry_options mirrored below.
REGISTRY_OPTIONS_VERSION = 1
#: BERTH_COPY_OPTIONS_VERSION of the berth_copy_options mirrored below (7 is ABI 2's
#: first; 1-6 were ABI 1's layout and the library refuses them).
COPY_OPTIONS_VERSION = 7
#: BERTH_INDEX_OPTIONS_VERSION of the berth_index_options mirrored below.
INDEX_OPTIONS_VERSION = 1
#: BERTH_EXPORT_OPTIONS_VERSION of the berth_export_options mirrored below.
EXPORT_OPTIONS_VERSION = 1
#: BERTH_AWS_OPTIONS_VERSION of the berth_aws_options mirrored below.
AWS_OPTIONS_VERSION = 1
#: BERTH_BUILD_OPTIONS_VERSION of the berth_build_options mirrored below (4 is ABI 2's
#: first).
BUILD_OPTIONS_VERSION = 4
#: BERTH_DOCKERFILE_OPTIONS_VERSION of the berth_dockerfile_options mirrored below (2 added
#: secrets, 3 cache_from/cache_to).
DOCKERFILE_OPTIONS_VERSION = 3
#: BERTH_COSIGN_OPTIONS_VERSION of the berth_cosign_options mirrored below.
COSIGN_OPTIONS_VERSION = 1
#: BERTH_VERIFY_OPTIONS_VERSION of the berth_verify_options mirrored below.
VERIFY_OPTIONS_VERSION = 1
#: BERTH_INSPECT_OPTIONS_VERSION of the berth_inspect_options mirrored below (2 is ABI
#: 2's first).
INSPECT_OPTIONS_VERSION = 2
#: BERTH_SBOM_OPTIONS_VERSION of the berth_sbom_options mirrored below (2 is ABI 2's
#: first).
SBOM_OPTIONS_VERSION = 2
#: BERTH_LOGIN_OPTIONS_VERSION of the berth_login_options mirrored below.
LOGIN_OPTIONS_VERSION = 1


class ErrorInfo(Structure):
    """berth_error_info."""

    _fields_ = [
        ("code", c_int32),
        ("http_status", c_int32),
        ("message", c_char_p),
        ("aws_code", c_char_p),
        ("request_id", c_char_p),
    ]


class Header(Structure):
    """berth_header: both strings borrowed for the call."""

    _fields_ = [("name", c_char_p), ("value", c_char_p)]


class SignOptions(Structure):
    """berth_sign_options, version 1, field for field (fields are only appended)."""

    _fields_ = [
        ("version", c_uint32),
        ("region", c_char_p),
        ("service", c_char_p),
        ("access_key_id", c_char_p),
        ("secret_access_key", c_char_p),
        ("session_token", c_char_p),
        ("timestamp", c_int64),
        ("presign_expires", c_int64),
        ("content_sha256_header", c_int32),
        ("unsigned_payload", c_int32),
        ("normalize_path", c_int32),
        ("double_encode", c_int32),
        ("sign_session_token", c_int32),
        ("payload_hash", c_char_p),
    ]


class SignedRequestHandle(Structure):
    """Opaque berth_signed_request; only pointers to it are used."""


SignedRequestP = POINTER(SignedRequestHandle)


class ProgressInfo(Structure):
    """berth_progress, version 1: one event; ``digest`` is valid during the callback
    only. ``version`` is the calling library's: fields past it are absent."""

    _fields_ = [
        ("version", c_uint32),
        ("event", c_int32),
        ("digest", c_char_p),
        ("bytes", c_uint64),
        ("total", c_uint64),
        ("overall_bytes", c_uint64),
        ("overall_total", c_uint64),
    ]


#: BERTH_PROGRESS_* event codes -> the names the binding reports.
PROGRESS_EVENTS = {
    0: "blob_started",
    1: "blob_progress",
    2: "blob_done",
    3: "blob_skipped",
    4: "blob_mounted",
    5: "manifest_done",
}

#: berth_progress_fn: int (*)(const berth_progress *, void *user_data).
ProgressFn = CFUNCTYPE(c_int, POINTER(ProgressInfo), c_void_p)


#: const char *const *: an array of borrowed C strings.
StringArray = POINTER(c_char_p)


#: The format names the binding takes -> BERTH_FORMAT_* (berth_copy_options.format).
FORMATS = {
    "auto": 0,
    "oci": 1,
    "docker": 2,
}


class RegistryOptions(Structure):
    """berth_registry_options, version 1: how to reach one registry. Pointed to (never
    embedded) by the options of every call that reaches a registry."""

    _fields_ = [
        ("version", c_uint32),
        ("creds", c_char_p),
        ("plain_http", c_int32),
        ("insecure", c_int32),
        ("ca_bundle", c_char_p),
        ("stall_timeout_ms", c_int64),
        ("chunk_size", c_uint64),
        ("mirrors", StringArray),
        ("n_mirrors", c_size_t),
    ]


RegistryOptionsP = POINTER(RegistryOptions)


class CopyOptions(Structure):
    """berth_copy_options, version 7 (ABI 2), field for field."""

    _fields_ = [
        ("version", c_uint32),
        ("src", RegistryOptionsP),
        ("dst", RegistryOptionsP),
        ("platform", c_char_p),
        ("jobs", c_int32),
        ("format", c_int32),
        ("timeout_ms", c_int64),
        ("progress", ProgressFn),
        ("progress_user_data", c_void_p),
        ("extra_tags", StringArray),
        ("n_extra_tags", c_size_t),
        ("no_referrers", c_int32),
        ("artifact_types", StringArray),
        ("n_artifact_types", c_size_t),
        ("create_repository", c_int32),
        ("sign_key", c_char_p),
        ("sign_key_password", c_char_p),
    ]


class IndexOptions(Structure):
    """berth_index_options, version 1, field for field."""

    _fields_ = [
        ("version", c_uint32),
        ("src", RegistryOptionsP),
        ("dst", RegistryOptionsP),
        ("jobs", c_int32),
        ("format", c_int32),
        ("timeout_ms", c_int64),
        ("progress", ProgressFn),
        ("progress_user_data", c_void_p),
        ("extra_tags", StringArray),
        ("n_extra_tags", c_size_t),
        ("annotations", StringArray),
        ("n_annotations", c_size_t),
    ]


class ExportOptions(Structure):
    """berth_export_options, version 1, field for field."""

    _fields_ = [
        ("version", c_uint32),
        ("src", RegistryOptionsP),
        ("platform", c_char_p),
        ("timeout_ms", c_int64),
        ("max_total_bytes", c_uint64),
        ("max_expansion_ratio", c_double),
        ("devices", c_int32),
    ]


class AwsOptions(Structure):
    """berth_aws_options, version 1, field for field (fields are only appended)."""

    _fields_ = [
        ("version", c_uint32),
        ("region", c_char_p),
        ("profile", c_char_p),
        ("role_arn", c_char_p),
        ("role_session_name", c_char_p),
        ("external_id", c_char_p),
        ("role_duration_seconds", c_int64),
        ("ecr_endpoint", c_char_p),
        ("sts_endpoint", c_char_p),
        ("ca_bundle", c_char_p),
    ]


class BuildOptions(Structure):
    """berth_build_options, version 4 (ABI 2), field for field."""

    _fields_ = [
        ("version", c_uint32),
        ("from", c_char_p),  # a Python keyword: setattr(opts, "from", ...)
        ("layers", StringArray),
        ("n_layers", c_size_t),
        ("compression", c_char_p),
        ("level", c_int32),
        ("entrypoint_json", c_char_p),
        ("cmd_json", c_char_p),
        ("env", StringArray),
        ("n_env", c_size_t),
        ("labels", StringArray),
        ("n_labels", c_size_t),
        ("annotations", StringArray),
        ("n_annotations", c_size_t),
        ("workdir", c_char_p),
        ("user", c_char_p),
        ("expose", StringArray),
        ("n_expose", c_size_t),
        ("platform", c_char_p),
        ("created", c_int64),
        ("output", c_char_p),
        ("extra_tags", StringArray),
        ("n_extra_tags", c_size_t),
        ("cache_dir", c_char_p),
        ("cache_key", c_char_p),
        ("src", RegistryOptionsP),
        ("dst", RegistryOptionsP),
        ("jobs", c_int32),
        ("progress", ProgressFn),
        ("progress_user_data", c_void_p),
        ("sbom", c_int32),
        ("provenance", c_int32),
        ("sign_key", c_char_p),
        ("sign_key_password", c_char_p),
        ("builder_id", c_char_p),
    ]


#: berth_log_fn: (text, len, user_data); the text is not NUL-terminated.
LogFn = CFUNCTYPE(None, POINTER(ctypes.c_char), c_size_t, c_void_p)


class DockerfileOptions(Structure):
    """berth_dockerfile_options, version 3, field for field."""

    _fields_ = [
        ("version", c_uint32),
        ("context", c_char_p),
        ("dockerfile", c_char_p),
        ("dockerfile_text", c_char_p),
        ("build_args", StringArray),
        ("n_build_args", c_size_t),
        ("target", c_char_p),
        ("labels", StringArray),
        ("n_labels", c_size_t),
        ("platform", c_char_p),
        ("network", c_char_p),
        ("state_dir", c_char_p),
        ("no_cache", c_int32),
        ("compression", c_char_p),
        ("level", c_int32),
        ("created", c_int64),
        ("output", c_char_p),
        ("extra_tags", StringArray),
        ("n_extra_tags", c_size_t),
        ("src", RegistryOptionsP),
        ("dst", RegistryOptionsP),
        ("jobs", c_int32),
        ("progress", ProgressFn),
        ("progress_user_data", c_void_p),
        ("log", LogFn),
        ("log_user_data", c_void_p),
        ("sbom", c_int32),
        ("provenance", c_int32),
        ("sign_key", c_char_p),
        ("sign_key_password", c_char_p),
        ("builder_id", c_char_p),
        ("secrets", StringArray),  # version 2
        ("n_secrets", c_size_t),
        ("cache_from", StringArray),  # version 3
        ("n_cache_from", c_size_t),
        ("cache_to", c_char_p),
    ]


class CosignOptions(Structure):
    """berth_cosign_options, version 1 (berth_sign, berth_attest)."""

    _fields_ = [
        ("version", c_uint32),
        ("key_password", c_char_p),
        ("registry", RegistryOptionsP),
        ("timeout_ms", c_int64),
    ]


class VerifyOptions(Structure):
    """berth_verify_options, version 1."""

    _fields_ = [
        ("version", c_uint32),
        ("registry", RegistryOptionsP),
        ("timeout_ms", c_int64),
    ]


class InspectOptions(Structure):
    """berth_inspect_options, version 2 (ABI 2), field for field."""

    _fields_ = [
        ("version", c_uint32),
        ("registry", RegistryOptionsP),
        ("platform", c_char_p),
        ("jobs", c_int32),
        ("page_size", c_int32),
        ("timeout_ms", c_int64),
    ]


class SbomOptions(Structure):
    """berth_sbom_options, version 2 (ABI 2), field for field."""

    _fields_ = [
        ("version", c_uint32),
        ("registry", RegistryOptionsP),
        ("platform", c_char_p),
        ("created", c_char_p),
        ("timeout_ms", c_int64),
    ]


class LoginOptions(Structure):
    """berth_login_options, version 1."""

    _fields_ = [
        ("version", c_uint32),
        ("registry", RegistryOptionsP),
        ("no_verify", c_int32),
        ("timeout_ms", c_int64),
    ]


#: char **out: receives a string the caller releases with berth_free (c_void_p, not
#: c_char_p, so that the pointer survives to be freed).
OutString = POINTER(c_void_p)

# name: (restype, argtypes). Functions returning strings the caller must release
# with berth_free must use c_void_p, not c_char_p, or the pointer is lost. Every
# function of ABI 2 as first released: a library claiming ABI 2 has them all.
PROTOTYPES = {
    "berth_version": (c_uint32, []),
    "berth_version_string": (c_char_p, []),
    "berth_abi_version": (c_uint32, []),
    "berth_defaults": (c_int, [OutString]),
    "berth_strerror": (c_char_p, [c_int]),
    "berth_last_error": (POINTER(ErrorInfo), []),
    "berth_free": (None, [c_void_p]),
    "berth_sign_options_init": (c_int, [POINTER(SignOptions), c_uint32]),
    "berth_sign_request": (c_int, [POINTER(SignedRequestP), c_char_p, c_char_p, POINTER(Header),
                                   c_size_t, c_void_p, c_size_t, POINTER(SignOptions)]),
    "berth_signed_request_free": (None, [SignedRequestP]),
    "berth_signed_request_method": (c_char_p, [SignedRequestP]),
    "berth_signed_request_url": (c_char_p, [SignedRequestP]),
    "berth_signed_request_header_count": (c_size_t, [SignedRequestP]),
    "berth_signed_request_header": (c_int, [SignedRequestP, c_size_t, POINTER(c_char_p),
                                            POINTER(c_char_p)]),
    "berth_signed_request_canonical_request": (c_char_p, [SignedRequestP]),
    "berth_signed_request_string_to_sign": (c_char_p, [SignedRequestP]),
    "berth_signed_request_signature": (c_char_p, [SignedRequestP]),
    # Registry access, copies, indexes, exports.
    "berth_registry_options_init": (c_int, [POINTER(RegistryOptions), c_uint32]),
    "berth_copy_options_init": (c_int, [POINTER(CopyOptions), c_uint32]),
    "berth_copy": (c_int, [OutString, c_char_p, c_char_p, POINTER(CopyOptions)]),
    "berth_replicate": (c_int, [OutString, c_char_p, StringArray, c_size_t,
                                POINTER(CopyOptions)]),
    "berth_index_options_init": (c_int, [POINTER(IndexOptions), c_uint32]),
    "berth_index": (c_int, [OutString, StringArray, c_size_t, c_char_p, POINTER(IndexOptions)]),
    "berth_export_options_init": (c_int, [POINTER(ExportOptions), c_uint32]),
    "berth_export": (c_int, [c_char_p, c_char_p, POINTER(ExportOptions)]),
    # AWS.
    "berth_aws_options_init": (c_int, [POINTER(AwsOptions), c_uint32]),
    "berth_aws_credentials": (c_int, [OutString, POINTER(AwsOptions)]),
    "berth_aws_caller_identity": (c_int, [OutString, POINTER(AwsOptions)]),
    "berth_ecr_login": (c_int, [OutString, c_char_p, POINTER(AwsOptions)]),
    "berth_ecr_docker_login": (c_int, [OutString, c_char_p, c_char_p, POINTER(AwsOptions)]),
    "berth_ecr_call": (c_int, [OutString, c_char_p, c_char_p, POINTER(AwsOptions)]),
    # Build.
    "berth_build_options_init": (c_int, [POINTER(BuildOptions), c_uint32]),
    "berth_build": (c_int, [OutString, POINTER(BuildOptions)]),
    # CI pipeline.
    "berth_tags_compute": (c_int, [OutString, c_char_p]),
    "berth_ecr_ensure_repository": (c_int, [OutString, c_char_p, c_char_p, c_int32,
                                            POINTER(AwsOptions)]),
    "berth_ecr_ensure_pull_through_cache": (c_int, [OutString, c_char_p, c_int32,
                                                    POINTER(AwsOptions)]),
    "berth_ecr_ensure_creation_template": (c_int, [OutString, c_char_p, c_int32,
                                                   POINTER(AwsOptions)]),
    "berth_lifecycle_policy_shorthand": (c_int, [OutString, c_int32, c_int32]),
    "berth_lifecycle_policy_validate": (c_int, [c_char_p]),
    "berth_ecr_lifecycle_preview": (c_int, [OutString, c_char_p, c_char_p, POINTER(AwsOptions)]),
    "berth_ecr_put_lifecycle_policy": (c_int, [c_char_p, c_char_p, POINTER(AwsOptions)]),
    "berth_ecr_scan_gate": (c_int, [OutString, c_char_p, c_char_p, c_char_p, c_int32, c_int64,
                                    POINTER(AwsOptions)]),
    # Signatures.
    "berth_cosign_options_init": (c_int, [POINTER(CosignOptions), c_uint32]),
    "berth_sign": (c_int, [OutString, c_char_p, c_char_p, POINTER(CosignOptions)]),
    "berth_attest": (c_int, [OutString, c_char_p, c_char_p, c_char_p, c_char_p,
                             POINTER(CosignOptions)]),
    "berth_verify_options_init": (c_int, [POINTER(VerifyOptions), c_uint32]),
    "berth_verify": (c_int, [OutString, c_char_p, c_char_p, POINTER(VerifyOptions)]),
    # SBOMs.
    "berth_sbom_options_init": (c_int, [POINTER(SbomOptions), c_uint32]),
    "berth_sbom": (c_int, [OutString, c_char_p, POINTER(SbomOptions)]),
    # Inspection.
    "berth_inspect_options_init": (c_int, [POINTER(InspectOptions), c_uint32]),
    "berth_manifest_get": (c_int, [OutString, OutString, c_char_p, POINTER(InspectOptions)]),
    "berth_inspect": (c_int, [OutString, c_char_p, POINTER(InspectOptions)]),
    "berth_tags_list": (c_int, [OutString, c_char_p, POINTER(InspectOptions)]),
    "berth_catalog": (c_int, [OutString, c_char_p, POINTER(InspectOptions)]),
    "berth_tag": (c_int, [OutString, c_char_p, StringArray, c_size_t, POINTER(InspectOptions)]),
    "berth_manifest_delete": (c_int, [OutString, c_char_p, POINTER(InspectOptions)]),
    "berth_validate": (c_int, [OutString, c_char_p, POINTER(InspectOptions)]),
}

# Functions added to ABI 2 after its first release. The ABI version only changes on
# incompatible changes, so an older libberth of the same ABI may lack them: they are
# bound when present, and ``function(name)`` fails at the call that needs one
# instead of the whole binding refusing to load.
OPTIONAL_PROTOTYPES: Dict[str, Tuple[Any, List[Any]]] = {
    # 0.2 (later): the build cache rule of a lifecycle policy.
    "berth_lifecycle_policy_with_build_cache": (c_int, [OutString, c_char_p, c_int32,
                                                        c_char_p]),
    # 0.2 (later): docker login / logout for any registry.
    "berth_login_options_init": (c_int, [POINTER(LoginOptions), c_uint32]),
    "berth_registry_login": (c_int, [OutString, c_char_p, c_char_p, c_char_p, c_char_p,
                                     POINTER(LoginOptions)]),
    "berth_registry_logout": (c_int, [OutString, c_char_p, c_char_p]),
    # 0.2 (later): berth pull, its destination read as the CLI reads it.
    "berth_pull": (c_int, [OutString, c_char_p, c_char_p, c_char_p, POINTER(CopyOptions)]),
}

# Cancellation (0.2, later): optional too; without them calls cannot be interrupted.
OPTIONAL_PROTOTYPES.update({
    "berth_cancel_new": (c_int, [POINTER(c_void_p)]),
    "berth_cancel_fire": (None, [c_void_p]),
    "berth_cancel_fired": (c_int, [c_void_p]),
    "berth_cancel_attach": (c_int, [c_void_p]),
    "berth_cancel_free": (None, [c_void_p]),
    "berth_cancel_current": (c_int, [POINTER(c_void_p)]),
})

# Functions that never wait on a network, a subprocess or a large file: called
# directly. Every other function runs as _interrupt.Interruptible from the main
# thread, so that Ctrl-C stops it (a function added later is interruptible unless
# listed here).
_LOCAL_FUNCTIONS = frozenset({
    "berth_version", "berth_version_string", "berth_abi_version", "berth_defaults",
    "berth_strerror", "berth_last_error", "berth_free", "berth_sign_request",
    "berth_tags_compute", "berth_lifecycle_policy_shorthand",
    "berth_lifecycle_policy_validate", "berth_lifecycle_policy_with_build_cache",
    "berth_registry_logout",
})


def _local(name: str) -> bool:
    return (name in _LOCAL_FUNCTIONS or name.endswith("_init") or
            name.startswith(("berth_signed_request_", "berth_cancel_")))


_lock = threading.Lock()
_loaded: Optional[ctypes.CDLL] = None
_loaded_path: Optional[str] = None


def _dlopen(candidate: _discover.Candidate) -> ctypes.CDLL:
    target = candidate.target
    if candidate.source == _discover.ENV_VAR:
        if not os.path.isfile(target):
            raise BerthLibraryError(
                f"{_discover.ENV_VAR}={target!r} is not a file; set it to the full path of "
                f"libberth.so (e.g. <repo>/build/libberth.so) or unset it to search elsewhere")
        # A bare name would make dlopen search the system instead of this file.
        target = os.path.abspath(target)
    try:
        return ctypes.CDLL(target)
    except OSError as e:
        if candidate.source == "the system loader":
            raise BerthLibraryError(
                f"libberth not found: {_discover.searched()}. Build it (cmake -S . -B build -G "
                f"Ninja && ninja -C build libberth.so) or set {_discover.ENV_VAR} to its full "
                f"path") from e
        raise BerthLibraryError(
            f"cannot load libberth from {target} (found via {candidate.source}): {e}") from e


def open_library(candidate: Optional[_discover.Candidate] = None) -> ctypes.CDLL:
    """Loads and checks one library, without caching it (tests use this directly)."""
    candidate = candidate or _discover.find()
    cdll = _dlopen(candidate)
    try:
        abi_fn = cdll.berth_abi_version
    except AttributeError:
        raise BerthLibraryError(
            f"{candidate.target} (found via {candidate.source}) is not libberth: it has no "
            f"berth_abi_version") from None
    abi_fn.restype, abi_fn.argtypes = c_uint32, []
    abi = abi_fn()
    if abi != ABI_VERSION:
        raise AbiMismatchError(
            f"{candidate.target} (found via {candidate.source}) has ABI version {abi}, but this "
            f"berth binding needs ABI version {ABI_VERSION}; install matching versions")
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            raise BerthLibraryError(
                f"{candidate.target} lacks {name} although it claims ABI version {abi}; "
                f"rebuild libberth") from None
        fn.restype, fn.argtypes = restype, argtypes
    for name, (restype, argtypes) in OPTIONAL_PROTOTYPES.items():
        fn = getattr(cdll, name, None)
        if fn is not None:
            fn.restype, fn.argtypes = restype, argtypes
    if getattr(cdll, "berth_cancel_new", None) is not None:
        for name in list(PROTOTYPES) + list(OPTIONAL_PROTOTYPES):
            fn = getattr(cdll, name, None)
            if fn is not None and not _local(name):
                setattr(cdll, name, _interrupt.Interruptible(cdll, fn))
    return cdll


def lib() -> ctypes.CDLL:
    """The process-wide libberth, loaded and checked on first use."""
    global _loaded, _loaded_path
    if _loaded is None:
        with _lock:
            if _loaded is None:
                cdll = open_library(_discover.find())
                # What was actually dlopened (an absolute path for BERTH_LIBRARY).
                _loaded_path = cdll._name
                _loaded = cdll
    return _loaded


def function(name: str) -> Any:
    """A function of OPTIONAL_PROTOTYPES, or UnsupportedError when the library predates it."""
    cdll = lib()
    fn = getattr(cdll, name, None)
    if fn is None:
        raise UnsupportedError(
            f"the loaded libberth ({_loaded_path}, version {text(cdll.berth_version_string())}) "
            f"has no {name}; install a newer libberth")
    return fn


def loaded_path() -> str:
    """Path (or soname, when the system loader found it) of the loaded library."""
    lib()
    assert _loaded_path is not None
    return _loaded_path


def text(raw: Optional[bytes]) -> str:
    """A UTF-8 C string from berth as str (NULL becomes "")."""
    return raw.decode("utf-8", errors="replace") if raw else ""


def take_string(out: c_void_p) -> str:
    """The UTF-8 string berth returned through a char ** output, then frees it.

    Call it once the call has succeeded; a NULL pointer gives "".
    """
    if not out.value:
        return ""
    try:
        return ctypes.string_at(out.value).decode("utf-8", errors="replace")
    finally:
        lib().berth_free(out)
        out.value = None


def parse_json(name: str, raw: str) -> Dict[str, Any]:
    """A JSON object berth returned (``name`` is the function, for the error)."""
    try:
        value = json.loads(raw)
    except ValueError as e:
        raise ProtocolError(f"{name}: the reply is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise ProtocolError(f"{name}: the reply is not a JSON object")
    return value


def string_array(values: List[bytes]) -> Tuple[Any, int]:
    """A C array of the given C strings (``const char *const *``) and its length.

    The array references the bytes objects (ctypes keeps them in ``_objects``);
    the caller keeps the array alive for the duration of the call.
    """
    if not values:
        return None, 0
    return (c_char_p * len(values))(*values), len(values)


def check(rc: int, secrets: Iterable[Optional[str]] = ()) -> None:
    """Raises the BerthError for rc, from berth_last_error(), when rc is not BERTH_OK.

    Call it right after the failing function and on the same thread: the last error
    is thread-local and the next berth call overwrites it. ``secrets`` are scrubbed
    from the message.
    """
    if rc == 0:
        _interrupt.take_error(rc)
        return
    L = lib()
    details = _interrupt.take_error(rc)  # the call ran on a worker thread (Ctrl-C)
    if details is None:
        info = L.berth_last_error().contents
        details = (info.code, info.message or b"", info.http_status, info.aws_code or b"",
                   info.request_id or b"")
    code, raw_message, status, raw_aws_code, raw_request_id = details
    # The return value is authoritative; the details are used only if they describe it.
    if code == rc:
        message, aws_code, request_id = text(raw_message), text(raw_aws_code), text(raw_request_id)
    else:
        message, status, aws_code, request_id = "", 0, "", ""
    raise make_error(rc, message or text(L.berth_strerror(rc)), status, aws_code, request_id,
                     secrets)
