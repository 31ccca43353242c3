"""Editing a customer's profile with field-level history (who, what, from, to, via, when)."""

from __future__ import annotations

from typing import Any

from babel import Locale, UnknownLocaleError
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from unisono.errors import Invalid
from unisono.identity.normalize import name_key
from unisono.integrations.events import publish
from unisono.models import ChannelKind, Customer, ProfileChange
from unisono.pagination import Page, clamp_limit, encode_cursor, time_id_cursor
from unisono.security.actor import Actor
from unisono.security.audit import record_audit

# Profile fields an operator or integration may edit, with the validator for each.
EDITABLE_FIELDS = (
    "display_name",
    "given_name",
    "family_name",
    "language",
    "preferred_channel",
    "vulnerable",
    "segments",
)
MAX_ATTRIBUTES = 200


def _check_language(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return str(Locale.parse(str(value).replace("-", "_")).language)
    except (ValueError, UnknownLocaleError) as exc:
        raise Invalid(f"'{value}' is not a language code such as it or en") from exc


def _check_channel(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return ChannelKind(value).value
    except ValueError as exc:
        raise Invalid(
            f"'{value}' is not a channel kind; use one of {', '.join(ChannelKind)}"
        ) from exc


def _check_name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise Invalid("names are strings of at most 200 characters")
    return value.strip() or None


def _check_segments(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise Invalid("segments are a list of non-empty strings")
    return sorted(set(value))


def _check_vulnerable(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("vulnerable is true or false")
    return value


_VALIDATORS = {
    "display_name": lambda v: _check_name(v) or "",
    "given_name": _check_name,
    "family_name": _check_name,
    "language": _check_language,
    "preferred_channel": _check_channel,
    "vulnerable": _check_vulnerable,
    "segments": _check_segments,
}


def set_profile_field(
    session: Session, actor: Actor, customer: Customer, field: str, value: Any, source: str
) -> bool:
    """Set one core field (already validated) and record the change; False if unchanged."""
    old = getattr(customer, field)
    if old == value:
        return False
    setattr(customer, field, value)
    if field == "display_name":
        customer.name_key = name_key(value or "")
    session.add(
        ProfileChange(
            customer_id=customer.id,
            field=field,
            old_value=old,
            new_value=value,
            operator_id=actor.operator_id,
            source=source,
        )
    )
    return True


def do_update_profile(
    session: Session,
    actor: Actor,
    customer: Customer,
    changes: dict[str, Any],
    *,
    attributes: dict[str, Any] | None = None,
    source: str | None = None,
) -> list[str]:
    """Apply ``changes`` to core fields and ``attributes`` (a merge patch: null removes a key).

    Everything is validated before anything changes. Returns the names of changed fields.
    """
    source = source or actor.via
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise Invalid(f"these fields cannot be edited: {', '.join(unknown)}")
    checked = {field: _VALIDATORS[field](value) for field, value in changes.items()}
    new_attributes = dict(customer.attributes or {})
    attribute_changes: list[tuple[str, Any, Any]] = []
    for key, value in (attributes or {}).items():
        if not key or len(key) > 100:
            raise Invalid("attribute names are 1 to 100 characters")
        old = new_attributes.get(key)
        if value is None:
            new_attributes.pop(key, None)
        else:
            new_attributes[key] = value
        if old != value:
            attribute_changes.append((key, old, value))
    if len(new_attributes) > MAX_ATTRIBUTES:
        raise Invalid(f"a customer holds at most {MAX_ATTRIBUTES} custom attributes")

    changed = [
        field
        for field, value in checked.items()
        if set_profile_field(session, actor, customer, field, value, source)
    ]
    if attribute_changes:
        customer.attributes = new_attributes
        for key, old, new in attribute_changes:
            session.add(
                ProfileChange(
                    customer_id=customer.id,
                    field=f"attributes.{key}",
                    old_value=old,
                    new_value=new,
                    operator_id=actor.operator_id,
                    source=source,
                )
            )
            changed.append(f"attributes.{key}")
    session.flush()
    if changed:
        publish(session, "customer.updated", {"id": str(customer.id), "changed": changed})
    return changed


def profile_history(
    session: Session,
    actor: Actor,
    customer: Customer,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[ProfileChange]:
    """The field-level changes of ``customer``'s profile, newest first; the read is audited."""
    size = clamp_limit(limit)
    query = select(ProfileChange).where(ProfileChange.customer_id == customer.id)
    if cursor:
        at, last_id = time_id_cursor(cursor)
        query = query.where(
            tuple_(ProfileChange.created_at, ProfileChange.id) < tuple_(at, last_id)
        )
    rows = list(
        session.scalars(
            query.order_by(ProfileChange.created_at.desc(), ProfileChange.id.desc()).limit(size + 1)
        )
    )
    page = rows[:size]
    next_cursor = (
        encode_cursor(page[-1].created_at.isoformat(), str(page[-1].id))
        if len(rows) > size
        else None
    )
    record_audit(
        session, actor, "customer.history", "customer", customer.id, customer_id=customer.id
    )
    return Page(page, next_cursor)
