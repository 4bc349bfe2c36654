"""Use cases: one function per thing a user does. The only layer that commits."""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    """Import every service module, so every action they declare is registered."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
