"""Finding customers by name, by phone in any format, by email or by a social handle."""

from __future__ import annotations

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from unisono.config import get_settings
from unisono.errors import Invalid
from unisono.identity.normalize import guess_handle, name_key
from unisono.ids import parse_uuid
from unisono.models import Customer, Identity
from unisono.pagination import Page, clamp_limit, decode_cursor, encode_cursor
from unisono.security.actor import Actor
from unisono.security.audit import record_audit


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_customers(
    session: Session,
    actor: Actor,
    q: str = "",
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Customer]:
    """Customers whose name contains ``q`` or who own the handle ``q`` spells, by name."""
    size = clamp_limit(limit)
    q = q.strip()
    if len(q) > 200:
        raise Invalid("the search text is longer than 200 characters")
    query = select(Customer).where(Customer.merged_into_id.is_(None))
    if q:
        handle = guess_handle(q, region=get_settings().default_region)
        # A social handle is stored without the "@" people write before it.
        values = {q, q.lstrip("@")} - {""}
        owners = select(Identity.customer_id).where(Identity.value.in_(sorted(values)))
        if handle is not None:
            owners = select(Identity.customer_id).where(
                or_(
                    (Identity.kind == handle.kind) & (Identity.value == handle.value),
                    Identity.value.in_(sorted(values)),
                )
            )
        key = name_key(q)
        conditions = [Customer.id.in_(owners)]
        if key:
            conditions.append(Customer.name_key.like(f"%{_escape_like(key)}%", escape="\\"))
        query = query.where(or_(*conditions))
    if cursor:
        last_key, last_text = decode_cursor(cursor, 2)
        last_id = parse_uuid(last_text)
        if last_id is None:
            raise Invalid("the cursor is not valid; use next_cursor from a previous page")
        query = query.where(tuple_(Customer.name_key, Customer.id) > tuple_(last_key, last_id))
    rows = list(session.scalars(query.order_by(Customer.name_key, Customer.id).limit(size + 1)))
    page = rows[:size]
    next_cursor = encode_cursor(page[-1].name_key, str(page[-1].id)) if len(rows) > size else None
    record_audit(
        session,
        actor,
        "customer.search",
        "customer",
        None,
        details={"q": q, "count": len(page)},
    )
    return Page(page, next_cursor)
