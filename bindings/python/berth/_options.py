"""Keyword options declared once, for every function that takes them.

Several functions take the same keyword-only options: each AWS call the nine fields
of berth_aws_options, ``copy`` those of berth_copy_options. Each set is declared
once, as the keyword-only parameters of the function (or class) that checks the
values and fills the C struct from them. ``takes_options(declaration)`` lets a
public function take them as ``**options`` and pass them on, while its signature
(``help()``, ``inspect.signature``) lists every one with its default, and a keyword
that is neither its own nor an option is refused before it runs, as Python refuses
it.
"""

from __future__ import annotations

import functools
import inspect
import typing
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def takes_options(declaration: Callable[..., Any]) -> Callable[[F], F]:
    """Decorator for ``def fn(..., **options)`` that passes ``options`` on to
    ``declaration``: fn's signature shows declaration's keyword-only parameters in
    place of ``**options``."""
    options = [p for p in inspect.signature(declaration).parameters.values()
               if p.kind is inspect.Parameter.KEYWORD_ONLY]
    # typing.get_type_hints() on fn resolves names in fn's module: the options'
    # types are resolved here, in the declaration's.
    # (getattr: mypy calls __init__ read off a value unsound in general; here the
    # value is a class, whose __init__ declares the options.)
    hints = typing.get_type_hints(getattr(declaration, "__init__") if isinstance(declaration, type)
                                  else declaration)

    def decorate(fn: F) -> F:
        params = list(inspect.signature(fn).parameters.values())
        own = [p for p in params if p.kind is not p.VAR_KEYWORD]
        rest = {p.name for p in params if p.kind is p.VAR_KEYWORD}
        known = {p.name for p in own + options if p.kind is not p.POSITIONAL_ONLY}

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for name in kwargs:
                if name not in known:
                    raise TypeError(f"{fn.__name__}() got an unexpected keyword argument {name!r}")
            return fn(*args, **kwargs)

        wrapper.__signature__ = inspect.signature(fn).replace(  # type: ignore[attr-defined]
            parameters=own + options)
        wrapper.__annotations__ = {k: v for k, v in fn.__annotations__.items() if k not in rest}
        wrapper.__annotations__.update({p.name: hints[p.name] for p in options if p.name in hints})
        return wrapper  # type: ignore[return-value]

    return decorate
