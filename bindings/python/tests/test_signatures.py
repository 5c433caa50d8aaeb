"""Every public function declares its keyword arguments, typed: an IDE completes
them, mypy checks them, and a typo is Python's own TypeError naming the function
(not an internal class's __init__). The declarations repeated across functions
(copy's options, the registry options, the AWS options) are checked against the one
place that fills the C struct from them. No library call is made."""

from __future__ import annotations

import inspect
import typing

import pytest

import berth
from berth import _aws, _copy, _inspect, _sign

PUBLIC = [getattr(berth, n) for n in berth.__all__
          if inspect.isfunction(getattr(berth, n))]


def test_there_are_public_functions_to_check():
    names = {f.__name__ for f in PUBLIC}
    assert {"copy", "push", "pull", "replicate", "index", "inspect", "validate", "verify",
            "ecr_login", "ecr_scan_gate"} <= names


@pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__name__)
def test_no_catch_all_arguments_and_every_parameter_typed(fn):
    sig = inspect.signature(fn)
    for p in sig.parameters.values():
        assert p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL), f"{fn.__name__}(**{p.name})"
        assert p.annotation is not p.empty, f"{fn.__name__}: {p.name} has no type"
    assert sig.return_annotation is not sig.empty, fn.__name__
    assert fn.__doc__ and fn.__doc__.strip(), fn.__name__
    # The annotations resolve (an IDE and typing.get_type_hints see real types).
    typing.get_type_hints(fn)


@pytest.mark.parametrize("call, name", [
    (lambda: berth.push("oci:/nowhere:v1", "registry.example/app:v1", platfrom="linux/amd64"),
     "push"),
    (lambda: berth.copy("oci:/nowhere:v1", "oci:/elsewhere:v1", dest_cred="u:p"), "copy"),
    (lambda: berth.pull("registry.example/app:v1", "out.tar", verifykey="k.pub"), "pull"),
    (lambda: berth.replicate("oci:/nowhere:v1", ["oci:/a:v1"], extra_tag=["x"]), "replicate"),
    (lambda: berth.index(["oci:/nowhere:v1"], "oci:/a:v1", annotation={}), "index"),
    (lambda: berth.inspect("registry.example/app:v1", platfrom="linux/arm64"), "inspect"),
    (lambda: berth.validate("registry.example/app:v1", job=2), "validate"),
    (lambda: berth.tag("registry.example/app:v1", ["v2"], cred="u:p"), "tag"),
    (lambda: berth.verify("registry.example/app:v1", "k.pub", cred="u:p"), "verify"),
    (lambda: berth.sign("registry.example/app:v1", "k.key", passwd="x"), "sign"),
    (lambda: berth.ecr_login(regoin="us-east-1"), "ecr_login"),
    (lambda: berth.ecr_scan_gate("repo", "v1", maximum=3), "ecr_scan_gate"),
])
def test_a_typo_is_python_s_own_type_error(call, name):
    with pytest.raises(TypeError) as e:
        call()
    message = str(e.value)
    assert message.startswith(f"{name}() got an unexpected keyword argument '"), message
    assert "_Options" not in message and "__init__" not in message and "_Call" not in message


def _keyword_only(fn):
    return {p.name: p for p in inspect.signature(fn).parameters.values()
            if p.kind is p.KEYWORD_ONLY}


def _same(declared, fn, names):
    """fn declares each of names as `declared` does: kind, default and type."""
    mine = _keyword_only(fn)
    hints, theirs = typing.get_type_hints(fn), typing.get_type_hints(declared)
    for name in names:
        assert name in mine, f"{fn.__name__} lacks {name}"
        assert mine[name].default == _keyword_only(declared)[name].default, (fn.__name__, name)
        assert hints[name] == theirs[name], (fn.__name__, name)


def test_copy_family_declares_copy_s_options_as_the_struct_filler_takes_them():
    options = set(_keyword_only(_copy._Call.__init__))
    _same(_copy._Call.__init__, berth.copy, options)
    _same(_copy._Call.__init__, berth.push, options - {"extra_tags"})
    _same(_copy._Call.__init__, berth.replicate, options - {"sign_key", "sign_key_password"})
    _same(_copy._Call.__init__, berth.pull,
          options - {"extra_tags", "create_repository", "sign_key", "sign_key_password"})
    _same(_copy._IndexCall.__init__, berth.index, set(_keyword_only(_copy._IndexCall.__init__)))
    # And nothing more than those and their own.
    assert set(_keyword_only(berth.copy)) == options
    assert set(_keyword_only(berth.push)) == options - {"extra_tags"} | {"tags"}
    assert set(_keyword_only(berth.pull)) == \
        options - {"extra_tags", "create_repository", "sign_key", "sign_key_password"} | \
        {"verify_key"}


def test_inspection_and_signature_functions_declare_the_registry_options():
    registry = set(_keyword_only(_sign._Access.__init__))
    for fn in (berth.sign, berth.attest, berth.verify):
        _same(_sign._Access.__init__, fn, registry)
    inspect_registry = registry  # the same names, filled by _inspect._Options
    for fn in (berth.manifest, berth.inspect, berth.list_tags, berth.catalog, berth.tag,
               berth.delete_manifest, berth.validate):
        _same(_inspect._Options.__init__, fn, inspect_registry)


def test_aws_functions_declare_the_aws_options_in_the_struct_s_order():
    for fn in (berth.ecr_ensure_repository, berth.ecr_ensure_pull_through_cache,
               berth.ecr_ensure_creation_template, berth.ecr_lifecycle_preview,
               berth.ecr_put_lifecycle_policy, berth.ecr_scan_gate):
        names = [n for n in _keyword_only(fn) if n in _aws.AWS_OPTION_NAMES]
        assert tuple(names) == _aws.AWS_OPTION_NAMES, fn.__name__
        _same(_aws._options, fn, _aws.AWS_OPTION_NAMES)
