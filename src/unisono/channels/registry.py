"""Which provider serves which channel kind.

Every package under ``unisono.channels`` with a ``provider`` module is an adapter; importing that
module registers it. Discovery keeps adding a channel to one new folder, with no list to edit.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import unisono.channels
from unisono.channels.base import Provider
from unisono.errors import Invalid

_PROVIDERS: dict[str, Provider] = {}
_loaded = False


def register(provider: Provider) -> Provider:
    """Make ``provider`` the one for its kind (adapters call this when imported)."""
    _PROVIDERS[provider.kind] = provider
    return provider


def _load_adapters() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(unisono.channels.__path__):
        name = f"unisono.channels.{module.name}.provider"
        if module.ispkg and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    _loaded = True


def find_provider(kind: str) -> Provider | None:
    """The provider of ``kind``, or None when no adapter handles it (e.g. branch visits)."""
    _load_adapters()
    return _PROVIDERS.get(kind)


def provider_for(kind: str) -> Provider:
    """The provider of ``kind``; Invalid when no adapter handles it."""
    provider = find_provider(kind)
    if provider is None:
        known = ", ".join(sorted(_PROVIDERS)) or "none"
        raise Invalid(f"no adapter for channel kind '{kind}' (adapters: {known})")
    return provider


def all_providers() -> list[Provider]:
    _load_adapters()
    return sorted(_PROVIDERS.values(), key=lambda p: p.kind)
