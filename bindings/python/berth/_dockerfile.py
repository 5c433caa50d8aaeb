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
from ._errors import InvalidArgumentError
from ._lib import DOCKERFILE_OPTIONS_VERSION, DockerfileOptions, LogFn, check, function
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
    never reaches the image, its history or the log. The other arguments are
    ``build``'s.

    Raises BuildFailedError when a RUN fails (its line, exit code and the end of its
    output in the message; nothing is stored), NotFoundError for a missing context,
    Dockerfile or base, InvalidArgumentError for a malformed Dockerfile or option.
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
    opts = DockerfileOptions()
    init = function("berth_dockerfile_options_init")
    rc = init(ctypes.byref(opts), DOCKERFILE_OPTIONS_VERSION)
    if rc != 0 and not c_secrets:
        # A library older than this binding: version 1 holds every field this call uses.
        rc = init(ctypes.byref(opts), 1)
    check(rc)
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
                         ("extra_tags", c_tags), ("secrets", c_secrets)):
        _set_strings(opts, name, values, keep)
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
