"""Building images without a daemon through berth_build.

A build stacks layers made from directories or tar files on a base image
("scratch" by default), sets the config (entrypoint, env, labels, ...) and writes
the image to an OCI layout or a registry. This module fills berth_build_options
from keyword arguments, keeps every C array alive for the call and turns the JSON
result into a dataclass.
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import json
import os
from collections.abc import Mapping as _Mapping
from dataclasses import dataclass, field
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union

from . import _convert
from ._copy import ProgressCallback, _Callback, _json_out, _set_strings, _Sides, _warnings
from ._errors import InvalidArgumentError
from ._lib import BUILD_OPTIONS_VERSION, BuildOptions, check, function
from ._registry import jobs_value, string_list

PathArg = Union[str, "os.PathLike[str]"]
_INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class BuiltLayer:
    """One layer the build made: ``digest`` of the compressed blob, ``diff_id`` of the
    tar, ``size`` of the blob, ``cached`` when it came from ``cache_dir``."""

    digest: str
    diff_id: str
    size: int
    cached: bool


@dataclass(frozen=True)
class Attestation:
    """An attestation attached to the built image: its ``predicate_type``, whether it
    is ``signed`` (cosign DSSE) or an unsigned OCI referrer, where it lives and its
    manifest's digest."""

    predicate_type: str
    signed: bool
    location: str
    digest: str


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote.

    ``digest`` is the image manifest's, ``config_digest`` its config's.
    ``layers_built`` counts the new layers (built or taken from the cache),
    ``layers_cached`` those of them reused from ``cache_dir``; ``layers`` describes
    each. ``base_name``/``base_digest`` name a registry base (``base_mirror`` the
    mirror it was read through), None otherwise. ``attestations`` are the SBOM and
    provenance attached, ``warnings`` what was left out. ``seconds`` is how long the
    build took; it does not take part in ``==``.
    """

    digest: str
    config_digest: str
    media_type: str
    layers_built: int
    layers_cached: int
    layers: Tuple[BuiltLayer, ...] = ()
    base_name: Optional[str] = None
    base_digest: Optional[str] = None
    base_mirror: Optional[str] = None
    attestations: Tuple[Attestation, ...] = ()
    warnings: Tuple[str, ...] = ()
    seconds: float = field(default=0.0, compare=False)


def _build_result(d: Mapping[str, Any]) -> BuildResult:
    config = d.get("config")
    config_digest = config.get("digest", "") if isinstance(config, Mapping) else config
    layers = tuple(BuiltLayer(digest=str(x.get("digest", "")), diff_id=str(x.get("diffID", "")),
                              size=int(x.get("size", 0)), cached=bool(x.get("cached")))
                   for x in d.get("layers") or ())
    attestations = tuple(
        Attestation(predicate_type=str(a.get("predicateType", "")), signed=bool(a.get("signed")),
                    location=str(a.get("location", "")), digest=str(a.get("digest", "")))
        for a in d.get("attestations") or ())
    return BuildResult(
        digest=str(d.get("digest", "")), config_digest=str(config_digest or ""),
        media_type=str(d.get("mediaType", "")), layers_built=len(layers),
        layers_cached=sum(1 for x in layers if x.cached), layers=layers,
        base_name=d.get("baseName") or None, base_digest=d.get("baseDigest") or None,
        base_mirror=d.get("baseMirror") or None, attestations=attestations,
        warnings=_warnings(d.get("warnings")), seconds=float(d.get("seconds") or 0.0))


def _key_values(values: Union[Mapping[str, str], Iterable[str], None], what: str) -> List[bytes]:
    """A mapping (or "K=V" strings) as "K=V" C strings."""
    if values is None:
        return []
    if isinstance(values, _Mapping):
        out = []
        for k, v in values.items():
            if not isinstance(k, str) or not k or "=" in k:
                raise InvalidArgumentError(f"{what} keys must be non-empty str without '=', "
                                           f"not {k!r}")
            if not isinstance(v, str):
                raise TypeError(f"{what}[{k!r}] must be str, not {type(v).__name__}")
            out.append(_convert.cstr(f"{k}={v}", f"{what}[{k!r}]"))
        return out
    return string_list(values, what)


def _json_array(value: Optional[Sequence[str]], what: str) -> Optional[bytes]:
    """A list of str as a JSON array (None inherits the base image's)."""
    if value is None:
        return None
    items = [v.decode("utf-8") for v in string_list(value, what)]
    return json.dumps(items).encode("utf-8")


def _created(value: Union[_dt.datetime, int, None]) -> int:
    """berth_build_options.created: -1 (unset: SOURCE_DATE_EPOCH or now) for None;
    0 is the epoch itself, as reproducible builds use."""
    if value is None:
        return -1
    if isinstance(value, _dt.datetime):
        when = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
        seconds = int(when.timestamp() // 1)
    else:
        seconds = _convert.as_int(value, "created")
    if seconds < 0:
        raise InvalidArgumentError("created must not be before 1970-01-01T00:00:00Z")
    return seconds


def build(
    *,
    output: str,
    from_: str = "scratch",
    layers: Iterable[Union[str, "os.PathLike[str]"]] = (),
    compression: Optional[str] = None,
    level: int = -1,
    entrypoint: Optional[Sequence[str]] = None,
    cmd: Optional[Sequence[str]] = None,
    env: Union[Mapping[str, str], Iterable[str]] = (),
    labels: Union[Mapping[str, str], Iterable[str]] = {},  # noqa: B006 - never mutated
    annotations: Union[Mapping[str, str], Iterable[str]] = {},  # noqa: B006
    workdir: Optional[str] = None,
    user: Optional[str] = None,
    expose: Iterable[str] = (),
    platform: Optional[str] = None,
    created: Union[_dt.datetime, int, None] = None,
    extra_tags: Iterable[str] = (),
    cache_dir: Union[PathArg, None] = None,
    cache_key: Optional[str] = None,
    src_creds: Optional[str] = None,
    dest_creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    jobs: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    mirrors: Iterable[str] = (),
    stall_timeout: Optional[float] = None,
    chunk_size: Optional[int] = 0,
    sbom: bool = False,
    provenance: bool = False,
    sign_key: Union[PathArg, None] = None,
    sign_key_password: Optional[str] = None,
    builder_id: Optional[str] = None,
) -> BuildResult:
    """Builds an image and writes it to ``output`` (``"oci:DIR[:TAG]"`` or ``"docker://REF"``).

    ``from_`` is the base: ``"scratch"``, ``"docker://REF"`` (or a bare REF) or
    ``"oci:DIR[:TAG]"``. Each of ``layers`` is a directory (its content at ``/``),
    ``"DIR:/dest"`` or a tar file, one layer each, compressed with ``compression``
    ("gzip", the default, "zstd" or "none") at ``level`` (-1: the default).

    ``entrypoint`` and ``cmd`` are lists (None inherits the base's); ``env``,
    ``labels`` and ``annotations`` (on the manifest) are mappings or "K=V" strings;
    ``expose`` lists ports ("8080", "53/udp"). ``created`` (a datetime, naive ones
    taken as UTC, or seconds since the epoch) fixes the image's time, so that the
    same inputs give the same digest; 0 is the epoch itself (1970-01-01T00:00:00Z);
    None means SOURCE_DATE_EPOCH or now. ``platform`` None takes the base's, else the
    library's default (``berth.defaults()["platform"]``). ``extra_tags`` tags the
    output more than once. ``cache_dir`` keeps built layers keyed by ``cache_key``
    ("metadata", the default: paths, sizes and mtimes; "content": hashes).

    ``src_creds``/``dest_creds`` are "USER:PASSWORD" for the base's and the output's
    registry; ``plain_http``, ``insecure``, ``ca_bundle`` and ``stall_timeout`` apply
    to both, ``chunk_size`` to the output. ``jobs`` (None: the library's default,
    ``berth.defaults()["jobs"]``) and ``progress`` are as for ``copy``. ``mirrors`` ("SRC_REGISTRY=HOST[/PREFIX]")
    read a registry base through a mirror or ECR pull-through cache, as for ``copy``;
    a registry base is recorded in OCI manifests as the
    org.opencontainers.image.base.name / .base.digest annotations.

    ``sbom`` and ``provenance`` attach the built image's SPDX 2.3 SBOM and SLSA
    provenance v1 to it (a registry or ``oci:`` output) as in-toto statements, as
    ``berth build --sbom --provenance`` does: signed with the cosign key file
    ``sign_key`` (password ``sign_key_password``, as ``sign`` takes it; None for
    none) where ``cosign verify-attestation`` finds them, else unsigned OCI
    referrers. ``builder_id`` names the builder in the provenance.

    Raises InvalidArgumentError (bad option, missing layer source), NotFoundError
    (the base), and the transfer errors of ``copy``.
    """
    c_output = _convert.cstr(output, "output")
    c_from = _convert.cstr(from_, "from_")
    c_layers = [_convert.cpath(layer, f"layers[{i}]")
                for i, layer in enumerate(_as_list(layers, "layers"))]
    c_env = _key_values(env, "env")
    c_labels = _key_values(labels, "labels")
    c_annotations = _key_values(annotations, "annotations")
    c_expose = string_list(expose, "expose")
    c_tags = string_list(extra_tags, "extra_tags")
    level = _convert.as_int(level, "level")
    c_jobs = jobs_value(jobs)
    if not -1 <= level <= _INT32_MAX:
        raise InvalidArgumentError(f"level must be -1 (the default) or more, not {level}")
    c_created = _created(created)

    c_sign_key = _convert.cpath(sign_key, "sign_key")
    c_sign_password = _convert.cstr(sign_key_password, "sign_key_password", optional=True)
    c_builder_id = _convert.cstr(builder_id, "builder_id", optional=True)
    attest = bool(sbom) or bool(provenance)
    if (c_sign_key or c_builder_id) and not attest:
        raise InvalidArgumentError("sign_key and builder_id go with sbom or provenance")
    sides = _Sides(src_creds=src_creds, dest_creds=dest_creds, plain_http=plain_http,
                   insecure=insecure, ca_bundle=ca_bundle, stall_timeout=stall_timeout,
                   chunk_size=chunk_size, mirrors=mirrors)
    callback = _Callback.of(progress)

    opts = BuildOptions()
    check(function("berth_build_options_init")(ctypes.byref(opts), BUILD_OPTIONS_VERSION))
    opts.sbom = int(bool(sbom))
    opts.provenance = int(bool(provenance))
    opts.sign_key = c_sign_key
    opts.sign_key_password = c_sign_password
    opts.builder_id = c_builder_id
    setattr(opts, "from", c_from)
    opts.compression = _convert.cstr(compression, "compression", optional=True)
    opts.level = level
    opts.entrypoint_json = _json_array(entrypoint, "entrypoint")
    opts.cmd_json = _json_array(cmd, "cmd")
    opts.workdir = _convert.cstr(workdir, "workdir", optional=True)
    opts.user = _convert.cstr(user, "user", optional=True)
    opts.platform = _convert.cstr(platform, "platform", optional=True)
    opts.created = c_created
    opts.output = c_output
    opts.cache_dir = _convert.cpath(cache_dir, "cache_dir")
    opts.cache_key = _convert.cstr(cache_key, "cache_key", optional=True)
    opts.src = sides.src.pointer()
    opts.dst = sides.dst.pointer()
    opts.jobs = c_jobs

    # The arrays (and the bytes they point to) must outlive berth_build: held here.
    keep: List[Any] = []
    for name, values in (("layers", c_layers), ("env", c_env), ("labels", c_labels),
                         ("annotations", c_annotations), ("expose", c_expose),
                         ("extra_tags", c_tags)):
        _set_strings(opts, name, values, keep)

    if callback is not None:
        opts.progress = callback.c_fn

    def finish(rc: int) -> None:
        if callback is not None:
            callback.reraise()
        check(rc, sides.secrets + [sign_key_password or None])

    out = ctypes.c_void_p()
    rc = function("berth_build")(ctypes.byref(out), ctypes.byref(opts))
    del keep
    return _build_result(_json_out("berth_build", rc, out, finish))


_T = TypeVar("_T")


def _as_list(values: Iterable[_T], what: str) -> List[_T]:
    if isinstance(values, (str, bytes, os.PathLike)):
        raise TypeError(f"{what} must be a list, not a single {type(values).__name__}")
    return list(values)


__all__ = ["Attestation", "BuildResult", "BuiltLayer", "build"]
