"""Dockerfile builds without a daemon through berth_build_dockerfile.

BuildKit's Dockerfile semantics; each RUN in a sandbox the library makes itself
(namespaces and overlayfs, rootless when the process is not root); base layers
unpacked once and every step cached under ``state_dir``. The result is the same
``BuildResult`` as ``build``'s.
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import os
from typing import Any, Callable, Iterable, List, Mapping, Optional, Union

from . import _convert
from ._build import BuildResult, PathArg, _build_result, _created, _key_values
from ._copy import ProgressCallback, _Callback, _json_out, _set_strings, _Sides
from ._errors import InvalidArgumentError, UnsupportedError
from ._lib import (DOCKERFILE_OPTIONS_VERSION, DockerfileOptions, LogFn, check, function, lib,
                   loaded_path, text)
from ._registry import jobs_value, string_list

#: Receives the steps as they start ("#3 RUN make") and what RUN steps print, as text
#: (not split into lines). It is outside text: neutralise it before a CI log shows it.
LogCallback = Callable[[str], None]


class _Log:
    """A berth_log_fn around a Python callable; what it raises is raised after the call."""

    def __init__(self, fn: LogCallback) -> None:
        self.error: Optional[BaseException] = None

        def call(text: Any, size: int, _user: Any) -> None:
            if self.error is not None:
                return
            try:
                fn(ctypes.string_at(text, size).decode("utf-8", "replace"))
            except BaseException as e:  # noqa: BLE001 - re-raised after the call
                self.error = e

        self.c_fn = LogFn(call)


#: What each version of berth_dockerfile_options added, for the refusal of a call that
#: needs it when the loaded libberth is older.
_ADDED_IN = {2: "secrets", 3: "cache_from and cache_to"}


def _init_options(opts: DockerfileOptions, needs: int) -> None:
    """Initialises ``opts`` as the newest version the loaded libberth knows, down to
    ``needs`` (the oldest holding every field the call sets): a library older than
    this binding refuses the newer versions, and reads only its own version's fields.
    """
    init = function("berth_dockerfile_options_init")
    rc = 0
    for version in range(DOCKERFILE_OPTIONS_VERSION, needs - 1, -1):
        rc = init(ctypes.byref(opts), version)
        if rc == 0:
            return
    if needs > 1:
        raise UnsupportedError(
            f"{_ADDED_IN[needs]} need berth_dockerfile_options version {needs}, which the "
            f"loaded libberth ({loaded_path()}, version {_runtime_version()}) does not "
            f"know; install a newer libberth")
    check(rc)


def _runtime_version() -> str:
    return text(lib().berth_version_string())


def build_dockerfile(
    *,
    output: str,
    context: PathArg = ".",
    dockerfile: Union[PathArg, None] = None,
    dockerfile_text: Optional[str] = None,
    build_args: Union[Mapping[str, str], Iterable[str]] = {},  # noqa: B006 - never mutated
    target: Optional[str] = None,
    labels: Union[Mapping[str, str], Iterable[str]] = {},  # noqa: B006
    platform: Optional[str] = None,
    network: str = "host",
    state_dir: Union[PathArg, None] = None,
    no_cache: bool = False,
    compression: Optional[str] = None,
    level: int = -1,
    created: Union[_dt.datetime, int, None] = None,
    extra_tags: Iterable[str] = (),
    src_creds: Optional[str] = None,
    dest_creds: Optional[str] = None,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    mirrors: Iterable[str] = (),
    jobs: Optional[int] = None,
    progress: Optional[ProgressCallback] = None,
    log: Optional[LogCallback] = None,
    sbom: bool = False,
    provenance: bool = False,
    sign_key: Union[PathArg, None] = None,
    sign_key_password: Optional[str] = None,
    builder_id: Optional[str] = None,
    secrets: Iterable[str] = (),
    cache_from: Iterable[str] = (),
    cache_to: Optional[str] = None,
) -> BuildResult:
    """Builds a Dockerfile's target stage and writes it to ``output`` (as ``build``).

    ``context`` is the directory COPY and ADD read (its .dockerignore, or
    "<dockerfile>.dockerignore", leaves files out); ``dockerfile`` its path (None:
    ``context``/Dockerfile) or ``dockerfile_text`` the Dockerfile itself.
    ``build_args`` set the Dockerfile's ARGs, ``target`` picks a stage (None: the
    last), ``labels`` are added to the image's. ``network`` is what RUN sees: "host"
    or "none". ``state_dir`` keeps unpacked base layers and the step cache (None:
    ~/.cache/berth); ``no_cache`` runs every step again. ``log`` receives the steps
    and RUN output. ``secrets`` are for RUN --mount=type=secret, each
    "id=ID[,src=FILE|,env=VAR]" (with neither, the environment variable ID); a secret
    never reaches the image, its history or the log.

    ``cache_from`` and ``cache_to`` are build caches in registries, buildx's form, for
    CI runners that start with an empty ``state_dir``: each ``cache_from`` is
    "type=registry,ref=REPO[:TAG]" (or a bare "REPO[:TAG]"; the tag defaults to
    "buildcache"), and a step found there runs no more; a missing, unreadable or
    expired cache is a warning in the log and a miss, never an error. ``cache_to``,
    "type=registry,ref=REPO[:TAG][,mode=min|max][,ignore-error=true]", is replaced
    after the build with the steps it used (min, the default: the final image's; max:
    every stage's). Both use the destination's credentials (``dest_creds``,
    ``plain_http``...). Another type (gha, local, s3) raises UnsupportedError, a spec
    without ref= InvalidArgumentError, before anything runs. The other arguments are
    ``build``'s.

    Raises BuildFailedError when a RUN fails (its line, exit code and the end of its
    output in the message; nothing is stored), NotFoundError for a missing context,
    Dockerfile or base, InvalidArgumentError for a malformed Dockerfile or option,
    UnsupportedError for secrets or cache options the loaded libberth is too old for.
    """
    c_output = _convert.cstr(output, "output")
    c_context = _convert.cpath(context, "context")
    c_dockerfile = _convert.cpath(dockerfile, "dockerfile")
    c_text = _convert.cstr(dockerfile_text, "dockerfile_text", optional=True)
    c_args = _key_values(build_args, "build_args")
    c_labels = _key_values(labels, "labels")
    c_tags = string_list(extra_tags, "extra_tags")
    if network not in ("host", "none"):
        raise InvalidArgumentError(f"network is 'host' or 'none', not {network!r}")
    level = _convert.as_int(level, "level")
    c_sign_key = _convert.cpath(sign_key, "sign_key")
    c_builder_id = _convert.cstr(builder_id, "builder_id", optional=True)
    if (c_sign_key or c_builder_id) and not (sbom or provenance):
        raise InvalidArgumentError("sign_key and builder_id go with sbom or provenance")
    sides = _Sides(src_creds=src_creds, dest_creds=dest_creds, plain_http=plain_http,
                   insecure=insecure, ca_bundle=ca_bundle, mirrors=mirrors)
    callback = _Callback.of(progress)
    logger = _Log(log) if log is not None else None

    c_secrets = string_list(secrets, "secrets")
    c_cache_from = string_list(cache_from, "cache_from")
    c_cache_to = _convert.cstr(cache_to, "cache_to", optional=True)
    opts = DockerfileOptions()
    _init_options(opts, needs=3 if c_cache_from or c_cache_to else 2 if c_secrets else 1)
    opts.context = c_context
    opts.dockerfile = c_dockerfile
    opts.dockerfile_text = c_text
    opts.target = _convert.cstr(target, "target", optional=True)
    opts.platform = _convert.cstr(platform, "platform", optional=True)
    opts.network = network.encode()
    opts.state_dir = _convert.cpath(state_dir, "state_dir")
    opts.no_cache = int(bool(no_cache))
    opts.compression = _convert.cstr(compression, "compression", optional=True)
    opts.level = level
    opts.created = _created(created)
    opts.output = c_output
    opts.src = sides.src.pointer()
    opts.dst = sides.dst.pointer()
    opts.jobs = jobs_value(jobs)
    opts.sbom = int(bool(sbom))
    opts.provenance = int(bool(provenance))
    opts.sign_key = c_sign_key
    opts.sign_key_password = _convert.cstr(sign_key_password, "sign_key_password",
                                           optional=True)
    opts.builder_id = c_builder_id
    keep: List[Any] = []
    for name, values in (("build_args", c_args), ("labels", c_labels),
                         ("extra_tags", c_tags), ("secrets", c_secrets),
                         ("cache_from", c_cache_from)):
        _set_strings(opts, name, values, keep)
    opts.cache_to = c_cache_to
    if callback is not None:
        opts.progress = callback.c_fn
    if logger is not None:
        opts.log = logger.c_fn

    def finish(rc: int) -> None:
        if callback is not None:
            callback.reraise()
        if logger is not None and logger.error is not None:
            raise logger.error
        check(rc, sides.secrets + [sign_key_password or None])

    out = ctypes.c_void_p()
    rc = function("berth_build_dockerfile")(ctypes.byref(out), ctypes.byref(opts))
    del keep
    return _build_result(_json_out("berth_build_dockerfile", rc, out, finish))


__all__ = ["LogCallback", "build_dockerfile"]
