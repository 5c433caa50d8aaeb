"""A user's program against the installed berth package, checked with mypy --strict.

It passes only if the package ships py.typed and its public API is annotated: an
untyped function, a missing return type or a result typed Any would fail --strict
here (no-untyped-call, no-any-return, ...). It is also run, in the venv with the
wheel, so every line here really works.
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
from typing import List, Optional

import berth


def sign() -> str:
    signed: berth.SignedRequest = berth.sign_request(
        "GET", "https://example.amazonaws.com/", {}, b"",
        region="us-east-1", service="service",
        access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        timestamp=datetime.datetime(2015, 8, 30, 12, 36, tzinfo=datetime.timezone.utc))
    headers: List[tuple[str, str]] = list(signed.headers)
    assert any(name == "Authorization" for name, _ in headers)
    return signed.signature


def build(work: str) -> berth.BuildResult:
    app = os.path.join(work, "app")
    os.makedirs(app)
    with open(os.path.join(app, "hello.txt"), "w") as f:
        f.write("hello\n")
    return berth.build(output=f"oci:{work}/layout:v1", layers=[f"{app}:/srv"],
                       compression="zstd", entrypoint=["/bin/cat", "/srv/hello.txt"],
                       created=datetime.datetime(2024, 1, 1))


def tags() -> List[str]:
    result: berth.TagResult = berth.tags_compute(
        ["type=semver,pattern={{version}}"],
        context={"event": "push", "ref": "refs/tags/v1.2.3", "sha": "0" * 40,
                 "default_branch": "main", "repository": "octo/app",
                 "server_url": "https://github.com", "created": 1700000000})
    return list(result.tags)


def policy() -> str:
    text: str = berth.lifecycle_policy_shorthand(keep_last=30, expire_untagged_days=7)
    berth.lifecycle_policy_validate(text)
    with_cache: str = berth.lifecycle_policy_with_build_cache(text, days=14)
    berth.lifecycle_policy_validate(with_cache)
    return with_cache


def cache_refused(work: str) -> str:
    """The registry build cache options, refused before anything runs (no registry)."""
    try:
        berth.build_dockerfile(output=f"oci:{work}/cached:v1", context=work,
                               dockerfile_text="FROM scratch\n", state_dir=f"{work}/state",
                               cache_from=["type=registry,ref=127.0.0.1:1/cache"],
                               cache_to="type=gha")
    except berth.UnsupportedError as e:
        return str(e)
    raise AssertionError("cache_to=type=gha was accepted")


def login(work: str) -> bool:
    """A login without the check (no registry), then the logout."""
    path: str = berth.login("registry.example:5000", "user", "pa55", verify=False,
                            config_path=os.path.join(work, "auth.json"), timeout=30.0)
    assert path.endswith("auth.json")
    removed: bool = berth.logout("registry.example:5000", config_path=path)
    return removed


def error_code() -> Optional[int]:
    try:
        berth.lifecycle_policy_validate('{"rules": []}')
    except berth.InvalidArgumentError as e:
        code: Optional[int] = e.code
        return code
    return None


def main() -> int:
    version: str = berth.version()
    abi: int = berth.abi_version()
    where: str = berth.library_path()
    print(f"berth {version} (abi {abi}) from {where}")
    print("signature", sign())
    with tempfile.TemporaryDirectory() as work:
        built = build(work)
        print("built", built.media_type, built.layers_built, built.digest[:7])
        print("cache refused:", cache_refused(work)[:40])
        print("logged out", login(work))
    print("tags", " ".join(tags()))
    print("policy rules", policy().count("rulePriority"))
    print("invalid policy code", error_code())
    return 0


if __name__ == "__main__":
    sys.exit(main())
