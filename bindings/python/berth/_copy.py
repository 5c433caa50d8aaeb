"""Copying images through berth_copy: registries (docker://) and OCI layouts (oci:).

The copy itself is libberth's; this module fills berth_copy_options, adapts a Python
callable to berth_progress_fn and turns berth_copy_result into a dataclass.

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
from typing import Callable, List, Optional, Union

from . import _convert
from ._errors import InvalidArgumentError
from ._lib import (COPY_OPTIONS_VERSION, PROGRESS_EVENTS, CopyOptions, ProgressFn, check, function)
from ._lib import CopyResult as _CCopyResult

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
    read, so it is not final before the last blob starts).
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

    ``digest`` and ``media_type`` describe the top manifest or index written (the
    same digest the source has: berth copies manifests byte for byte).
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


def _path(value: Union[str, "os.PathLike[str]", None], what: str) -> Optional[bytes]:
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    return _convert.cstr(value, what)


def _password(creds: Optional[str]) -> Optional[str]:
    # "USER:PASS": the password alone may also be echoed (e.g. in a URL).
    if isinstance(creds, str) and ":" in creds:
        return creds.split(":", 1)[1]
    return None


class _Callback:
    """Adapts a Python callable to berth_progress_fn and keeps what it raised."""

    def __init__(self, fn: ProgressCallback) -> None:
        self.fn = fn
        self.error: Optional[BaseException] = None
        # The ctypes thunk must outlive the berth_copy call: berth keeps calling it
        # until the call returns. Held here, and `copy` holds self.
        self.c_fn = ProgressFn(self._call)

    def _call(self, info_p, _user_data) -> int:
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
    ca_bundle: Union[str, "os.PathLike[str]", None] = None,
    platform: Optional[str] = None,
    jobs: int = 4,
    progress: Optional[ProgressCallback] = None,
) -> CopyResult:
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
    that image of an index; by default the whole index is copied.

    ``progress(Progress)`` is called from berth's worker threads, one call at a time;
    a truthy return cancels the copy with ``CancelledError``. An exception raised in
    it also cancels the copy and is re-raised here once berth has stopped.

    Raises InvalidArgumentError (bad reference or option), NotFoundError, AuthError,
    DeniedError, NetworkError, DigestMismatchError, CancelledError, ... The GIL is
    released while the copy runs.
    """
    c_src = _convert.cstr(src, "src")
    c_dst = _convert.cstr(dst, "dst")
    jobs = _convert.as_int(jobs, "jobs")
    if not 1 <= jobs <= _INT32_MAX:
        raise InvalidArgumentError(f"jobs must be at least 1, not {jobs}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable, not {type(progress).__name__}")

    init, berth_copy = function("berth_copy_options_init"), function("berth_copy")
    opts = CopyOptions()
    check(init(ctypes.byref(opts), COPY_OPTIONS_VERSION))
    opts.src_creds = _convert.cstr(src_creds, "src_creds", optional=True)
    opts.dst_creds = _convert.cstr(dest_creds, "dest_creds", optional=True)
    opts.src_plain_http = _flag(plain_http, src_plain_http)
    opts.dst_plain_http = _flag(plain_http, dest_plain_http)
    opts.src_insecure = _flag(insecure, src_insecure)
    opts.dst_insecure = _flag(insecure, dest_insecure)
    opts.src_ca_bundle = opts.dst_ca_bundle = _path(ca_bundle, "ca_bundle")
    opts.platform = _convert.cstr(platform, "platform", optional=True)
    opts.jobs = jobs

    callback = _Callback(progress) if progress is not None else None
    if callback is not None:
        opts.progress = callback.c_fn

    out = _CCopyResult()
    rc = berth_copy(c_src, c_dst, ctypes.byref(opts), ctypes.byref(out))
    if callback is not None and callback.error is not None:
        error, callback.error = callback.error, None
        try:
            raise error  # the callback's own traceback, then this frame
        finally:
            del error  # no cycle through this frame
    secrets: List[Optional[str]] = [src_creds, dest_creds, _password(src_creds),
                                    _password(dest_creds)]
    check(rc, secrets)
    return CopyResult(
        digest=out.digest.decode("utf-8", errors="replace"),
        media_type=out.media_type.decode("utf-8", errors="replace"),
        bytes_copied=int(out.bytes_copied),
        blobs_copied=int(out.blobs_copied),
        blobs_skipped=int(out.blobs_skipped),
        blobs_mounted=int(out.blobs_mounted),
        manifests=int(out.manifests),
    )


__all__ = ["CopyResult", "Progress", "copy"]
