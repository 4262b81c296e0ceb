"""Names a package exports but imports only on first use (PEP 562).

Start-up is part of the product (docs/architecture.md, bench/bench_certify.py): a
command must not pay for the modules it does not use, so the packages whose
``__init__`` re-exports heavy submodules (pydantic models, report writers, the FIX
engine, the certify probes) keep a table ``name -> submodule`` and resolve a name the
first time it is read, then cache it in the package so the next read is a plain
attribute. Their ``TYPE_CHECKING`` imports give the type checker the same names.
Standard library only: this module is in the pure core and is imported at start-up.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any


def resolve(package: str, table: Mapping[str, str], name: str) -> Any:
    """The value of ``package.name``: ``name`` imported from the submodule the table
    names (relative to ``package``, or absolute when it contains a dot), cached in the
    package.

    Raises:
        AttributeError: ``name`` is not one of the package's lazy exports (as for any
            missing module attribute, so ``hasattr`` and ``getattr(..., default)`` work).
    """
    module = table.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    qualified = module if "." in module else f"{package}.{module}"
    value = getattr(importlib.import_module(qualified), name)
    setattr(sys.modules[package], name, value)
    return value


def names(package: str, table: Mapping[str, str]) -> list[str]:
    """``dir(package)``: what is loaded already and every lazy export."""
    return sorted({*vars(sys.modules[package]), *table})
