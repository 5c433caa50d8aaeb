"""Inspection: manifests, image details, tag and repository lists, tagging,
deletion and validation (berth_manifest_get, berth_inspect, berth_tags_list,
berth_catalog, berth_tag, berth_manifest_delete, berth_validate).

References use the transports of ``berth.copy``: ``"docker://HOST/REPO:TAG"`` (or a
bare reference) and ``"oci:DIR[:TAG]"``; ``manifest``, ``inspect`` and ``validate``
also read ``oci-archive:`` and ``docker-archive:``. Every function takes the same
keyword-only registry options: ``creds`` ("USER:PASSWORD", else the docker
keychain), ``plain_http``, ``insecure``, ``ca_bundle``, ``stall_timeout``,
``mirrors`` ("SRC_REGISTRY=HOST[/PREFIX]", for the calls that read) and ``timeout``
(seconds for the whole call). libberth answers in JSON; it comes back here as frozen dataclasses.
"""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _convert, _interrupt
from ._copy import PathArg
from ._errors import GateFailedError, InvalidArgumentError
from ._lib import (INSPECT_OPTIONS_VERSION, InspectOptions, check, function, lib, parse_json,
                   string_array, take_string)
from ._registry import Registry, jobs_value, positive_seconds_to_ms, string_list

#: The most entries per page a list may ask for (a sanity bound of the binding, not a
#: default: None asks for the library's, berth.defaults()["pageSize"]).
_MAX_PAGE_SIZE = 10000


@dataclass(frozen=True)
class Manifest:
    """A manifest or index exactly as served: ``raw`` are the bytes its ``digest`` is
    computed over; ``media_type`` comes from the document (else the Content-Type)."""

    raw: bytes
    digest: str
    media_type: str

    def json(self) -> Dict[str, Any]:
        """The document parsed."""
        document: Dict[str, Any] = json.loads(self.raw)
        return document


@dataclass(frozen=True)
class Descriptor:
    """An OCI descriptor; ``platform`` is "os/arch[/variant]" or None."""

    media_type: str
    digest: str
    size: int
    platform: Optional[str] = None
    annotations: Dict[str, str] = field(default_factory=dict)
    urls: Tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageDetails:
    """One image manifest and what its config says (the config fields are empty for
    artifacts whose config is not an image config)."""

    digest: str
    media_type: str
    size: int  # of the manifest
    platform: Optional[str]
    config: Descriptor
    layers: Tuple[Descriptor, ...]
    total_size: int  # manifest + config + layers
    annotations: Dict[str, str]
    created: str
    author: str
    user: str
    working_dir: str
    entrypoint: Tuple[str, ...]
    cmd: Tuple[str, ...]
    env: Tuple[str, ...]
    labels: Dict[str, str]


@dataclass(frozen=True)
class Inspection:
    """An image or index: ``manifests`` are an index's entries (empty for an image),
    ``images`` the image or each image manifest of the index."""

    reference: str
    digest: str
    media_type: str
    size: int
    annotations: Dict[str, str]
    manifests: Tuple[Descriptor, ...]
    images: Tuple[ImageDetails, ...]

    @property
    def is_index(self) -> bool:
        return self.media_type.endswith(("index.v1+json", "manifest.list.v2+json"))


@dataclass(frozen=True)
class TagImageResult:
    """What ``tag`` did: tags written (a manifest PUT each) and tags already there."""

    digest: str
    tagged: Tuple[str, ...]
    skipped: Tuple[str, ...]


@dataclass(frozen=True)
class ValidationFailure:
    """One manifest or blob that failed: ``kind`` is "index", "manifest", "config" or
    "layer"; ``code`` the BERTH_E* code (e.g. -10 for a digest mismatch)."""

    digest: str
    kind: str
    message: str
    code: int


@dataclass(frozen=True)
class ValidationReport:
    """What ``validate`` read and verified, and every failure it found."""

    reference: str
    digest: str
    media_type: str
    ok: bool
    manifests: int
    blobs: int
    skipped: int  # foreign layers, which live at their URLs
    bytes: int
    failures: Tuple[ValidationFailure, ...]


# ---------------------------------------------------------------------------------


class _Options:
    """berth_inspect_options from keyword arguments, and the secrets to scrub."""

    def __init__(self, *, creds: Optional[str] = None, plain_http: bool = False,
                 insecure: bool = False, ca_bundle: Union[PathArg, None] = None,
                 timeout: Optional[float] = None, stall_timeout: Optional[float] = None,
                 mirrors: Iterable[str] = (), platform: Optional[str] = None,
                 jobs: Optional[int] = None, page_size: Optional[int] = None) -> None:
        c_jobs = jobs_value(jobs)
        c_page_size = 0
        if page_size is not None:
            c_page_size = _convert.as_int(page_size, "page_size")
            if not 1 <= c_page_size <= _MAX_PAGE_SIZE:
                raise InvalidArgumentError(
                    f"page_size must be 1..{_MAX_PAGE_SIZE}, not {c_page_size}")
        timeout_ms = positive_seconds_to_ms(timeout, "timeout")
        c_platform = _convert.cstr(platform, "platform", optional=True)
        self.registry = Registry(creds=creds, plain_http=plain_http, insecure=insecure,
                                 ca_bundle=ca_bundle, stall_timeout=stall_timeout,
                                 mirrors=mirrors)
        opts = InspectOptions()
        check(function("berth_inspect_options_init")(ctypes.byref(opts), INSPECT_OPTIONS_VERSION))
        opts.registry = self.registry.pointer()
        opts.platform = c_platform
        opts.jobs = c_jobs
        opts.page_size = c_page_size
        opts.timeout_ms = timeout_ms
        self.opts = opts
        self.secrets = self.registry.secrets


def _json_call(name: str, *args: Any, secrets: Iterable[Optional[str]] = ()) -> Dict[str, Any]:
    out = ctypes.c_void_p()
    rc = function(name)(ctypes.byref(out), *args)
    raw = take_string(out)  # makes no berth call that would replace the last error
    check(rc, secrets)
    return parse_json(name, raw)


def _platform(p: Any) -> Optional[str]:
    if isinstance(p, str):
        return p or None
    if isinstance(p, Mapping):
        parts = [p.get("os", ""), p.get("architecture", "")]
        if p.get("variant"):
            parts.append(p["variant"])
        return "/".join(parts)
    return None


def _descriptor(d: Mapping[str, Any]) -> Descriptor:
    return Descriptor(media_type=str(d.get("mediaType", "")), digest=str(d.get("digest", "")),
                      size=int(d.get("size", 0)), platform=_platform(d.get("platform")),
                      annotations=dict(d.get("annotations") or {}),
                      urls=tuple(d.get("urls") or ()))


def _image(d: Mapping[str, Any]) -> ImageDetails:
    return ImageDetails(
        digest=d["digest"], media_type=d["mediaType"], size=int(d["size"]),
        platform=d.get("platform") or None, config=_descriptor(d["config"]),
        layers=tuple(_descriptor(x) for x in d.get("layers", [])),
        total_size=int(d["totalSize"]), annotations=dict(d.get("annotations") or {}),
        created=d.get("created", ""), author=d.get("author", ""), user=d.get("user", ""),
        working_dir=d.get("workingDir", ""), entrypoint=tuple(d.get("entrypoint") or ()),
        cmd=tuple(d.get("cmd") or ()), env=tuple(d.get("env") or ()),
        labels=dict(d.get("labels") or {}))


# ---------------------------------------------------------------------------------


def manifest(
    ref: str,
    *,
    platform: Optional[str] = None,
    creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    mirrors: Iterable[str] = (),
    timeout: Optional[float] = None,
) -> Manifest:
    """The manifest or index ``ref`` names, byte for byte as served.

    ``platform`` ("os/arch[/variant]") takes that image's manifest from an index.
    Raises NotFoundError, DigestMismatchError (the bytes do not match the digest
    asked for), AuthError, NetworkError, ...

    Registry options (every inspection function takes them): ``creds``
    ("USER:PASSWORD", else the docker keychain), ``plain_http``, ``insecure`` (no TLS
    verification), ``ca_bundle`` (a PEM file of extra trusted CAs), ``stall_timeout``
    (seconds without data; None: the library's default), ``mirrors``
    ("SRC_REGISTRY=HOST[/PREFIX]", for the calls that read) and ``timeout`` (seconds
    for the whole call; None: none).
    """
    c_ref = _convert.cstr(ref, "ref")
    o = _Options(platform=platform, creds=creds, plain_http=plain_http, insecure=insecure,
                 ca_bundle=ca_bundle, stall_timeout=stall_timeout, mirrors=mirrors,
                 timeout=timeout)
    out = ctypes.c_void_p()
    out_info = ctypes.c_void_p()
    rc = function("berth_manifest_get")(ctypes.byref(out), ctypes.byref(out_info), c_ref,
                                        ctypes.byref(o.opts))
    info_text = take_string(out_info)  # makes no berth call that would replace the last error
    try:
        check(rc, o.secrets)
        info = parse_json("berth_manifest_get", info_text)
        size = int(info.get("size", 0))
        raw = ctypes.string_at(out.value, size) if out.value else b""
    finally:
        if out.value:
            lib().berth_free(out)
    return Manifest(raw=raw, digest=str(info.get("digest", "")),
                    media_type=str(info.get("mediaType", "")))


def inspect(
    ref: str,
    *,
    platform: Optional[str] = None,
    creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    mirrors: Iterable[str] = (),
    timeout: Optional[float] = None,
) -> Inspection:
    """Describes the image or index ``ref``: digest, media type, size, an index's
    entries, and for each image its config, layers and sizes. ``platform`` keeps
    only that image of an index.

    The registry options are ``manifest``'s.
    """
    c_ref = _convert.cstr(ref, "ref")
    o = _Options(platform=platform, creds=creds, plain_http=plain_http, insecure=insecure,
                 ca_bundle=ca_bundle, stall_timeout=stall_timeout, mirrors=mirrors,
                 timeout=timeout)
    d = _json_call("berth_inspect", c_ref, ctypes.byref(o.opts), secrets=o.secrets)
    return Inspection(reference=d["reference"], digest=d["digest"], media_type=d["mediaType"],
                      size=int(d["size"]), annotations=dict(d.get("annotations") or {}),
                      manifests=tuple(_descriptor(m) for m in d.get("manifests", [])),
                      images=tuple(_image(i) for i in d.get("images", [])))


def list_tags(
    repository: str,
    *,
    page_size: Optional[int] = None,
    creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    mirrors: Iterable[str] = (),
    timeout: Optional[float] = None,
) -> List[str]:
    """The tags of ``repository`` ("HOST/REPO", "docker://...", or "oci:DIR" for a
    layout's tags), following the registry's Link pagination, in its order, asking
    ``page_size`` per page (None: the library's default,
    ``berth.defaults()["pageSize"]``).

    The registry options are ``manifest``'s.
    """
    c_repo = _convert.cstr(repository, "repository")
    o = _Options(page_size=page_size, creds=creds, plain_http=plain_http, insecure=insecure,
                 ca_bundle=ca_bundle, stall_timeout=stall_timeout, mirrors=mirrors,
                 timeout=timeout)
    d = _json_call("berth_tags_list", c_repo, ctypes.byref(o.opts), secrets=o.secrets)
    return [str(t) for t in d.get("tags", [])]


def catalog(
    registry: str,
    *,
    page_size: Optional[int] = None,
    creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    mirrors: Iterable[str] = (),
    timeout: Optional[float] = None,
) -> List[str]:
    """The repositories of ``registry`` ("HOST[:PORT]"), following Link pagination
    (``page_size`` as for ``list_tags``).

    The registry options are ``manifest``'s.
    """
    c_reg = _convert.cstr(registry, "registry")
    o = _Options(page_size=page_size, creds=creds, plain_http=plain_http, insecure=insecure,
                 ca_bundle=ca_bundle, stall_timeout=stall_timeout, mirrors=mirrors,
                 timeout=timeout)
    d = _json_call("berth_catalog", c_reg, ctypes.byref(o.opts), secrets=o.secrets)
    return [str(r) for r in d.get("repositories", [])]


def tag(
    ref: str,
    tags: Iterable[str],
    *,
    creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    mirrors: Iterable[str] = (),
    timeout: Optional[float] = None,
) -> TagImageResult:
    """Adds ``tags`` to the manifest ``ref`` names without moving any blob: a manifest
    PUT per tag, skipped when the tag already points at the digest.

    The registry options are ``manifest``'s.
    """
    c_ref = _convert.cstr(ref, "ref")
    c_tags = string_list(tags, "tags")
    if not c_tags:
        raise InvalidArgumentError("tag needs at least one tag")
    o = _Options(creds=creds, plain_http=plain_http, insecure=insecure,
                 ca_bundle=ca_bundle, stall_timeout=stall_timeout, mirrors=mirrors,
                 timeout=timeout)
    array, n = string_array(c_tags)
    d = _json_call("berth_tag", c_ref, array, n, ctypes.byref(o.opts), secrets=o.secrets)
    return TagImageResult(digest=d["digest"], tagged=tuple(d.get("tagged", [])),
                          skipped=tuple(d.get("skipped", [])))


def delete_manifest(
    ref: str,
    *,
    creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    mirrors: Iterable[str] = (),
    timeout: Optional[float] = None,
) -> str:
    """Deletes the manifest ``ref`` names from its registry and returns its digest. A
    tag is resolved to its digest first; the registry drops every tag on it.
    UnsupportedError when the registry does not allow deletion.

    The registry options are ``manifest``'s.
    """
    c_ref = _convert.cstr(ref, "ref")
    o = _Options(creds=creds, plain_http=plain_http, insecure=insecure,
                 ca_bundle=ca_bundle, stall_timeout=stall_timeout, mirrors=mirrors,
                 timeout=timeout)
    d = _json_call("berth_manifest_delete", c_ref, ctypes.byref(o.opts), secrets=o.secrets)
    return str(d.get("digest", ""))


def validate(
    ref: str,
    *,
    jobs: Optional[int] = None,
    creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    mirrors: Iterable[str] = (),
    timeout: Optional[float] = None,
) -> ValidationReport:
    """Reads every manifest and blob ``ref`` reaches (index children, configs,
    layers) and verifies each digest and size, ``jobs`` blobs at a time (None: the
    library's default, ``berth.defaults()["jobs"]``).

    Returns the report whether or not the image is sound: check ``report.ok`` and
    ``report.failures`` (each corrupt, truncated or missing item). Errors that say
    nothing about the image (no such image, authentication, network) are raised.

    The registry options are ``manifest``'s.
    """
    c_ref = _convert.cstr(ref, "ref")
    o = _Options(jobs=jobs, creds=creds, plain_http=plain_http, insecure=insecure,
                 ca_bundle=ca_bundle, stall_timeout=stall_timeout, mirrors=mirrors,
                 timeout=timeout)
    out = ctypes.c_void_p()
    rc = function("berth_validate")(ctypes.byref(out), c_ref, ctypes.byref(o.opts))
    raw = take_string(out)
    # A failed validation (BERTH_EGATE) comes with its report; it is the answer here.
    if rc != GateFailedError.CODE or not raw:
        check(rc, o.secrets)
    else:
        _interrupt.discard_error()  # the report is the answer, not an exception
    d = parse_json("berth_validate", raw)
    return ValidationReport(
        reference=d["reference"], digest=d["digest"], media_type=d["mediaType"],
        ok=bool(d["ok"]), manifests=int(d["manifests"]), blobs=int(d["blobs"]),
        skipped=int(d["skipped"]), bytes=int(d["bytes"]),
        failures=tuple(ValidationFailure(digest=f["digest"], kind=f["kind"],
                                         message=f["message"], code=int(f["code"]))
                       for f in d.get("failures", [])))


__all__ = ["Descriptor", "ImageDetails", "Inspection", "Manifest", "TagImageResult",
           "ValidationFailure", "ValidationReport", "catalog", "delete_manifest", "inspect",
           "list_tags", "manifest", "tag", "validate"]
