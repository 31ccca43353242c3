"""Encrypting channel credentials at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key is derived from ``UNISONO_SECRET_KEY`` with HKDF, so one secret configures everything;
rotating it means re-encrypting the credentials (``UNISONO_PREVIOUS_SECRET_KEYS`` still decrypt).
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from unisono.config import get_settings
from unisono.errors import UnisonoError


class SecretsUnreadable(UnisonoError):
    code = "secrets_unreadable"
    status = 500
    title = "Stored credentials cannot be decrypted"


def _fernet_key(secret: str) -> bytes:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"unisono-credentials", info=b"fernet-v1"
    ).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


@lru_cache(maxsize=4)
def _cipher(secret: str, previous: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(s)) for s in (secret, *previous)])


def _current() -> MultiFernet:
    settings = get_settings()
    return _cipher(settings.secret_key, tuple(settings.previous_secret_keys))


def encrypt_credentials(credentials: dict[str, str]) -> str:
    """An opaque token holding ``credentials``."""
    token: bytes = _current().encrypt(json.dumps(credentials, sort_keys=True).encode())
    return token.decode()


def decrypt_credentials(token: str | None) -> dict[str, str]:
    """The credentials inside ``token`` (empty when there is none)."""
    if not token:
        return {}
    try:
        data = json.loads(_current().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise SecretsUnreadable(
            "channel credentials cannot be decrypted: was UNISONO_SECRET_KEY changed?"
        ) from exc
    return {str(k): str(v) for k, v in data.items()}
