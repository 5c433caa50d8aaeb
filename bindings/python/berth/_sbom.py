"""Software bills of materials (berth_sbom).

``sbom`` reads an image's layers as they stream and returns an SPDX 2.3 JSON
document: every file with SHA1 and SHA256, and the dpkg, apk, Python and Go packages
installed, each with its package URL. Files deleted by an upper layer are left out.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
from typing import Any, Dict, Optional, Union

from . import _convert
from ._copy import PathArg
from ._errors import InvalidArgumentError, ProtocolError
from ._lib import SBOM_OPTIONS_VERSION, SbomOptions, check, function, take_string


def sbom(ref: str, *, creds: Optional[str] = None, plain_http: bool = False,
         insecure: bool = False, ca_bundle: Union[PathArg, None] = None,
         platform: Optional[str] = None, created: Optional[str] = None,
         timeout: Optional[float] = None) -> Dict[str, Any]:
    """The SPDX 2.3 document (a dict) describing the image ``ref`` (``docker://REF`` or
    a bare REF, ``oci:DIR[:TAG]``, ``oci-archive:FILE[:TAG]``,
    ``docker-archive:FILE[:REF]``). ``platform`` picks an image of an index
    ("os/arch[/variant]", default linux/amd64); ``created`` sets
    ``creationInfo.created`` (RFC 3339; default SOURCE_DATE_EPOCH, else now); ``timeout``
    limits the whole call (seconds). What could not be read is listed in
    ``creationInfo["comment"]``.

    Raises NotFoundError, AuthError, transfer errors, ProtocolError for a corrupt layer.
    """
    c_ref = _convert.cstr(ref, "ref")
    timeout_ms = 0
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError(f"timeout must be a number of seconds, not {type(timeout).__name__}")
        if not (timeout > 0 and math.isfinite(timeout)):
            raise InvalidArgumentError(f"timeout must be a positive number of seconds, not {timeout}")
        timeout_ms = max(1, int(timeout * 1000))
    opts = SbomOptions()
    check(function("berth_sbom_options_init")(ctypes.byref(opts), SBOM_OPTIONS_VERSION))
    opts.creds = _convert.cstr(creds, "creds", optional=True)
    opts.plain_http = int(bool(plain_http))
    opts.insecure = int(bool(insecure))
    opts.ca_bundle = None if ca_bundle is None else _convert.cstr(os.fspath(ca_bundle), "ca_bundle")
    opts.platform = _convert.cstr(platform, "platform", optional=True)
    opts.created = _convert.cstr(created, "created", optional=True)
    opts.timeout_ms = timeout_ms
    out = ctypes.c_void_p()
    rc = function("berth_sbom")(ctypes.byref(out), c_ref, ctypes.byref(opts))
    raw = take_string(out)  # makes no berth call that would replace the last error
    check(rc, [creds, creds.split(":", 1)[1] if creds and ":" in creds else None])
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise ProtocolError(f"berth_sbom: the reply is not JSON: {e}") from None
    if not isinstance(doc, dict):
        raise ProtocolError("berth_sbom: the reply is not a JSON object")
    return doc
