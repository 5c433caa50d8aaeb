"""berth: Python binding of libberth, a daemonless container-image toolkit.

A thin ctypes layer over the C ABI in include/berth.h; it needs nothing but the
standard library and libberth.so. The library is found, on first use, through
``BERTH_LIBRARY`` (a full path), then a copy next to this package, then the
repository's ``build/libberth.so``, then the system loader; see ``berth._discover``.

Areas: versions, the library's defaults (``defaults()``) and errors, SigV4 signing (``sign_request``), image transfers
(``copy``, ``push``, ``pull``, ``replicate``, ``index``, ``export``), builds (``build``), registry
logins (``login``, ``logout``), AWS: credentials, STS and ECR (``aws_credentials``,
``caller_identity``, ``ecr_login``, ``ecr_docker_login``, ``ecr_call``), inspection (``manifest``, ``inspect``,
``list_tags``, ``catalog``, ``tag``, ``delete_manifest``, ``validate``), signatures
(``sign``, ``verify``, ``attest``), SBOMs (``sbom``) and CI
pipeline steps (``tags_compute``, ``ecr_ensure_repository``, ``lifecycle_policy_*``,
``ecr_lifecycle_preview``, ``ecr_put_lifecycle_policy``, ``ecr_scan_gate``)::

    import berth

    result = berth.copy("oci:/tmp/layout:v1", "docker://registry.example/app:v1",
                        dest_creds="user:password",
                        progress=lambda p: print(p.event, p.digest, p.overall_bytes))
    print(result.digest, result.blobs_copied, result.blobs_skipped)

    login = berth.ecr_login("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
    print(login.username, login.expires_at)     # the repr hides login.password

Each area lives in its own private module and is re-exported here, so a new area
(push, build, ...) is a new module plus a few lines below.
"""

from ._errors import (
    ERROR_CLASSES,
    AbiMismatchError,
    AlreadyExistsError,
    AuthError,
    BerthError,
    BerthIOError,
    BerthLibraryError,
    BerthTimeoutError,
    CancelledError,
    ConfigError,
    DeniedError,
    DigestMismatchError,
    GateFailedError,
    InternalError,
    InvalidArgumentError,
    NetworkError,
    NotFoundError,
    OutOfMemoryError,
    ProtocolError,
    ServerError,
    BuildFailedError,
    ThrottledError,
    TooLargeError,
    UnsafeError,
    UnsupportedError,
    error_class,
)
from ._aws import (AwsCredentials, CallerIdentity, EcrLogin, aws_credentials, caller_identity,
                   ecr_call, ecr_docker_login, ecr_login)
from ._build import Attestation, BuildResult, BuiltLayer, build
from ._cancel import Cancel
from ._dockerfile import build_dockerfile
from ._login import login, logout
from ._copy import CopyResult, Progress, PullResult, copy, export, index, pull, push, replicate
from ._sbom import sbom
from ._sign import attest, sign, verify
from ._inspect import (Descriptor, ImageDetails, Inspection, Manifest, TagImageResult,
                       ValidationFailure, ValidationReport, catalog, delete_manifest, inspect,
                       list_tags, manifest, tag, validate)
from ._lib import ABI_VERSION
from ._pipeline import (TagResult, ecr_ensure_creation_template, ecr_ensure_pull_through_cache,
                        ecr_ensure_repository, ecr_lifecycle_preview,
                        ecr_put_lifecycle_policy, ecr_scan_gate, lifecycle_policy_shorthand,
                        lifecycle_policy_validate, lifecycle_policy_with_build_cache,
                        tags_compute)
from ._runtime import abi_version, defaults, library_path, strerror, version
from ._sigv4 import SignedRequest, sign_request
from ._version import package_version

#: Version of this binding (the library's is ``version()``): CMakeLists.txt's.
__version__ = package_version()

# Tracebacks and pickles name the public module, not the private one that
# happens to define the class.
for _cls in (*ERROR_CLASSES.values(), BerthError, BerthLibraryError, AbiMismatchError,
             SignedRequest, CopyResult, Progress, PullResult, AwsCredentials, CallerIdentity, EcrLogin,
             BuildResult, BuiltLayer, Attestation, TagResult, Descriptor, ImageDetails, Inspection, Manifest,
             TagImageResult, ValidationFailure, ValidationReport):
    _cls.__module__ = __name__
del _cls

__all__ = [
    "ABI_VERSION",
    "ERROR_CLASSES",
    "Attestation",
    "AbiMismatchError",
    "AlreadyExistsError",
    "AuthError",
    "AwsCredentials",
    "BerthError",
    "BerthIOError",
    "BerthLibraryError",
    "BerthTimeoutError",
    "BuildResult",
    "BuiltLayer",
    "CallerIdentity",
    "Cancel",
    "CancelledError",
    "ConfigError",
    "CopyResult",
    "DeniedError",
    "Descriptor",
    "DigestMismatchError",
    "EcrLogin",
    "GateFailedError",
    "ImageDetails",
    "Inspection",
    "InternalError",
    "InvalidArgumentError",
    "Manifest",
    "NetworkError",
    "NotFoundError",
    "OutOfMemoryError",
    "Progress",
    "ProtocolError",
    "PullResult",
    "ServerError",
    "BuildFailedError",
    "SignedRequest",
    "TagImageResult",
    "TagResult",
    "ThrottledError",
    "TooLargeError",
    "UnsafeError",
    "UnsupportedError",
    "ValidationFailure",
    "ValidationReport",
    "abi_version",
    "aws_credentials",
    "build",
    "build_dockerfile",
    "caller_identity",
    "catalog",
    "copy",
    "defaults",
    "delete_manifest",
    "ecr_call",
    "ecr_docker_login",
    "ecr_ensure_creation_template",
    "ecr_ensure_pull_through_cache",
    "ecr_ensure_repository",
    "ecr_lifecycle_preview",
    "ecr_login",
    "ecr_put_lifecycle_policy",
    "ecr_scan_gate",
    "error_class",
    "export",
    "attest",
    "sign",
    "verify",
    "index",
    "inspect",
    "library_path",
    "lifecycle_policy_shorthand",
    "lifecycle_policy_validate",
    "lifecycle_policy_with_build_cache",
    "list_tags",
    "login",
    "logout",
    "manifest",
    "pull",
    "push",
    "replicate",
    "sbom",
    "sign_request",
    "strerror",
    "tag",
    "tags_compute",
    "validate",
    "version",
]
