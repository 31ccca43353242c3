"""Finding the new part of a reply: the text above the quoted message and outside ``>`` lines.

Mail clients quote the message they answer below an attribution line, in the customer's
language: Gmail's "Il giorno lun 2 mar 2026 alle ore 09:10 Energia Chiara <...> ha scritto:"
(wrapped over two lines in plain text), Thunderbird's "Il 02/03/26 09:10, ... ha scritto:",
"On ... wrote:", Outlook's "Da: / Inviato: / A: / Oggetto:" block or an "-----Original
Message-----" rule. Everything from there on is the old message; ``>`` lines elsewhere are
inline quotes. The full text stays on the interaction; this only says what is new.
"""

from __future__ import annotations

import re

# "Il giorno ...", "On ...", "Le ...", "Am ...", "El ...", "Em ..." start an attribution ...
_ATTRIBUTION_START = re.compile(r"^\s*(il|on|le|am|el|em|op)\s", re.IGNORECASE)
# ... which ends, within a few wrapped lines, with the verb and a colon.
_ATTRIBUTION_END = re.compile(
    r"(ha scritto|hanno scritto|scrisse|wrote|a écrit|schrieb|escribió|escreveu|schreef)\s*:\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(
    r"^\s*-{2,}\s*(original message|messaggio originale|messaggio inoltrato|"
    r"forwarded message|message d'origine|ursprüngliche nachricht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\**(da|from|de|von)\s*:", re.IGNORECASE)
_OUTLOOK_FIELD = re.compile(
    r"^\s*\**(inviato|sent|data|date|a|to|oggetto|subject|cc|envoyé|gesendet|objet|betreff)\s*:",
    re.IGNORECASE,
)
# Attribution lines wrap over at most this many lines.
ATTRIBUTION_LINES = 3


def _attribution_at(lines: list[str], i: int) -> bool:
    if not _ATTRIBUTION_START.match(lines[i]):
        return False
    joined = ""
    for line in lines[i : i + ATTRIBUTION_LINES]:
        joined = f"{joined} {line.strip()}"
        # A date or an address in it: "Il tecnico ha scritto:" from the customer is no quote.
        if _ATTRIBUTION_END.search(joined) and re.search(r"\d|@", joined):
            return True
    return False


def _outlook_header_at(lines: list[str], i: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[i]):
        return False
    following = [line for line in lines[i + 1 : i + 6] if line.strip()]
    return sum(bool(_OUTLOOK_FIELD.match(line)) for line in following) >= 2


def _quote_starts(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if _RULE.match(line) or _attribution_at(lines, i) or _outlook_header_at(lines, i):
            return i
        if _UNDERSCORES.match(line) and i + 1 < len(lines) and _outlook_header_at(lines, i + 1):
            return i
    return None


def reply_part(text: str) -> str | None:
    """The new part of ``text``, or None when nothing is quoted (or nothing new is left)."""
    lines = text.split("\n")
    cut = _quote_starts(lines)
    kept = lines[:cut] if cut is not None else lines
    kept = [line for line in kept if not line.lstrip().startswith(">")]
    new = "\n".join(kept).strip()
    if not new or new == text.strip():
        return None
    return re.sub(r"\n{3,}", "\n\n", new)
