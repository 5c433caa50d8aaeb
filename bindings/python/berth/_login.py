"""docker login / docker logout for any registry (berth_registry_login / berth_registry_logout).

``login`` checks the credentials against the registry (its ``/v2/``, as ``docker
login`` does), then writes them where docker, skopeo and berth read them:
``config_path``, else ``$REGISTRY_AUTH_FILE``, else ``$DOCKER_CONFIG/config.json``,
else ``~/.docker/config.json`` — atomically, keeping the file's other entries, a new
file with mode 0600. ``logout`` removes them again. An ECR registry needs no stored
password (berth gets a token from the AWS credentials); ``ecr_docker_login`` writes
one for other tools.
"""

from __future__ import annotations

import base64
import ctypes
from typing import List, Optional, Union

from . import _convert
from ._copy import PathArg, _json_out
from ._errors import InvalidArgumentError, ProtocolError
from ._lib import LOGIN_OPTIONS_VERSION, LoginOptions, check, function
from ._registry import Registry, positive_seconds_to_ms


def _required(value: str, what: str) -> bytes:
    c_value = _convert.cstr(value, what)
    if not c_value:
        raise InvalidArgumentError(f"{what} must not be empty")
    return c_value


def login(
    registry: str,
    username: str,
    password: str,
    *,
    config_path: Union[PathArg, None] = None,
    verify: bool = True,
    plain_http: bool = False,
    insecure: bool = False,
    ca_bundle: Union[PathArg, None] = None,
    stall_timeout: Optional[float] = None,
    timeout: Optional[float] = None,
) -> str:
    """Logs in to ``registry`` ("HOST[:PORT]") as ``docker login`` does and returns the
    path of the file written.

    With ``verify`` (the default) the registry's ``/v2/`` is asked with ``username``
    and ``password`` first (a token registry exchanges them for a token); the
    ``auths`` entry ``{"auth": base64("USERNAME:PASSWORD")}`` then replaces any entry
    for the same registry. ``plain_http``, ``insecure`` (no TLS verification),
    ``ca_bundle`` (a PEM file of extra CAs) and ``stall_timeout`` say how to reach the
    registry for the check, ``timeout`` (seconds) bounds it.

    Raises AuthError when the registry refuses the credentials (nothing is written),
    InvalidArgumentError for an empty registry, username or password (or a username
    holding ':'), NetworkError/BerthTimeoutError when the registry cannot be reached,
    ConfigError when the file is not JSON; UnsupportedError when the loaded libberth
    predates this call. The password is in no error's text.
    """
    fn = function("berth_registry_login")
    if not isinstance(verify, bool):
        raise TypeError(f"verify must be bool, not {type(verify).__name__}")
    c_password = _required(password, "password")
    secrets: List[Optional[str]] = [password]
    c_registry = _required(registry, "registry")
    c_username = _required(username, "username")
    # The file's form of the secret, should a message ever quote the file.
    secrets.append(base64.b64encode(c_username + b":" + c_password).decode("ascii"))
    c_config = _convert.cpath(config_path, "config_path")
    access = Registry(plain_http=plain_http, insecure=insecure, ca_bundle=ca_bundle,
                      stall_timeout=stall_timeout)
    opts = LoginOptions()
    check(function("berth_login_options_init")(ctypes.byref(opts), LOGIN_OPTIONS_VERSION))
    opts.registry = access.pointer()
    opts.no_verify = 0 if verify else 1
    opts.timeout_ms = positive_seconds_to_ms(timeout, "timeout")
    out = ctypes.c_void_p()
    rc = fn(ctypes.byref(out), c_registry, c_username, c_password, c_config, ctypes.byref(opts))
    d = _json_out("berth_registry_login", rc, out, lambda rc: check(rc, secrets))
    return str(d.get("path", ""))


def logout(registry: str, *, config_path: Union[PathArg, None] = None) -> bool:
    """Logs out of ``registry`` as ``docker logout`` does: removes its entries (every
    spelling of its key) from the file ``login`` writes (``config_path``, else the
    same default). Returns whether there were any. Reaches no registry.

    Raises InvalidArgumentError for an empty registry, ConfigError when the file is not
    JSON; UnsupportedError when the loaded libberth predates this call.
    """
    fn = function("berth_registry_logout")
    c_registry = _required(registry, "registry")
    c_config = _convert.cpath(config_path, "config_path")
    out = ctypes.c_void_p()
    rc = fn(ctypes.byref(out), c_registry, c_config)
    d = _json_out("berth_registry_logout", rc, out, check)
    removed = d.get("removed")
    if not isinstance(removed, bool):
        raise ProtocolError("berth_registry_logout: the reply has no boolean \"removed\"")
    return removed


__all__ = ["login", "logout"]
