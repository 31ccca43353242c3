"""The company that writes: the letterhead every letter preview and letter send is printed on.

Read once from ``UNISONO_COMPANY_*`` environment variables; the defaults are the demo company,
Energia Chiara S.p.A., so a fresh install previews letters on a plausible letterhead. Lists are
JSON (``UNISONO_COMPANY_ADDRESS_LINES='["Via Larga 8", "20122 Milano MI"]'``).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from unisono.studio.letter_layout import LetterSender


class CompanySettings(BaseSettings):
    """The letterhead's parts, as ``LetterSender`` takes them."""

    model_config = SettingsConfigDict(env_prefix="UNISONO_COMPANY_", extra="ignore")

    name: str = Field(default="Energia Chiara S.p.A.", min_length=1, max_length=120)
    address_lines: list[str] = Field(default=["Via Larga 8", "20122 Milano MI"], max_length=4)
    vat_number: str = Field(default="IT01234560157", max_length=40)
    place: str = Field(default="Milano", max_length=120)
    contact_lines: list[str] = Field(
        default=["Numero verde 800 123 456", "www.energiachiara.it"], max_length=3
    )
    legal_text: str = Field(
        default=(
            "Energia Chiara S.p.A. · Sede legale Via Larga 8, 20122 Milano · Capitale sociale"
            " € 10.000.000 i.v. · Registro Imprese di Milano e C.F. 01234560157"
        ),
        max_length=600,
    )


@lru_cache(maxsize=1)
def company_sender() -> LetterSender:
    """The letterhead, read from the environment on first use (Invalid if it does not fit)."""
    company = CompanySettings()
    return LetterSender(
        name=company.name,
        address_lines=tuple(company.address_lines),
        vat_number=company.vat_number,
        legal_text=company.legal_text,
        place=company.place,
        contact_lines=tuple(company.contact_lines),
    )
