"""Finding @mentions of colleagues in a note's text, and cutting it for highlighting."""

from __future__ import annotations

import uuid

import pytest

from unisono.inbox.mentions import Colleague, find_mentions, mention_segments

ANNA = Colleague(uuid.uuid4(), "Anna Rossi", "anna@energiachiara.it")
ANNA_R = Colleague(uuid.uuid4(), "Anna Ricci", "anna.ricci@energiachiara.it")
MARCO = Colleague(uuid.uuid4(), "Marco Ferri", "m.ferri@energiachiara.it")
TEAM = [ANNA, ANNA_R, MARCO]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@anna guarda qui", [ANNA]),
        ("@Anna Rossi guarda qui", [ANNA]),
        ("@ANNA.RICCI: la bolletta", [ANNA_R]),  # the longest handle wins
        ("chiedo a @m.ferri.", [MARCO]),  # a full stop ends the mention
        ("@marco ferri e @anna, poi @anna di nuovo", [MARCO, ANNA]),
        ("scrivere a luca@anna.it", []),  # inside an address: no mention
        ("@annabella", []),  # a longer word is someone else
        ("@anna-maria", []),
        ("@nessuno", []),
        ("(@anna)", [ANNA]),
        ("", []),
    ],
)
def test_find_mentions(text: str, expected: list[Colleague]) -> None:
    assert find_mentions(text, TEAM) == expected


def test_segments_flag_each_mention_and_keep_the_text() -> None:
    text = "Ciao @Marco Ferri, vedi con @anna.ricci. Mail: x@anna.it"
    segments = mention_segments(text, [MARCO, ANNA_R])
    assert "".join(piece for piece, _ in segments) == text
    assert [piece for piece, flagged in segments if flagged] == ["@Marco Ferri", "@anna.ricci"]
    # Only the colleagues given are highlighted (those the note's Mention rows name).
    assert mention_segments("@anna e @m.ferri", [MARCO]) == [
        ("@anna e ", False),
        ("@m.ferri", True),
    ]
    assert mention_segments("nessuna menzione", []) == [("nessuna menzione", False)]
