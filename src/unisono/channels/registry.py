"""Which provider serves which channel kind."""

from __future__ import annotations

from unisono.channels.base import Provider
from unisono.errors import Invalid

_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    """Make ``provider`` the one for its kind (adapters call this when imported)."""
    _PROVIDERS[provider.kind] = provider
    return provider


def _load_builtin() -> None:
    # Imported for their registration side effect; kept in one place so the list is visible.
    import importlib

    for module in BUILTIN_ADAPTERS:
        importlib.import_module(module)


BUILTIN_ADAPTERS: tuple[str, ...] = ("unisono.channels.whatsapp.provider",)


def provider_for(kind: str) -> Provider:
    """The provider of ``kind``; Invalid when no adapter handles it."""
    if not _PROVIDERS:
        _load_builtin()
    try:
        return _PROVIDERS[kind]
    except KeyError as exc:
        known = ", ".join(sorted(_PROVIDERS)) or "none"
        raise Invalid(f"no adapter for channel kind '{kind}' (adapters: {known})") from exc


def find_provider(kind: str) -> Provider | None:
    """The provider of ``kind``, or None when no adapter handles it (e.g. branch visits)."""
    if not _PROVIDERS:
        _load_builtin()
    return _PROVIDERS.get(kind)


def all_providers() -> list[Provider]:
    if not _PROVIDERS:
        _load_builtin()
    return sorted(_PROVIDERS.values(), key=lambda p: p.kind)
