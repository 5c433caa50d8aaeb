"""Copying images: berth_copy, berth_replicate, berth_index and berth_export.

Registries (docker://) and OCI layouts (oci:). The work is libberth's; this module
fills berth_copy_options (with a berth_registry_options for each side), adapts a
Python callable to berth_progress_fn and turns the JSON result into a dataclass.
``push`` is ``copy`` to a registry tag plus more tags (berth_copy_options.extra_tags).

Threads: ctypes releases the GIL for the whole berth_copy call, so other Python
threads keep running while blobs move. berth calls the progress callback from its
worker threads (and from the thread running the call: from the main thread, that is a
worker of its own, so that Ctrl-C can stop it), never two calls at once; ctypes takes
the GIL for each call. An exception raised by the callback cannot cross the C
boundary, so the callback stores it and returns 1 (cancel); ``copy`` re-raises it
once berth has returned and every worker has stopped.
"""

from __future__ import annotations

import ctypes
import os
import re
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _convert, _interrupt
from ._errors import InvalidArgumentError, ProtocolError
from ._lib import (COPY_OPTIONS_VERSION, EXPORT_OPTIONS_VERSION, FORMATS, INDEX_OPTIONS_VERSION,
                   PROGRESS_EVENTS, CopyOptions, ExportOptions, IndexOptions, ProgressFn,
                   ProgressInfo, check, function, parse_json, string_array, take_string)
from ._registry import Registry, jobs_value, password_of, seconds_to_ms, string_list


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

    ``referrers`` counts the referrers (signatures, SBOMs, attestations) that
    followed, ``digest_tags`` the ``sha256-<hex>`` tags of the tag scheme written;
    ``warnings`` says what was left out (referrers that could not be listed, ...).
    ``mirror`` is the source as read through a mirror (None when read directly),
    ``signature`` where ``sign_key``'s signature lives (None without one).
    ``seconds`` is how long the copy took; it does not take part in ``==``.
    """

    digest: str
    media_type: str
    bytes_copied: int
    blobs_copied: int
    blobs_skipped: int
    blobs_mounted: int
    manifests: int
    referrers: int = 0
    digest_tags: int = 0
    warnings: Tuple[str, ...] = ()
    mirror: Optional[str] = None
    signature: Optional[str] = None
    seconds: float = field(default=0.0, compare=False)


ProgressCallback = Callable[[Progress], object]


def _count(value: Any) -> int:
    """A count in a JSON result: a number, or the length of a list of items."""
    if isinstance(value, (list, tuple)):
        return len(value)
    return int(value or 0)


def _warnings(value: Any) -> Tuple[str, ...]:
    return tuple(w if isinstance(w, str) else str(w) for w in (value or ()))


def copy_result(d: Mapping[str, Any]) -> CopyResult:
    """A CopyResult from berth_copy's JSON (also one of berth_replicate's, berth_index's)."""
    return CopyResult(
        digest=str(d.get("digest", "")),
        media_type=str(d.get("mediaType", "")),
        bytes_copied=int(d.get("bytesCopied", 0)),
        blobs_copied=int(d.get("blobsCopied", 0)),
        blobs_skipped=int(d.get("blobsSkipped", 0)),
        blobs_mounted=int(d.get("blobsMounted", 0)),
        manifests=int(d.get("manifests", 0)),
        referrers=_count(d.get("referrers")),
        digest_tags=_count(d.get("digestTags")),
        warnings=_warnings(d.get("warnings")),
        mirror=d.get("mirror") or None,
        signature=d.get("signature") or None,
        seconds=float(d.get("seconds") or 0.0),
    )


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


class _Sides:
    """A berth_registry_options for each side of a transfer, from the keyword arguments
    copy, replicate, index and build share. ``plain_http``, ``insecure``,
    ``ca_bundle`` and ``stall_timeout`` apply to both sides, the ``src_``/``dest_``
    forms to one; ``mirrors`` to the source (reading), ``chunk_size`` to the
    destination (pushing)."""

    def __init__(self, *, src_creds: Optional[str] = None, dest_creds: Optional[str] = None,
                 plain_http: bool = False, src_plain_http: bool = False,
                 dest_plain_http: bool = False, insecure: bool = False,
                 src_insecure: bool = False, dest_insecure: bool = False,
                 ca_bundle: Union[PathArg, None] = None, stall_timeout: Optional[float] = None,
                 chunk_size: Optional[int] = 0, mirrors: Iterable[str] = ()) -> None:
        self.src = Registry(creds=src_creds, plain_http=bool(plain_http or src_plain_http),
                            insecure=bool(insecure or src_insecure), ca_bundle=ca_bundle,
                            stall_timeout=stall_timeout, mirrors=mirrors, what="src")
        self.dst = Registry(creds=dest_creds, plain_http=bool(plain_http or dest_plain_http),
                            insecure=bool(insecure or dest_insecure), ca_bundle=ca_bundle,
                            stall_timeout=stall_timeout, chunk_size=chunk_size, what="dest")
        self.secrets: List[Optional[str]] = self.src.secrets + self.dst.secrets


def _creds_secrets(src_creds: Optional[str], dest_creds: Optional[str]) -> List[Optional[str]]:
    """What an error message must not show of "USER:PASS" credentials."""
    return [src_creds, dest_creds, password_of(src_creds), password_of(dest_creds)]


def _set_strings(opts: Any, field_name: str, values: List[bytes], keep: List[Any]) -> None:
    """Points opts.<field_name> / opts.n_<field_name> at a C array of ``values``; the
    array goes to ``keep``, which must outlive the call."""
    array, n = string_array(values)
    if n:
        keep.append(array)
        setattr(opts, field_name, ctypes.cast(array, type(getattr(opts, field_name))))
        setattr(opts, "n_" + field_name, n)


class _Call:
    """berth_copy_options filled from keyword arguments, and what must outlive the call.

    Its keyword-only parameters are ``copy``'s options; ``copy``, ``push``, ``pull``
    and ``replicate`` declare them again, typed, and pass them on (a test checks the
    declarations agree). ``finish(rc)`` re-raises what the progress callback
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
        jobs: Optional[int] = None,
        progress: Optional[ProgressCallback] = None,
        extra_tags: Iterable[str] = (),
        format: Optional[str] = None,  # noqa: A002 - the CLI's --format, the C ABI's format
        timeout: Optional[float] = None,
        stall_timeout: Optional[float] = None,
        chunk_size: Optional[int] = 0,
        referrers: bool = True,
        artifact_types: Iterable[str] = (),
        create_repository: bool = False,
        mirrors: Iterable[str] = (),
        sign_key: Union[PathArg, None] = None,
        sign_key_password: Optional[str] = None,
    ) -> None:
        c_jobs = jobs_value(jobs)
        c_sign_key = _convert.cpath(sign_key, "sign_key")
        c_sign_password = _convert.cstr(sign_key_password, "sign_key_password", optional=True)
        timeout_ms = seconds_to_ms(timeout, "timeout")
        if not isinstance(referrers, bool):
            raise TypeError(f"referrers must be bool, not {type(referrers).__name__}")
        types = string_list(artifact_types, "artifact_types")
        if not isinstance(create_repository, bool):
            raise TypeError(
                f"create_repository must be bool, not {type(create_repository).__name__}")
        c_format = _format(format)
        tags = string_list(extra_tags, "extra_tags")
        c_platform = _convert.cstr(platform, "platform", optional=True)
        self.sides = _Sides(src_creds=src_creds, dest_creds=dest_creds, plain_http=plain_http,
                            src_plain_http=src_plain_http, dest_plain_http=dest_plain_http,
                            insecure=insecure, src_insecure=src_insecure,
                            dest_insecure=dest_insecure, ca_bundle=ca_bundle,
                            stall_timeout=stall_timeout, chunk_size=chunk_size, mirrors=mirrors)
        self.callback = _Callback.of(progress)

        opts = CopyOptions()
        check(function("berth_copy_options_init")(ctypes.byref(opts), COPY_OPTIONS_VERSION))
        opts.src = self.sides.src.pointer()
        opts.dst = self.sides.dst.pointer()
        opts.platform = c_platform
        opts.jobs = c_jobs
        opts.format = c_format
        opts.timeout_ms = timeout_ms
        opts.no_referrers = 0 if referrers else 1
        opts.create_repository = 1 if create_repository else 0
        opts.sign_key = c_sign_key
        opts.sign_key_password = c_sign_password
        # The C arrays (and the bytes they point to) must outlive the call: held here.
        self.keep: List[Any] = []
        _set_strings(opts, "extra_tags", tags, self.keep)
        _set_strings(opts, "artifact_types", types, self.keep)
        if self.callback is not None:
            opts.progress = self.callback.c_fn
        self.opts = opts
        self.secrets = self.sides.secrets + [sign_key_password or None]

    def finish(self, rc: int) -> None:
        if self.callback is not None:
            try:
                self.callback.reraise()
            except BaseException:
                _interrupt.discard_error()  # rc's details are not this error's
                raise
        check(rc, self.secrets)


def _json_out(name: str, rc: int, out: ctypes.c_void_p, finish: Callable[[int], None]) -> \
        Dict[str, Any]:
    """Takes the JSON a call returned, raises for rc (``finish``), then parses it."""
    raw = take_string(out)  # makes no berth call that would replace the last error
    finish(rc)
    return parse_json(name, raw)


def copy(
    src: str,
    dst: str,
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
    jobs: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    extra_tags: Iterable[str] = (),
    format: Optional[str] = None,  # noqa: A002 - the CLI's --format, the C ABI's format
    timeout: Optional[float] = None,
    stall_timeout: Optional[float] = None,
    chunk_size: Optional[int] = 0,
    referrers: bool = True,
    artifact_types: Iterable[str] = (),
    create_repository: bool = False,
    mirrors: Iterable[str] = (),
    sign_key: Union[PathArg, None] = None,
    sign_key_password: Optional[str] = None,
) -> CopyResult:
    """Copies an image or index from ``src`` to ``dst`` and returns what it did.

    ``src`` and ``dst`` use skopeo's transports: ``"docker://HOST/REPO:TAG"`` (or
    ``@sha256:...``; a bare reference means the same) and ``"oci:DIR[:TAG]"`` for an
    OCI image layout. Blobs the destination has are skipped, blobs in another
    repository of the same registry are mounted, the rest stream with ``jobs`` in
    parallel; the destination tag is written last, after everything it references
    has arrived and verified. ``jobs`` None means the library's default
    (``berth.defaults()["jobs"]``), at most ``berth.defaults()["maxJobs"]``.

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
    (None: the library's default, ``berth.defaults()["stallTimeoutMs"]``; 0: never). ``chunk_size`` pushes blobs over 16 MiB in PATCHes of
    that many bytes (for proxies that cap request bodies); by default one request
    per blob.

    Referrers (signatures, SBOMs, attestations whose subject is a copied image)
    follow by default, through the referrers API or the ``sha256-<hex>`` tag scheme;
    ``referrers=False`` skips them and ``artifact_types`` keeps only those types.

    ``create_repository=True`` creates a missing ECR destination repository first
    (with the source repository's settings when the source is in ECR too), with the
    AWS credentials of the environment, instead of failing with NAME_UNKNOWN.
    ``mirrors`` ("SRC_REGISTRY=HOST[/PREFIX]", e.g. an ECR pull-through cache) read a
    registry source through the first mirror that serves it, else from SRC_REGISTRY
    (the result's ``mirror`` names it). ``sign_key`` (a cosign key file; password ``sign_key_password``, as ``sign``
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
    call = _Call(src_creds=src_creds, dest_creds=dest_creds, plain_http=plain_http,
                 src_plain_http=src_plain_http, dest_plain_http=dest_plain_http,
                 insecure=insecure, src_insecure=src_insecure, dest_insecure=dest_insecure,
                 ca_bundle=ca_bundle,
                 platform=platform, jobs=jobs, progress=progress, extra_tags=extra_tags,
                 format=format, timeout=timeout, stall_timeout=stall_timeout,
                 chunk_size=chunk_size, referrers=referrers, artifact_types=artifact_types,
                 create_repository=create_repository, mirrors=mirrors, sign_key=sign_key,
                 sign_key_password=sign_key_password)
    out = ctypes.c_void_p()
    rc = function("berth_copy")(ctypes.byref(out), c_src, c_dst, ctypes.byref(call.opts))
    return copy_result(_json_out("berth_copy", rc, out, call.finish))


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


def push(
    src: str,
    ref: str,
    *,
    tags: Iterable[str] = (),
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
    jobs: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    format: Optional[str] = None,  # noqa: A002
    timeout: Optional[float] = None,
    stall_timeout: Optional[float] = None,
    chunk_size: Optional[int] = 0,
    referrers: bool = True,
    artifact_types: Iterable[str] = (),
    create_repository: bool = False,
    mirrors: Iterable[str] = (),
    sign_key: Union[PathArg, None] = None,
    sign_key_password: Optional[str] = None,
) -> CopyResult:
    """Copies ``src`` to the registry reference ``ref`` and tags it with ``tags`` too.

    ``ref`` is ``"HOST/REPO:TAG"`` (``docker://`` may be given). Without a tag in
    ``ref`` the first of ``tags`` is the main one; one of the two is needed. The
    main tag is written after every blob arrived, then each other tag that does not
    already point at the digest. The other keyword arguments are ``copy``'s
    (credentials and TLS of each side, ``platform``, ``jobs``, ``progress``,
    ``format``, timeouts, ``chunk_size``, referrers, ``create_repository``,
    ``mirrors``, and ``sign_key`` to sign what was pushed, as ``berth push
    --sign-key`` does).

    Raises InvalidArgumentError for a malformed tag or a reference without any tag,
    then what ``copy`` raises.
    """
    if not isinstance(ref, str):
        raise TypeError(f"ref must be str, not {type(ref).__name__}")
    extra = [t.decode("utf-8") for t in string_list(tags, "tags")]
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
    return copy(src, dst, src_creds=src_creds, dest_creds=dest_creds, plain_http=plain_http,
                src_plain_http=src_plain_http, dest_plain_http=dest_plain_http,
                insecure=insecure, src_insecure=src_insecure, dest_insecure=dest_insecure,
                ca_bundle=ca_bundle,
                platform=platform, jobs=jobs, progress=progress, extra_tags=unique,
                format=format, timeout=timeout, stall_timeout=stall_timeout,
                chunk_size=chunk_size, referrers=referrers, artifact_types=artifact_types,
                create_repository=create_repository, mirrors=mirrors, sign_key=sign_key,
                sign_key_password=sign_key_password)


@dataclass(frozen=True)
class PullResult(CopyResult):
    """What ``pull`` did: a ``CopyResult`` plus ``destination``, the location written
    as ``copy`` names locations (``"docker-archive:out.tar"``, ``"oci:./dir:v1"``), and
    with ``verify_key`` the digest that verified and its valid signatures."""

    destination: str = ""
    verified_digest: Optional[str] = None
    signatures_verified: int = 0


def pull(
    ref: str,
    dest: PathArg,
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
    jobs: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    format: Optional[str] = None,  # noqa: A002
    timeout: Optional[float] = None,
    stall_timeout: Optional[float] = None,
    chunk_size: Optional[int] = 0,
    referrers: bool = True,
    artifact_types: Iterable[str] = (),
    mirrors: Iterable[str] = (),
    verify_key: Union[PathArg, None] = None,
) -> PullResult:
    """Pulls the registry image ``ref`` into ``dest``, as ``berth pull REF DST`` does.

    ``ref`` is ``"HOST/REPO:TAG"`` or ``"...@sha256:..."`` (``docker://`` may be
    given); a local source raises InvalidArgumentError (that is ``copy``'s).
    ``dest`` (a str or path) is taken as the CLI and crane take it: with a transport
    as written (``"oci:DIR[:TAG]"``, ``"oci-archive:FILE[:TAG]"``,
    ``"docker-archive:FILE[:REF]"``, ``"docker://..."``); ``"FILE.tar"`` (not a
    directory) is a docker-archive, which ``docker load`` reads; a directory that
    exists, or a path written ``"."``, ``"./DIR"``, ``"../DIR"`` or ``"/DIR"`` (a
    ``pathlib.Path`` always is; ``"~"`` is not expanded), an OCI layout; ``"HOST/REPO..."`` a
    registry. A bare word (``"outdir"``), which would name a Docker Hub repository,
    raises InvalidArgumentError naming those forms. The result's ``destination`` says
    where the image went.

    ``verify_key`` (a cosign PEM public key file) verifies the image's signatures
    first, as ``verify`` does, and pulls it by the digest that verified, so a tag
    that moves in between cannot slip an unsigned image in; GateFailedError, with
    nothing written, when no valid signature is found.

    The other keyword arguments are ``copy``'s: ``src_creds`` (else the docker
    keychain), ``plain_http``/``insecure``/``ca_bundle`` (and their ``src_``/``dest_``
    forms), ``platform`` (one image of an index), ``jobs``, ``progress``, ``format``
    (``"oci"``/``"docker"`` media types), ``timeout``, ``stall_timeout``,
    ``chunk_size``, ``referrers``/``artifact_types`` and ``mirrors``. Raises
    UnsupportedError when the loaded libberth predates ``berth_pull``.
    """
    c_ref = _convert.cstr(ref, "ref")
    if isinstance(dest, os.PathLike):
        # A path object is a path, never a registry or a bare word: written so that
        # the library reads it as one.
        path = os.fspath(dest)
        if not isinstance(path, str):
            raise TypeError("dest must be a str or a str path")
        dest = path if path.startswith(("/", "./", "../")) or path in (".", "..") else "./" + path
    c_dest = _convert.cstr(dest, "dest")
    c_key = _convert.cpath(verify_key, "verify_key")
    call = _Call(src_creds=src_creds, dest_creds=dest_creds, plain_http=plain_http,
                 src_plain_http=src_plain_http, dest_plain_http=dest_plain_http,
                 insecure=insecure, src_insecure=src_insecure, dest_insecure=dest_insecure,
                 ca_bundle=ca_bundle,
                 platform=platform, jobs=jobs, progress=progress, format=format,
                 timeout=timeout, stall_timeout=stall_timeout, chunk_size=chunk_size,
                 referrers=referrers, artifact_types=artifact_types, mirrors=mirrors)
    fn = function("berth_pull")
    out = ctypes.c_void_p()
    rc = fn(ctypes.byref(out), c_ref, c_dest, c_key, ctypes.byref(call.opts))
    d = _json_out("berth_pull", rc, out, call.finish)
    base = copy_result(d)
    verified = d.get("verified") or {}
    return PullResult(**{f.name: getattr(base, f.name) for f in fields(CopyResult)},
                      destination=str(d.get("destination", "")),
                      verified_digest=str(verified["digest"]) if verified.get("digest") else None,
                      signatures_verified=int(verified.get("valid") or 0))


def replicate(
    src: str,
    dsts: Sequence[str],
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
    jobs: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    extra_tags: Iterable[str] = (),
    format: Optional[str] = None,  # noqa: A002
    timeout: Optional[float] = None,
    stall_timeout: Optional[float] = None,
    chunk_size: Optional[int] = 0,
    referrers: bool = True,
    artifact_types: Iterable[str] = (),
    create_repository: bool = False,
    mirrors: Iterable[str] = (),
) -> List[CopyResult]:
    """Copies one source to every destination of ``dsts``, reading each blob once.

    Each blob is streamed to every destination that lacks it; destinations on the
    source's registry mount instead. Returns one CopyResult per destination, in the
    order of ``dsts``. The keyword arguments are ``copy``'s (but ``sign_key``); the
    ``dest_*`` ones apply to every destination, ``extra_tags`` tag each destination
    more than once, and ``format`` is decided for each (a destination that converts
    reports its own digest).
    """
    c_src = _convert.cstr(src, "src")
    c_dsts = string_list(dsts, "dsts")
    if not c_dsts:
        raise InvalidArgumentError("replicate needs at least one destination")
    call = _Call(src_creds=src_creds, dest_creds=dest_creds, plain_http=plain_http,
                 src_plain_http=src_plain_http, dest_plain_http=dest_plain_http,
                 insecure=insecure, src_insecure=src_insecure, dest_insecure=dest_insecure,
                 ca_bundle=ca_bundle,
                 platform=platform, jobs=jobs, progress=progress, extra_tags=extra_tags,
                 format=format, timeout=timeout, stall_timeout=stall_timeout,
                 chunk_size=chunk_size, referrers=referrers, artifact_types=artifact_types,
                 create_repository=create_repository, mirrors=mirrors)
    array, n = string_array(c_dsts)
    out = ctypes.c_void_p()
    rc = function("berth_replicate")(ctypes.byref(out), c_src, array, n, ctypes.byref(call.opts))
    d = _json_out("berth_replicate", rc, out, call.finish)
    results = d.get("results")
    if not isinstance(results, list) or len(results) != n:
        raise ProtocolError(f"berth_replicate: expected {n} results, got {results!r:.200}")
    return [copy_result(r) for r in results]


class _IndexCall:
    """berth_index_options from keyword arguments: the one declaration of ``index``'s
    options (those of ``copy`` that apply to an index)."""

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
        jobs: Optional[int] = None,
        progress: Optional[ProgressCallback] = None,
        extra_tags: Iterable[str] = (),
        format: Optional[str] = None,  # noqa: A002
        timeout: Optional[float] = None,
        stall_timeout: Optional[float] = None,
        chunk_size: Optional[int] = 0,
        mirrors: Iterable[str] = (),
        annotations: Optional[Mapping[str, str]] = None,
    ) -> None:
        c_jobs = jobs_value(jobs)
        timeout_ms = seconds_to_ms(timeout, "timeout")
        c_format = _format(format)
        tags = string_list(extra_tags, "extra_tags")
        pairs = []
        for k, v in (annotations or {}).items():
            if not isinstance(k, str) or not k or "=" in k:
                raise InvalidArgumentError(
                    f"annotation key {k!r} must be a non-empty str without '='")
            pairs.append(f"{k}={v}")
        c_annotations = string_list(pairs, "annotations")
        self.sides = _Sides(src_creds=src_creds, dest_creds=dest_creds, plain_http=plain_http,
                            src_plain_http=src_plain_http, dest_plain_http=dest_plain_http,
                            insecure=insecure, src_insecure=src_insecure,
                            dest_insecure=dest_insecure, ca_bundle=ca_bundle,
                            stall_timeout=stall_timeout, chunk_size=chunk_size, mirrors=mirrors)
        self.callback = _Callback.of(progress)
        opts = IndexOptions()
        check(function("berth_index_options_init")(ctypes.byref(opts), INDEX_OPTIONS_VERSION))
        opts.src = self.sides.src.pointer()
        opts.dst = self.sides.dst.pointer()
        opts.jobs = c_jobs
        opts.format = c_format
        opts.timeout_ms = timeout_ms
        self.keep: List[Any] = []
        _set_strings(opts, "extra_tags", tags, self.keep)
        _set_strings(opts, "annotations", c_annotations, self.keep)
        if self.callback is not None:
            opts.progress = self.callback.c_fn
        self.opts = opts
        self.secrets = self.sides.secrets

    def finish(self, rc: int) -> None:
        if self.callback is not None:
            self.callback.reraise()
        check(rc, self.secrets)


def index(
    srcs: Sequence[str],
    dst: str,
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
    jobs: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    extra_tags: Iterable[str] = (),
    format: Optional[str] = None,  # noqa: A002
    timeout: Optional[float] = None,
    stall_timeout: Optional[float] = None,
    chunk_size: Optional[int] = 0,
    mirrors: Iterable[str] = (),
    annotations: Optional[Mapping[str, str]] = None,
) -> CopyResult:
    """Assembles a multi-arch index from the images ``srcs`` and tags it at ``dst``.

    Children are referenced by digest, their platforms read from their configs; an
    index among ``srcs`` contributes its entries. ``annotations`` go on the index
    (which is then always an OCI index). The other options are those of ``copy``
    that apply (``extra_tags`` tags the index more than once; ``format`` converts
    every child, and the index is a Docker manifest list only when all children are
    Docker and there are no annotations). Returns what was written.
    """
    c_srcs = string_list(srcs, "srcs")
    if not c_srcs:
        raise InvalidArgumentError("index needs at least one source image")
    c_dst = _convert.cstr(dst, "dst")
    call = _IndexCall(src_creds=src_creds, dest_creds=dest_creds, plain_http=plain_http,
                      src_plain_http=src_plain_http, dest_plain_http=dest_plain_http,
                      insecure=insecure, src_insecure=src_insecure, dest_insecure=dest_insecure,
                      ca_bundle=ca_bundle,
                      jobs=jobs, progress=progress, extra_tags=extra_tags, format=format,
                      timeout=timeout, stall_timeout=stall_timeout, chunk_size=chunk_size,
                      mirrors=mirrors, annotations=annotations)
    array, n = string_array(c_srcs)
    out = ctypes.c_void_p()
    rc = function("berth_index")(ctypes.byref(out), array, n, c_dst, ctypes.byref(call.opts))
    return copy_result(_json_out("berth_index", rc, out, call.finish))


def export(
    src: str,
    dir: PathArg,
    *,
    platform: Optional[str] = None,
    src_creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    mirrors: Iterable[str] = (),
    max_size: Optional[int] = None,
    max_expansion_ratio: Optional[float] = None,
    devices: bool = False,
    timeout: Optional[float] = None,
    stall_timeout: Optional[float] = None,
) -> None:
    """Flattens the image ``src`` into the directory ``dir``, like ``docker export``.

    Layers are applied in order with their whiteouts. Anything that would land
    outside ``dir`` (absolute or ``..`` paths, links leading out) raises UnsafeError.
    ``platform`` picks the image of an index (None: the library's default,
    ``berth.defaults()["platform"]``). A new or empty ``dir`` appears only once every
    layer arrived and verified.

    Decompression bombs: ``max_size`` caps the bytes of all files (None: the
    library's default, ``berth.defaults()["maxExportBytes"]``),
    ``max_expansion_ratio`` the bytes written per compressed byte, checked while
    streaming past the first 16 MiB (None: ``berth.defaults()["maxExpansionRatio"]``;
    0 turns it off); both raise TooLargeError. Device nodes are skipped unless
    ``devices`` (root only; created with mode 0600 at most). ``src_creds``,
    ``plain_http``, ``insecure``, ``ca_bundle``, ``mirrors``, ``timeout`` and
    ``stall_timeout`` as for ``copy``.
    """
    c_src = _convert.cstr(src, "src")
    c_dir = _convert.cpath(dir, "dir")
    if c_dir is None:
        raise TypeError("dir must be a path, not None")
    if max_size is None:
        max_size = 0
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
        # NaN and infinity go through: the library refuses them, naming the field.
        ratio = -1.0 if max_expansion_ratio == 0 else float(max_expansion_ratio)
    c_platform = _convert.cstr(platform, "platform", optional=True)
    timeout_ms = seconds_to_ms(timeout, "timeout")
    access = Registry(creds=src_creds, plain_http=plain_http, insecure=insecure,
                      ca_bundle=ca_bundle, stall_timeout=stall_timeout, mirrors=mirrors,
                      what="src")
    opts = ExportOptions()
    check(function("berth_export_options_init")(ctypes.byref(opts), EXPORT_OPTIONS_VERSION))
    opts.src = access.pointer()
    opts.platform = c_platform
    opts.timeout_ms = timeout_ms
    opts.max_total_bytes = max_size
    opts.max_expansion_ratio = ratio
    opts.devices = 1 if devices else 0
    rc = function("berth_export")(c_src, c_dir, ctypes.byref(opts))
    check(rc, access.secrets)


__all__ = ["CopyResult", "Progress", "PullResult", "copy", "copy_result", "export", "index",
           "pull", "push", "replicate", "string_list"]
