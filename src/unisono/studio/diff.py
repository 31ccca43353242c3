"""What changed between two versions of a template or block, field by field, as unified diffs.

A template version is compared as its data schema (one line per variable) and each variant
field (``email.it.subject``, ``whatsapp.en.parameters``...); a block version as each locale's
``html`` and ``text``. Only the fields that differ are listed, in a stable order (schema first,
then variant kinds as ``VARIANT_FIELDS`` lists them, locales Italian first, fields in their
declared order). Each carries ``difflib`` unified-diff text whose lines start with ``-``, ``+``
or a space, so the console colours them and the API returns them as they are.
"""

from __future__ import annotations

import difflib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from unisono.models import ContentBlockVersion, TemplateVersion
from unisono.studio.blocks import get_block, get_block_version
from unisono.studio.schema import BLOCK_FORMATS, canonical_json
from unisono.studio.spec import SUPPORTED_LOCALES, VARIANT_FIELDS
from unisono.studio.templates import get_template, get_version

CONTEXT_LINES = 3
FIELD_ORDER: Mapping[str, Sequence[str]] = {str(k): v for k, v in VARIANT_FIELDS.items()}


@dataclass(frozen=True, slots=True)
class FieldDiff:
    path: str  # "schema", "email.it.subject", "it.html"
    change: str  # "added", "removed" or "changed"
    unified: str  # unified diff text, header lines included


@dataclass(frozen=True, slots=True)
class VersionDiff:
    from_number: int
    to_number: int
    changes: list[FieldDiff]


def diff_text(
    path: str, old: str | None, new: str | None, labels: tuple[str, str]
) -> FieldDiff | None:
    """The diff of one field (None for a field missing in a version), or None when equal."""
    if old == new or (not old and not new):
        return None
    change = "added" if not old else "removed" if not new else "changed"
    lines = difflib.unified_diff(
        (old or "").splitlines(),
        (new or "").splitlines(),
        fromfile=f"{labels[0]}/{path}",
        tofile=f"{labels[1]}/{path}",
        n=CONTEXT_LINES,
        lineterm="",
    )
    return FieldDiff(path=path, change=change, unified="\n".join(lines))


def schema_text(schema: Sequence[Mapping[str, Any]]) -> str:
    """A data schema, one line per variable, in a form that diffs readably."""
    lines = []
    for item in schema:
        optional = "" if item.get("required", True) else " optional"
        line = (
            f"{item['name']}: {item['type']}{optional} sample={canonical_json(item.get('sample'))}"
        )
        if item.get("description"):
            line += f"  # {item['description']}"
        lines.append(line)
    return "\n".join(lines)


def _field_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    # WhatsApp parameters and buttons: JSON spread over lines, so a diff shows which entry moved.
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _ordered(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    present = set(keys)
    return [k for k in order if k in present] + sorted(present - set(order))


def _variant_paths(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> Iterator[tuple[str, Any, Any]]:
    for kind in _ordered([*old, *new], list(FIELD_ORDER)):
        old_kind, new_kind = old.get(kind, {}), new.get(kind, {})
        fields_order = FIELD_ORDER.get(kind, ())
        for locale in _ordered([*old_kind, *new_kind], SUPPORTED_LOCALES):
            old_fields, new_fields = old_kind.get(locale, {}), new_kind.get(locale, {})
            for name in _ordered([*old_fields, *new_fields], fields_order):
                yield f"{kind}.{locale}.{name}", old_fields.get(name), new_fields.get(name)


def template_versions_diff(old: TemplateVersion, new: TemplateVersion) -> VersionDiff:
    labels = (f"v{old.number}", f"v{new.number}")
    changes = [diff_text("schema", schema_text(old.schema), schema_text(new.schema), labels)]
    changes.extend(
        diff_text(path, _field_text(a), _field_text(b), labels)
        for path, a, b in _variant_paths(old.variants, new.variants)
    )
    return VersionDiff(old.number, new.number, [c for c in changes if c is not None])


def block_versions_diff(old: ContentBlockVersion, new: ContentBlockVersion) -> VersionDiff:
    labels = (f"v{old.number}", f"v{new.number}")
    changes = []
    for locale in _ordered([*old.content, *new.content], SUPPORTED_LOCALES):
        for name in BLOCK_FORMATS:
            changes.append(
                diff_text(
                    f"{locale}.{name}",
                    old.content.get(locale, {}).get(name),
                    new.content.get(locale, {}).get(name),
                    labels,
                )
            )
    return VersionDiff(old.number, new.number, [c for c in changes if c is not None])


def diff_template_versions(
    session: Session, template_id: uuid.UUID, from_number: int, to_number: int
) -> VersionDiff:
    """The changes from version ``from_number`` to ``to_number`` of a template (any two)."""
    template = get_template(session, template_id)
    return template_versions_diff(
        get_version(session, template.id, from_number), get_version(session, template.id, to_number)
    )


def diff_block_versions(
    session: Session, block_id: uuid.UUID, from_number: int, to_number: int
) -> VersionDiff:
    """The changes from version ``from_number`` to ``to_number`` of a content block."""
    block = get_block(session, block_id)
    return block_versions_diff(
        get_block_version(session, block.id, from_number),
        get_block_version(session, block.id, to_number),
    )
