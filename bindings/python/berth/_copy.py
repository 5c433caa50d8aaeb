"""Copying images: berth_copy, berth_replicate, berth_index and berth_export.

Registries (docker://) and OCI layouts (oci:). The work is libberth's; this module
fills berth_copy_options, adapts a Python callable to berth_progress_fn and turns
berth_copy_result into a dataclass. ``push`` is ``copy`` to a registry tag plus
more tags (berth_copy_options.extra_tags).

Threads: ctypes releases the GIL for the whole berth_copy call, so other Python
threads keep running while blobs move. berth calls the progress callback from its
worker threads (and from the calling thread), never two calls at once; ctypes takes
the GIL for each call. An exception raised by the callback cannot cross the C
boundary, so the callback stores it and returns 1 (cancel); ``copy`` re-raises it
once berth has returned and every worker has stopped.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _convert
from ._errors import InvalidArgumentError, UnsupportedError
from ._lib import (COPY_OPTIONS_VERSION, FORMATS, PROGRESS_EVENTS, CopyOptions, ProgressFn, check,
                   function, loaded_path, string_array)
from ._lib import CopyResult as _CCopyResult
from ._lib import ProgressInfo
from ._options import takes_options

_INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class Progress:
    """One progress event of a copy.

    ``event`` is one of "blob_started", "blob_progress", "blob_done", "blob_skipped"
    (the destination already had the blob), "blob_mounted" (mounted from another
    repository of the same registry) and "manifest_done" (a manifest or index was
    written); a newer libberth may report others as "event_N". ``bytes`` of
    ``total`` bytes of the item ``digest`` have moved; ``overall_bytes`` of
    ``overall_total`` count all items known so far (the total grows as manifests are
    read, so it is not final before the last blob starts). A total of 0 means
    unknown: a layer being built (``digest`` "") has no size until it is complete.
    """

    event: str
    digest: str
    bytes: int
    total: int
    overall_bytes: int
    overall_total: int


@dataclass(frozen=True)
class CopyResult:
    """What a copy did.

    ``digest`` and ``media_type`` describe the top manifest or index written: the
    source's (berth copies manifests byte for byte) unless the copy converted it to
    another ``format``, in which case the new digest every tag points at.
    ``bytes_copied`` counts the blobs that were sent; skipped (already present) and
    mounted blobs move no bytes. ``manifests`` counts manifests and indexes written;
    a copy onto a tag that already points to the digest writes nothing and reports
    zeros.
    """

    digest: str
    media_type: str
    bytes_copied: int
    blobs_copied: int
    blobs_skipped: int
    blobs_mounted: int
    manifests: int


ProgressCallback = Callable[[Progress], object]


def _flag(*values: object) -> int:
    return int(any(bool(v) for v in values))


def _password(creds: Optional[str]) -> Optional[str]:
    # "USER:PASS": the password alone may also be echoed (e.g. in a URL).
    if isinstance(creds, str) and ":" in creds:
        return creds.split(":", 1)[1]
    return None


def _creds_secrets(src_creds: Optional[str], dest_creds: Optional[str]) -> List[Optional[str]]:
    """What an error message must not show of "USER:PASS" credentials."""
    return [src_creds, dest_creds, _password(src_creds), _password(dest_creds)]


def _jobs(jobs: int) -> int:
    """The number of parallel transfers, checked: 1 or more."""
    jobs = _convert.as_int(jobs, "jobs")
    if not 1 <= jobs <= _INT32_MAX:
        raise InvalidArgumentError(f"jobs must be at least 1, not {jobs}")
    return jobs


class _Callback:
    """Adapts a Python callable to berth_progress_fn and keeps what it raised."""

    def __init__(self, fn: ProgressCallback) -> None:
        self.fn = fn
        self.error: Optional[BaseException] = None
        # The ctypes thunk must outlive the berth_copy call: berth keeps calling it
        # until the call returns. Held here, and `copy` holds self.
        self.c_fn = ProgressFn(self._call)

    def _call(self, info_p: "ctypes._Pointer[ProgressInfo]", _user_data: Optional[int]) -> int:
        # Nothing may escape: ctypes would print the exception and return 0
        # ("carry on"), hiding the failure and ignoring a wish to stop.
        try:
            if self.error is not None:
                return 1
            info = info_p.contents
            code = int(info.event)
            event = Progress(
                event=PROGRESS_EVENTS.get(code, f"event_{code}"),
                digest=(info.digest or b"").decode("utf-8", errors="replace"),
                bytes=int(info.bytes),
                total=int(info.total),
                overall_bytes=int(info.overall_bytes),
                overall_total=int(info.overall_total),
            )
            return 1 if self.fn(event) else 0
        except BaseException as e:  # noqa: B902 - KeyboardInterrupt must cancel too
            self.error = e
            return 1

    @classmethod
    def of(cls, progress: Optional[ProgressCallback]) -> Optional["_Callback"]:
        """The adapter for ``progress`` (None for none); TypeError if not callable."""
        if progress is None:
            return None
        if not callable(progress):
            raise TypeError(f"progress must be callable, not {type(progress).__name__}")
        return cls(progress)

    def reraise(self) -> None:
        """Raises what the callback raised, if it raised (once), once berth returned."""
        if self.error is not None:
            error, self.error = self.error, None
            try:
                raise error  # the callback's own traceback, then this frame
            finally:
                del error  # no cycle through this frame


PathArg = Union[str, "os.PathLike[str]"]

# A tag as the distribution spec allows it.
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def _format(value: Optional[str]) -> int:
    """BERTH_FORMAT_* for "oci", "docker" or None/"auto" (the source's)."""
    if value is None:
        return FORMATS["auto"]
    if not isinstance(value, str):
        raise TypeError(f"format must be str or None, not {type(value).__name__}")
    try:
        return FORMATS[value]
    except KeyError:
        raise InvalidArgumentError(
            f"format must be 'oci', 'docker' or None, not {value!r}") from None


def string_list(values: Iterable[str], what: str) -> List[bytes]:
    """A list of str arguments as C strings; a lone str is refused (it is iterable)."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{what} must be a list of str, not a single {type(values).__name__}")
    try:
        items = list(values)
    except TypeError:
        raise TypeError(f"{what} must be a list of str, not {type(values).__name__}") from None
    return [_convert.cstr(v, f"{what}[{i}]") for i, v in enumerate(items)]


class _Call:
    """berth_copy_options filled from keyword arguments, and what must outlive the call.

    Its keyword-only parameters are the one declaration of ``copy``'s options
    (``@takes_options(_Call)``). ``finish(rc)`` re-raises what the progress callback
    raised, then the error for rc.
    """

    def __init__(
        self,
        *,
        src_creds: Optional[str] = None,
        dest_creds: Optional[str] = None,
        plain_http: bool = False,
        src_plain_http: bool = False,
        dest_plain_http: bool = False,
        insecure: bool = False,
        src_insecure: bool = False,
        dest_insecure: bool = False,
        ca_bundle: Union[PathArg, None] = None,
        platform: Optional[str] = None,
        jobs: int = 4,
        progress: Optional[ProgressCallback] = None,
        extra_tags: Iterable[str] = (),
        format: Optional[str] = None,  # noqa: A002 - the CLI's --format, the C ABI's format
        timeout: Optional[float] = None,
        stall_timeout: Optional[float] = None,
        chunk_size: int = 0,
        referrers: bool = True,
        artifact_types: Iterable[str] = (),
        create_repository: bool = False,
        mirrors: Iterable[str] = (),
        sign_key: Union[PathArg, None] = None,
        sign_key_password: Optional[str] = None,
    ) -> None:
        jobs = _jobs(jobs)
        c_sign_key = _convert.cpath(sign_key, "sign_key")
        c_sign_password = _convert.cstr(sign_key_password, "sign_key_password", optional=True)
        limits = _limits(timeout, stall_timeout, chunk_size)
        if not isinstance(referrers, bool):
            raise TypeError(f"referrers must be bool, not {type(referrers).__name__}")
        types = string_list(artifact_types, "artifact_types")
        c_mirrors = string_list(mirrors, "mirrors")
        if not isinstance(create_repository, bool):
            raise TypeError(
                f"create_repository must be bool, not {type(create_repository).__name__}")
        c_format = _format(format)
        self.callback = _Callback.of(progress)
        tags = string_list(extra_tags, "extra_tags")

        init = function("berth_copy_options_init")
        opts = CopyOptions()
        # A libberth older than this struct still copies when the call needs none of
        # the fields it does not know: the version given tells it which to read.
        if c_sign_key:
            needed, uses = 6, "sign_key"
        elif create_repository or c_mirrors:
            needed, uses = 5, "create_repository or mirrors"
        elif any(limits.values()) or not referrers or types:
            needed, uses = 4, "timeout, stall_timeout, chunk_size, referrers or artifact_types"
        elif c_format != FORMATS["auto"]:
            needed, uses = 3, "format"
        else:
            needed, uses = (2, "extra_tags") if tags else (1, "")
        version = COPY_OPTIONS_VERSION
        rc = init(ctypes.byref(opts), version)
        while rc != 0 and version > needed:
            version -= 1
            rc = init(ctypes.byref(opts), version)
        if rc != 0 and needed > 1:
            raise UnsupportedError(
                f"{uses} needs berth_copy_options version {needed}, which the loaded "
                f"libberth ({loaded_path()}) does not know; install a newer libberth")
        check(rc)
        opts.src_creds = _convert.cstr(src_creds, "src_creds", optional=True)
        opts.dst_creds = _convert.cstr(dest_creds, "dest_creds", optional=True)
        opts.src_plain_http = _flag(plain_http, src_plain_http)
        opts.dst_plain_http = _flag(plain_http, dest_plain_http)
        opts.src_insecure = _flag(insecure, src_insecure)
        opts.dst_insecure = _flag(insecure, dest_insecure)
        opts.src_ca_bundle = opts.dst_ca_bundle = _convert.cpath(ca_bundle, "ca_bundle")
        opts.platform = _convert.cstr(platform, "platform", optional=True)
        opts.jobs = jobs
        opts.format = c_format
        if version >= 4:
            for name, value in limits.items():
                setattr(opts, name, value)
            opts.no_referrers = 0 if referrers else 1
            self.types_array, n_types = string_array(types)
            if n_types:
                opts.artifact_types = ctypes.cast(self.types_array, type(opts.artifact_types))
                opts.n_artifact_types = n_types
        if version >= 5:
            opts.create_repository = 1 if create_repository else 0
            self.mirrors_array, n_mirrors = string_array(c_mirrors)
            if n_mirrors:
                opts.mirrors = ctypes.cast(self.mirrors_array, type(opts.mirrors))
                opts.n_mirrors = n_mirrors
        if version >= 6:
            opts.sign_key = c_sign_key
            opts.sign_key_password = c_sign_password
        # The C array (and the bytes it points to) must outlive the call: held here.
        self.tags_array, n = string_array(tags)
        if n:
            opts.extra_tags = ctypes.cast(self.tags_array, type(opts.extra_tags))
            opts.n_extra_tags = n

        if self.callback is not None:
            opts.progress = self.callback.c_fn
        self.opts = opts
        self.secrets = _creds_secrets(src_creds, dest_creds) + [sign_key_password or None]

    def finish(self, rc: int) -> None:
        if self.callback is not None:
            self.callback.reraise()
        check(rc, self.secrets)


def _seconds_to_ms(value: Optional[float], what: str, *, never: int = 0) -> int:
    """None -> 0 (the library's default); seconds -> milliseconds; 0 -> `never`."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, not {type(value).__name__}")
    if value < 0:
        raise InvalidArgumentError(f"{what} must not be negative, not {value}")
    return never if value == 0 else max(1, int(value * 1000))


def _limits(timeout: Optional[float], stall_timeout: Optional[float],
            chunk_size: int) -> Dict[str, int]:
    chunk_size = _convert.as_int(chunk_size, "chunk_size")
    if chunk_size < 0 or (0 < chunk_size < 1 << 20):
        raise InvalidArgumentError(f"chunk_size must be 0 or at least 1 MiB, not {chunk_size}")
    return {"timeout_ms": _seconds_to_ms(timeout, "timeout"),
            "stall_timeout_ms": _seconds_to_ms(stall_timeout, "stall_timeout", never=-1),
            "chunk_size": chunk_size}


def _result(out: _CCopyResult) -> CopyResult:
    return CopyResult(
        digest=out.digest.decode("utf-8", errors="replace"),
        media_type=out.media_type.decode("utf-8", errors="replace"),
        bytes_copied=int(out.bytes_copied),
        blobs_copied=int(out.blobs_copied),
        blobs_skipped=int(out.blobs_skipped),
        blobs_mounted=int(out.blobs_mounted),
        manifests=int(out.manifests),
    )


@takes_options(_Call)
def copy(src: str, dst: str, **options: Any) -> CopyResult:
    """Copies an image or index from ``src`` to ``dst`` and returns what it did.

    ``src`` and ``dst`` use skopeo's transports: ``"docker://HOST/REPO:TAG"`` (or
    ``@sha256:...``; a bare reference means the same) and ``"oci:DIR[:TAG]"`` for an
    OCI image layout. Blobs the destination has are skipped, blobs in another
    repository of the same registry are mounted, the rest stream with ``jobs`` in
    parallel; the destination tag is written last, after everything it references
    has arrived and verified.

    ``src_creds``/``dest_creds`` are ``"USER:PASSWORD"`` and override the docker
    keychain (config.json, credential helpers). ``plain_http`` and ``insecure``
    (skip TLS verification) apply to both sides, the ``src_``/``dest_`` forms to
    one; loopback registries use plain HTTP anyway. ``ca_bundle`` is a PEM file of
    extra trusted CAs for both sides. ``platform`` ("os/arch[/variant]") copies only
    that image of an index; by default the whole index is copied. ``extra_tags``
    are more tag names for the top manifest at the destination (each written only
    when it does not already point at the digest).

    ``format`` is ``"oci"`` or ``"docker"`` to write those media types, converting
    the manifests (manifest, config and layer types; index <-> manifest list): their
    digests change, the blobs do not, and the result's digest is the new one. By
    default (None) the source's manifests are kept, except that an image read from a
    ``docker-archive:`` becomes OCI in an ``oci:`` or ``oci-archive:`` destination.
    What cannot be converted (zstd layers or artifacts to Docker, say) raises
    UnsupportedError before anything is written.

    ``timeout`` (seconds) bounds the whole copy (TimeoutError); ``stall_timeout``
    abandons — and resumes where safe — a transfer moving under 1 KiB/s that long
    (default 60, 0 = never). ``chunk_size`` pushes blobs over 16 MiB in PATCHes of
    that many bytes (for proxies that cap request bodies); by default one request
    per blob.

    Referrers (signatures, SBOMs, attestations whose subject is a copied image)
    follow by default, through the referrers API or the ``sha256-<hex>`` tag scheme;
    ``referrers=False`` skips them and ``artifact_types`` keeps only those types.

    ``create_repository=True`` creates a missing ECR destination repository first
    (with the source repository's settings when the source is in ECR too), with the
    AWS credentials of the environment, instead of failing with NAME_UNKNOWN.
    ``mirrors`` ("SRC_REGISTRY=HOST[/PREFIX]", e.g. an ECR pull-through cache) read a
    registry source through the first mirror that serves it, else from SRC_REGISTRY.
    ``sign_key`` (a cosign key file; password ``sign_key_password``, as ``sign``
    takes it, None for none) signs the image once it landed in a registry or
    an ``oci:`` layout, as ``berth push --sign-key`` does; copy and push only.

    ``progress(Progress)`` is called from berth's worker threads, one call at a time;
    a truthy return cancels the copy with ``CancelledError``. An exception raised in
    it also cancels the copy and is re-raised here once berth has stopped.

    Raises InvalidArgumentError (bad reference or option), NotFoundError, AuthError,
    DeniedError, NetworkError, DigestMismatchError, CancelledError, ... The GIL is
    released while the copy runs.
    """
    c_src = _convert.cstr(src, "src")
    c_dst = _convert.cstr(dst, "dst")
    call = _Call(**options)
    berth_copy = function("berth_copy")
    out = _CCopyResult()
    rc = berth_copy(c_src, c_dst, ctypes.byref(call.opts), ctypes.byref(out))
    call.finish(rc)
    return _result(out)


def _split_tag(ref: str) -> Tuple[str, Optional[str], bool]:
    """(reference without tag, tag or None, has digest) of a docker reference."""
    name = ref[len("docker://"):] if ref.startswith("docker://") else ref
    if "@" in name:
        return ref, None, True
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return ref[: len(ref) - len(name) + colon], name[colon + 1:], False
    return ref, None, False


def push(src: str, ref: str, *, tags: Iterable[str] = (), **options: Any) -> CopyResult:
    """Copies ``src`` to the registry reference ``ref`` and tags it with ``tags`` too.

    ``ref`` is ``"HOST/REPO:TAG"`` (``docker://`` may be given). Without a tag in
    ``ref`` the first of ``tags`` is the main one; one of the two is needed. The
    main tag is written after every blob arrived, then each other tag that does not
    already point at the digest. ``options`` are those of ``copy``
    (``dest_creds``, ``jobs``, ``progress``, ...).

    Raises InvalidArgumentError for a malformed tag or a reference without any tag,
    then what ``copy`` raises.
    """
    if not isinstance(ref, str):
        raise TypeError(f"ref must be str, not {type(ref).__name__}")
    extra = [t.decode("utf-8") for t in string_list(tags, "tags")]
    extra += [t.decode("utf-8") for t in string_list(options.pop("extra_tags", ()),
                                                     "extra_tags")]
    for t in extra:
        if not _TAG.fullmatch(t):
            raise InvalidArgumentError(f"invalid tag {t!r}")
    dst = ref if "://" in ref else "docker://" + ref
    _, main, has_digest = _split_tag(dst)
    if main is None and not has_digest:
        if not extra:
            raise InvalidArgumentError(f"push needs a tag: {ref!r} has none and tags is empty")
        main = extra[0]
        dst = f"{dst}:{main}"
    seen = {main}
    unique = []
    for t in extra:
        if t not in seen:
            seen.add(t)
            unique.append(t)
    return copy(src, dst, extra_tags=unique, **options)


def replicate(src: str, dsts: Sequence[str], **options: Any) -> List[CopyResult]:
    """Copies one source to every destination of ``dsts``, reading each blob once.

    Each blob is streamed to every destination that lacks it; destinations on the
    source's registry mount instead. Returns one CopyResult per destination, in the
    order of ``dsts``. ``options`` are those of ``copy``; the ``dest_*`` ones apply
    to every destination, and ``format`` is decided for each (a destination that
    converts reports its own digest).
    """
    c_src = _convert.cstr(src, "src")
    c_dsts = string_list(dsts, "dsts")
    if not c_dsts:
        raise InvalidArgumentError("replicate needs at least one destination")
    call = _Call(**options)
    array, n = string_array(c_dsts)
    results = (_CCopyResult * n)()
    rc = function("berth_replicate")(results, c_src, array, n, ctypes.byref(call.opts))
    call.finish(rc)
    return [_result(r) for r in results]


def index(srcs: Sequence[str], dst: str, *, annotations: Optional[Mapping[str, str]] = None,
          **options: Any) -> CopyResult:
    """Assembles a multi-arch index from the images ``srcs`` and tags it at ``dst``.

    Children are referenced by digest, their platforms read from their configs; an
    index among ``srcs`` contributes its entries. ``annotations`` go on the index
    (which is then always an OCI index). ``options`` are those of ``copy``
    (``extra_tags`` tags the index more than once; ``format`` converts every child,
    and the index is a Docker manifest list only when all children are Docker and
    there are no annotations). Returns what was written.
    """
    c_srcs = string_list(srcs, "srcs")
    if not c_srcs:
        raise InvalidArgumentError("index needs at least one source image")
    c_dst = _convert.cstr(dst, "dst")
    pairs = []
    for k, v in (annotations or {}).items():
        if not isinstance(k, str) or not k or "=" in k:
            raise InvalidArgumentError(f"annotation key {k!r} must be a non-empty str without '='")
        pairs.append(f"{k}={v}")
    c_annotations = string_list(pairs, "annotations")
    call = _Call(**options)
    array, n = string_array(c_srcs)
    out = _CCopyResult()
    if c_annotations:
        kv, n_kv = string_array(c_annotations)
        rc = function("berth_index_annotated")(ctypes.byref(out), array, n, c_dst, kv, n_kv,
                                               ctypes.byref(call.opts))
    else:
        rc = function("berth_index")(ctypes.byref(out), array, n, c_dst, ctypes.byref(call.opts))
    call.finish(rc)
    return _result(out)


def export(
    src: str,
    dir: PathArg,
    *,
    platform: Optional[str] = None,
    src_creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    max_size: int = 0,
    max_expansion_ratio: Optional[float] = None,
    devices: bool = False,
    timeout: Optional[float] = None,
    stall_timeout: Optional[float] = None,
) -> None:
    """Flattens the image ``src`` into the directory ``dir``, like ``docker export``.

    Layers are applied in order with their whiteouts. Anything that would land
    outside ``dir`` (absolute or ``..`` paths, links leading out) raises UnsafeError.
    ``platform`` picks the image of an index. A new or empty ``dir`` appears only
    once every layer arrived and verified.

    Decompression bombs: ``max_size`` caps the bytes of all files (default 64 GiB),
    ``max_expansion_ratio`` the bytes written per compressed byte, checked while
    streaming past the first 16 MiB (default 200; 0 turns it off); both raise
    TooLargeError. Device nodes are skipped unless ``devices`` (root only; created
    with mode 0600 at most). ``timeout``/``stall_timeout`` as for ``copy``.
    """
    c_src = _convert.cstr(src, "src")
    c_dir = _convert.cpath(dir, "dir")
    if c_dir is None:
        raise TypeError("dir must be a path, not None")
    max_size = _convert.as_int(max_size, "max_size")
    if max_size < 0:
        raise InvalidArgumentError(f"max_size must not be negative, not {max_size}")
    ratio = 0.0
    if max_expansion_ratio is not None:
        if isinstance(max_expansion_ratio, bool) or not isinstance(max_expansion_ratio,
                                                                   (int, float)):
            raise TypeError("max_expansion_ratio must be a number")
        if max_expansion_ratio < 0:
            raise InvalidArgumentError("max_expansion_ratio must not be negative")
        ratio = -1.0 if max_expansion_ratio == 0 else float(max_expansion_ratio)
    call = _Call(src_creds=src_creds, src_plain_http=plain_http, src_insecure=insecure,
                 ca_bundle=ca_bundle, platform=platform, timeout=timeout,
                 stall_timeout=stall_timeout)
    if max_size or ratio or devices:
        if call.opts.version < 4:
            raise UnsupportedError("this libberth is too old for export limits (needs "
                                   "berth_copy_options version 4)")
        call.opts.max_total_bytes = max_size
        call.opts.max_expansion_ratio = ratio
        call.opts.devices = 1 if devices else 0
    rc = function("berth_export")(c_src, c_dir, ctypes.byref(call.opts))
    call.finish(rc)


__all__ = ["CopyResult", "Progress", "copy", "export", "index", "push", "replicate"]
