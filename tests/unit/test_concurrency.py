"""Races: duplicate provider deliveries and a new customer's simultaneous messages."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from unisono.db import session_factory
from unisono.inbox.ingest import NewInteraction, do_ingest_interaction
from unisono.models import Conversation, Customer, Direction, Identity, Interaction
from unisono.security.actor import SYSTEM

AT = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
WORKERS = 8


def ingest_in_own_session(engine: Engine, item: NewInteraction, start: threading.Barrier) -> bool:
    session = session_factory(engine)()
    try:
        start.wait()
        _, created = do_ingest_interaction(session, SYSTEM, item)
        session.commit()
        return created
    finally:
        session.close()


def counts(engine: Engine) -> dict[str, int]:
    with session_factory(engine)() as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Customer, Identity, Conversation, Interaction)
        }


def test_the_same_delivery_racing_itself_is_stored_once(engine: Engine) -> None:
    item = NewInteraction(
        "whatsapp", "phone", "3331234567", Direction.INBOUND, "ciao", AT, external_id="wamid.race"
    )
    start = threading.Barrier(WORKERS)
    with ThreadPoolExecutor(WORKERS) as pool:
        created = list(
            pool.map(lambda _: ingest_in_own_session(engine, item, start), range(WORKERS))
        )
    assert created.count(True) == 1
    assert counts(engine) == {"Customer": 1, "Identity": 1, "Conversation": 1, "Interaction": 1}


def test_a_new_customer_writing_on_several_channels_at_once_is_one_customer(
    engine: Engine,
) -> None:
    channels = ["sms", "whatsapp", "voice", "whatsapp", "sms", "voice", "whatsapp", "sms"]
    start = threading.Barrier(WORKERS)
    items = [
        NewInteraction(
            channel,
            "phone",
            "+39 333 765 4321",
            Direction.INBOUND,
            f"msg {n}",
            AT + timedelta(seconds=n),
            external_id=f"ext-{n}",
        )
        for n, channel in enumerate(channels)
    ]
    with ThreadPoolExecutor(WORKERS) as pool:
        created = list(pool.map(lambda i: ingest_in_own_session(engine, i, start), items))
    assert all(created)
    assert counts(engine) == {"Customer": 1, "Identity": 1, "Conversation": 1, "Interaction": 8}
