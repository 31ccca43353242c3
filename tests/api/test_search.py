"""Full-text search over interactions, ranked, with the same words found on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Ingest, later


def texts(api: TestClient, **params: str | int) -> list[str]:
    r = api.get("/api/v1/search", params=params)
    assert r.status_code == 200, r.text
    return [hit["interaction"]["text"] for hit in r.json()["items"]]


def test_finds_every_word_anywhere_across_channels(api: TestClient, ingest: Ingest) -> None:
    ingest("La bolletta di marzo è sbagliata", channel="whatsapp")
    ingest(
        "Vorrei rateizzare la bolletta",
        channel="email",
        kind="email",
        value="a@example.it",
        at=later(hours=1),
    )
    ingest("Blackout in via Padova", channel="x", kind="x", value="991", at=later(hours=2))
    assert sorted(texts(api, q="bolletta")) == [
        "La bolletta di marzo è sbagliata",
        "Vorrei rateizzare la bolletta",
    ]
    assert texts(api, q="BOLLETTA marzo") == ["La bolletta di marzo è sbagliata"]
    assert texts(api, q="blackout padova") == ["Blackout in via Padova"]
    assert texts(api, q="gas") == []


def test_ranks_denser_matches_first(api: TestClient, ingest: Ingest) -> None:
    ingest("guasto", at=later(hours=1), value="3331000001")
    ingest("guasto guasto guasto contatore guasto", at=later(hours=2), value="3331000002")
    ingest(
        "un messaggio lungo che parla di molte cose e solo alla fine del guasto",
        at=later(hours=3),
        value="3331000003",
    )
    found = texts(api, q="guasto")
    assert found[0] == "guasto guasto guasto contatore guasto"
    assert len(found) == 3


def test_search_operators_and_punctuation_are_plain_words(api: TestClient, ingest: Ingest) -> None:
    ingest('Contratto "luce" OR gas: NEAR(a b) * ^ -')
    assert len(texts(api, q='"luce" OR')) == 1
    assert texts(api, q="NEAR(a") == ['Contratto "luce" OR gas: NEAR(a b) * ^ -']
    assert texts(api, q="luce*") == texts(api, q="luce")


def test_search_within_one_customer_and_hits_carry_the_customer(
    api: TestClient, ingest: Ingest
) -> None:
    maria = ingest("lettura contatore", customer_name="Maria Rossi", value="3331111111")
    ingest(
        "lettura contatore",
        customer_name="Giovanni Esposito",
        value="3332222222",
        at=later(hours=1),
    )
    hits = api.get(
        "/api/v1/search", params={"q": "contatore", "customer_id": maria["customer_id"]}
    ).json()["items"]
    assert len(hits) == 1
    assert hits[0]["customer"]["display_name"] == "Maria Rossi"


def test_search_paginates(api: TestClient, ingest: Ingest) -> None:
    for n in range(5):
        ingest(f"voltura numero {n}", value=f"33344400{n:02d}", at=later(minutes=n))
    first = api.get("/api/v1/search", params={"q": "voltura", "limit": 2}).json()
    second = api.get(
        "/api/v1/search", params={"q": "voltura", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    third = api.get(
        "/api/v1/search", params={"q": "voltura", "limit": 2, "cursor": second["next_cursor"]}
    ).json()
    found = [h["interaction"]["id"] for page in (first, second, third) for h in page["items"]]
    assert len(found) == 5 == len(set(found))
    assert third["next_cursor"] is None


def test_edited_text_is_reindexed(api: TestClient, ingest: Ingest) -> None:
    # Merging moves rows between customers; the index must still find them under the survivor.
    a = ingest("subentro in via Roma", value="3335550001")
    b = ingest("subentro completato", value="3335550002", at=later(minutes=1))
    api.post(f"/api/v1/customers/{a['customer_id']}/merge", json={"other_id": b["customer_id"]})
    hits = api.get(
        "/api/v1/search", params={"q": "subentro", "customer_id": a["customer_id"]}
    ).json()["items"]
    assert len(hits) == 2
