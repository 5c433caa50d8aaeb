"""Software bills of materials (berth_sbom).

``sbom`` reads an image's layers as they stream and returns an SPDX 2.3 JSON
document: every file with SHA1 and SHA256, and the dpkg, apk, Python and Go packages
installed, each with its package URL. Files deleted by an upper layer are left out.
"""

from __future__ import annotations

import ctypes
from typing import Any, Dict, Iterable, Optional, Union

from . import _convert
from ._copy import PathArg
from ._lib import SBOM_OPTIONS_VERSION, SbomOptions, check, function, parse_json, take_string
from ._registry import Registry, positive_seconds_to_ms


def sbom(ref: str, *, creds: Optional[str] = None, plain_http: bool = False,
         insecure: bool = False, ca_bundle: Union[PathArg, None] = None,
         platform: Optional[str] = None, created: Optional[str] = None,
         timeout: Optional[float] = None, stall_timeout: Optional[float] = None,
         mirrors: Iterable[str] = ()) -> Dict[str, Any]:
    """The SPDX 2.3 document (a dict) describing the image ``ref`` (``docker://REF`` or
    a bare REF, ``oci:DIR[:TAG]``, ``oci-archive:FILE[:TAG]``,
    ``docker-archive:FILE[:REF]``). ``platform`` picks an image of an index
    ("os/arch[/variant]"; None: the library's default, ``berth.defaults()["platform"]``);
    ``created`` sets ``creationInfo.created`` (RFC 3339; default SOURCE_DATE_EPOCH,
    else now); ``timeout`` limits the whole call (seconds). ``creds``,
    ``plain_http``, ``insecure``, ``ca_bundle``, ``stall_timeout`` and ``mirrors``
    reach the registry as for ``inspect``. What could not be read is listed in
    ``creationInfo["comment"]``.

    Raises NotFoundError, AuthError, transfer errors, ProtocolError for a corrupt layer.
    """
    c_ref = _convert.cstr(ref, "ref")
    timeout_ms = positive_seconds_to_ms(timeout, "timeout")
    c_platform = _convert.cstr(platform, "platform", optional=True)
    c_created = _convert.cstr(created, "created", optional=True)
    access = Registry(creds=creds, plain_http=plain_http, insecure=insecure, ca_bundle=ca_bundle,
                      stall_timeout=stall_timeout, mirrors=mirrors)
    opts = SbomOptions()
    check(function("berth_sbom_options_init")(ctypes.byref(opts), SBOM_OPTIONS_VERSION))
    opts.registry = access.pointer()
    opts.platform = c_platform
    opts.created = c_created
    opts.timeout_ms = timeout_ms
    out = ctypes.c_void_p()
    rc = function("berth_sbom")(ctypes.byref(out), c_ref, ctypes.byref(opts))
    raw = take_string(out)  # makes no berth call that would replace the last error
    check(rc, access.secrets)
    return parse_json("berth_sbom", raw)
