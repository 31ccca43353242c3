"""Reading real-world-shaped mail: charsets, HTML-only bodies, attachments, replies, bounces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.email.conftest import eml
from unisono.channels.email.htmltext import html_to_text
from unisono.channels.email.mime import (
    MAX_TEXT,
    decode_text,
    parse_mail,
    parse_message,
    unflow,
)
from unisono.channels.email.quoting import reply_part
from unisono.channels.errors import MalformedPayload
from unisono.inbox.ingest import MAX_TEXT_LENGTH
from unisono.models import DeliveryStatus

# -- the fixtures, one by one ---------------------------------------------------------------


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_a_plain_utf8_message(crlf: bool) -> None:
    raw = eml("plain_utf8.eml")
    message = parse_message(raw.replace(b"\n", b"\r\n") if crlf else raw)
    assert message.external_id == "<5f1c2a9e-7b1d-4c36-9f0e-1d2b3c4d5e6f@libero.it>"
    assert message.identity_kind == "email"
    assert message.identity_value == "maria.rossi@libero.it"
    assert message.sender_name == "Maria Rossi"
    assert message.occurred_at == datetime(2026, 3, 2, 9, 14, 58, tzinfo=UTC)
    assert message.occurred_at.tzinfo is not None
    assert message.metadata["subject"] == "Bolletta di febbraio: importo più alto del solito"
    assert message.metadata["to"] == ["assistenza@energiachiara.it"]
    # format=flowed: the soft line break inside the paragraph is joined again.
    assert "riporta 182,40 €, quasi il doppio del solito. Il contatore è stato letto?" in (
        message.text
    )
    assert message.text.endswith("Grazie,\nMaria Rossi")
    assert message.replies_to == ()
    assert message.media == ()
    assert "reply_text" not in message.metadata
    assert "auto_reply" not in message.metadata


def test_iso_8859_1_quoted_printable_with_accents() -> None:
    message = parse_message(eml("latin1_qp.eml"))
    assert message.metadata["subject"] == "Sollecito: la fattura è già stata pagata"
    assert message.sender_name == "Giuseppe Cesàro"
    # Addresses are one identity whatever their case.
    assert message.identity_value == "g.cesaro@alice.it"
    assert "la fattura di gennaio (€ 120,00) è già stata pagata il 12/02" in message.text
    # Labelled ISO-8859-1, written in Windows-1252 (Outlook): € and curly quotes survive.
    assert "“non” voglio pagare due volte" in message.text
    assert message.text.endswith("Giuseppe Cesàro")


def test_an_html_only_outlook_message_becomes_readable_text() -> None:
    message = parse_message(eml("outlook_html.eml"))
    assert message.metadata["text_source"] == "html"
    text = message.text
    assert text.startswith("Buongiorno,\n\ncome richiesto inviamo i dati per la voltura")
    assert "il nuovo intestatario è Studio Bianchi Srl, P.IVA 01234567890, dal 1° aprile." in text
    assert "L’autolettura di oggi è 12.345 kWh." in text
    assert "Anna Bianchi – Amministrazione" in text
    assert "www.studiobianchi.it (https://www.studiobianchi.it)" in text
    for noise in ("font-family", "Cambria", "tracking", "<p", "&nbsp;", "o:p", "mso"):
        assert noise not in text
    # Outlook's "Da: / Inviato: / A: / Oggetto:" block starts the quoted message.
    assert message.metadata["reply_text"].endswith(
        "Anna Bianchi – Amministrazione\nwww.studiobianchi.it (https://www.studiobianchi.it)"
    )
    assert "Gentili signori" in text
    assert "Gentili signori" not in message.metadata["reply_text"]
    assert message.metadata["subject"] == "R: Voltura contratto via Roma 12"
    assert message.replies_to == ("<20260303161000.4821.1@energiachiara.it>",)


def test_attachments_and_inline_images_come_with_their_bytes() -> None:
    message = parse_message(eml("attachments.eml"))
    # multipart/mixed > alternative > (plain, related > (html, image)) + pdf: the plain part.
    assert message.metadata["text_source"] == "plain"
    assert message.text.startswith("Buongiorno,\nvi mando la foto del contatore (lettura 04821)")
    assert "<html" not in message.text
    image, pdf = message.media
    assert image.content_type == "image/png"
    assert image.filename == "contatore.png"
    assert image.data is not None
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert pdf.content_type == "application/pdf"
    # RFC 2231 encoded filename with a UTF-8 dash.
    assert pdf.filename == "bolletta marzo 2026 – contestata.pdf"
    assert pdf.data is not None
    assert pdf.data.startswith(b"%PDF-1.4")
    assert b"Bolletta marzo 2026" in pdf.data


def test_a_reply_keeps_the_full_text_and_names_the_new_part_and_the_thread() -> None:
    message = parse_message(eml("reply_gmail_it.eml"))
    # References oldest first, then the direct parent (In-Reply-To) last.
    assert message.replies_to == (
        "<CAK7p3Xd9fQ2mN8vB1xLz0w@mail.gmail.com>",
        "<173f0c2a.9e1d.4b7a@energiachiara.it>",
    )
    assert "> la bolletta di febbraio è stata calcolata su una lettura stimata." in message.text
    assert message.metadata["reply_text"] == (
        "Grazie per la risposta. La lettura di oggi è 04821: la bolletta deve essere\n"
        "ricalcolata.\n\nMaria"
    )


def test_an_auto_reply_is_flagged() -> None:
    message = parse_message(eml("auto_reply.eml"))
    assert message.metadata["auto_reply"] is True
    assert message.metadata["auto_reply_reason"] == "Auto-Submitted: auto-replied"
    assert message.text.startswith("Sono fuori ufficio fino al 16 marzo")
    assert message.replies_to == ("<20260306065500.1187.7@energiachiara.it>",)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("X-Autoreply: yes", "X-Autoreply"),
        ("Precedence: bulk", "Precedence: bulk"),
        ("Precedence: auto_reply", "Precedence: auto_reply"),
        ("Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated"),
    ],
)
def test_other_auto_reply_markers(header: str, reason: str) -> None:
    raw = f"From: a@example.it\n{header}\nSubject: x\n\nciao\n".encode()
    assert parse_message(raw).metadata["auto_reply_reason"] == reason


def test_auto_submitted_no_is_a_person() -> None:
    raw = b"From: a@example.it\nAuto-Submitted: no\nPrecedence: list\n\nciao\n"
    assert "auto_reply" not in parse_message(raw).metadata


def test_a_missing_message_id_is_replaced_by_a_hash_of_the_bytes() -> None:
    raw = eml("no_message_id.eml")
    message = parse_message(raw)
    assert message.external_id.startswith("sha256:")
    assert len(message.external_id) == len("sha256:") + 64
    assert message.metadata["message_id_missing"] is True
    # The same bytes again are the same message (idempotent ingestion); others are not.
    assert parse_message(raw).external_id == message.external_id
    assert parse_message(raw + b"\nP.S.\n").external_id != message.external_id


def test_authentication_results_of_our_server_are_believed_and_forged_ones_are_not() -> None:
    message = parse_message(eml("gmail_authenticated.eml"))
    assert message.metadata["authentication"] == {
        "spf": "pass",
        "dkim": "pass",
        "dmarc": "pass",
        "authserv_id": "mx.energiachiara.it",
    }
    # The lower header (spf=fail) was written by someone else: only the topmost counts.
    forged_first = (
        b"Authentication-Results: mx.energiachiara.it; spf=fail smtp.mailfrom=x.it\n"
        + b"Authentication-Results: attacker.example; spf=pass; dkim=pass\n"
        + b"From: a@x.it\n\nciao\n"
    )
    assert parse_message(forged_first).metadata["authentication"]["spf"] == "fail"
    # With the server named, a header from elsewhere is ignored even when it comes first.
    assert parse_message(
        b"Authentication-Results: attacker.example; spf=pass\n"
        b"Authentication-Results: mx.energiachiara.it; spf=softfail (not permitted) dkim=none\n"
        b"From: a@x.it\n\nciao\n",
        authserv_id="mx.energiachiara.it",
    ).metadata["authentication"] == {
        "spf": "softfail",
        "dkim": "none",
        "authserv_id": "mx.energiachiara.it",
    }
    # Comments say nothing: "(dkim=pass)" inside one is not a result.
    commented = b"Authentication-Results: mx.e.it; spf=neutral (dkim=pass? no)\nFrom: a@x.it\n\nx"
    assert parse_message(commented).metadata["authentication"] == {
        "spf": "neutral",
        "authserv_id": "mx.e.it",
    }
    assert "authentication" not in parse_message(eml("plain_utf8.eml")).metadata


def test_a_bounce_of_our_message_becomes_its_failure() -> None:
    parsed = parse_mail(eml("bounce_dsn.eml"))
    assert parsed.messages == ()
    (status,) = parsed.statuses
    assert status.external_id == "<177304680311.4242.8812@energiachiara.it>"
    assert status.status == DeliveryStatus.FAILED
    assert status.error is not None
    assert status.error.startswith("5.1.1 smtp; 550 5.1.1 <mario.bianchi@example.net>")
    assert "User unknown" in status.error


def test_a_delayed_report_and_an_unmatched_one_are_ignored() -> None:
    delayed = eml("bounce_dsn.eml").replace(b"Action: failed", b"Action: delayed")
    assert parse_mail(delayed).ignored == ("report:delayed",)
    unmatched = eml("bounce_dsn.eml").replace(
        b"Message-ID: <177304680311.4242.8812@energiachiara.it>\n", b""
    )
    assert parse_mail(unmatched).ignored == ("report:unmatched",)


def test_our_own_mail_coming_back_is_ignored() -> None:
    raw = b"From: Energia Chiara <Assistenza@EnergiaChiara.it>\nSubject: x\n\ncopia\n"
    assert parse_mail(raw, own_addresses=["assistenza@energiachiara.it"]).ignored == ("from_self",)
    assert len(parse_mail(raw).messages) == 1


# -- dates -----------------------------------------------------------------------------------


def test_a_missing_date_falls_back_to_when_we_received_it_and_says_so() -> None:
    received = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    message = parse_message(b"From: a@x.it\n\nciao\n", received_at=received)
    assert message.occurred_at == received
    assert message.metadata["date_problem"] == "missing"
    assert message.metadata["date_source"] == "received"


def test_an_invalid_date_falls_back_to_the_received_header_then_to_now() -> None:
    raw = (
        b"Received: from a by mx.energiachiara.it; Tue, 3 Mar 2026 10:00:00 +0100\n"
        b"From: a@x.it\nDate: domani mattina\n\nciao\n"
    )
    message = parse_message(raw)
    assert message.occurred_at == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    assert message.metadata["date_problem"] == "invalid"
    assert message.metadata["date_header"] == "domani mattina"
    assert message.metadata["date_source"] == "received_header"
    before = datetime.now(UTC)
    bare = parse_message(b"From: a@x.it\nDate: 99 Foo 2026\n\nciao\n")
    assert bare.metadata["date_source"] == "now"
    assert before <= bare.occurred_at <= datetime.now(UTC)


def test_a_date_in_the_future_is_not_believed() -> None:
    future = (datetime.now(UTC) + timedelta(days=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    message = parse_message(f"From: a@x.it\nDate: {future}\n\nciao\n".encode())
    assert message.metadata["date_problem"] == "in the future"
    assert message.occurred_at <= datetime.now(UTC)


def test_a_date_without_a_zone_is_utc() -> None:
    message = parse_message(b"From: a@x.it\nDate: Mon, 2 Mar 2026 10:00:00 -0000\n\nx\n")
    assert message.occurred_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


# -- headers and bodies in the wild -------------------------------------------------------------


def test_raw_utf8_headers_and_encoded_names_are_decoded() -> None:
    raw = "From: Nicolò Fabbri <nicolo@example.it>\nSubject: Già pagato\n\nok\n".encode() + b"\n"
    message = parse_message(raw)
    assert message.sender_name == "Nicolò Fabbri"
    assert message.metadata["subject"] == "Già pagato"
    encoded = parse_message(
        b"From: =?utf-8?B?Q2hpYXJhIETigJlBbWljbw==?= <c@example.it>\n"
        b"Subject: =?UTF-8?Q?Richiesta_rimborso_=E2=82=AC_35?=\n\nx\n"
    )
    assert encoded.sender_name == "Chiara D’Amico"
    assert encoded.metadata["subject"] == "Richiesta rimborso € 35"


def test_a_base64_windows_1252_body_and_an_unknown_charset() -> None:
    body = "Caffè e città: €5".encode("cp1252")
    import base64

    raw = (
        b"From: a@x.it\nContent-Type: text/plain; charset=windows-1252\n"
        b"Content-Transfer-Encoding: base64\n\n" + base64.b64encode(body) + b"\n"
    )
    assert parse_message(raw).text == "Caffè e città: €5"
    unknown = b"From: a@x.it\nContent-Type: text/plain; charset=x-klingon\n\ncitt\xe0\n"
    assert parse_message(unknown).text == "città"
    mislabelled = b"From: a@x.it\nContent-Type: text/plain; charset=us-ascii\n\ncitt\xc3\xa0\n"
    assert parse_message(mislabelled).text == "città"


def test_decode_text_fallbacks() -> None:
    assert decode_text("è".encode(), "utf-8") == "è"
    assert decode_text(b"\xe8", "iso-8859-1") == "è"
    assert decode_text(b"\x80", "latin-1") == "€"
    assert decode_text(b"\x81\xe8", "iso-8859-1") == "\x81è".replace("\x81", "\ufffd")
    assert decode_text(b"caf\xe9", "rot13") == "café"
    assert decode_text(b"a\x00b\x07c", None) == "abc"


def test_an_attachment_only_message_and_a_forwarded_message() -> None:
    only_pdf = (
        b"From: a@x.it\nContent-Type: application/octet-stream; name=lettura.pdf\n"
        b'Content-Disposition: attachment; filename="../../etc/lettura.pdf"\n'
        b"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
    )
    message = parse_message(only_pdf)
    (ref,) = message.media
    assert ref.filename == "lettura.pdf"  # no path, whatever the sender wrote
    assert ref.content_type == "application/pdf"  # guessed from the name of an octet-stream
    assert ref.data == b"%PDF-1.4\n"
    assert message.text == "[attachments: lettura.pdf]"
    forwarded = (
        b"From: a@x.it\nSubject: Fwd\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nVedete sotto.\n"
        b"--b\nContent-Type: message/rfc822\n\n"
        b"From: b@y.it\nSubject: Originale\n\nTesto originale\n"
        b"--b--\n"
    )
    message = parse_message(forwarded)
    assert message.text == "Vedete sotto."
    (attached,) = message.media
    assert attached.content_type == "message/rfc822"
    assert attached.filename == "messaggio.eml"
    assert attached.data is not None
    assert b"Testo originale" in attached.data


def test_an_empty_plain_part_gives_way_to_the_html_one() -> None:
    raw = (
        b"From: a@x.it\nContent-Type: multipart/alternative; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\n\n"
        b"--b\nContent-Type: text/html\n\n<p>Solo <b>HTML</b></p>\n--b--\n"
    )
    message = parse_message(raw)
    assert message.text == "Solo HTML"
    assert message.metadata["text_source"] == "html"


def test_a_huge_body_is_cut_to_the_timeline_limit() -> None:
    assert MAX_TEXT == MAX_TEXT_LENGTH
    raw = b"From: a@x.it\n\n" + b"bla " * 40_000
    message = parse_message(raw)
    assert len(message.text) == MAX_TEXT
    assert message.metadata["truncated"] is True
    assert message.metadata["original_length"] > MAX_TEXT


def test_long_and_odd_message_ids() -> None:
    long_id = b"<" + b"x" * 300 + b"@example.it>"
    message = parse_message(b"From: a@x.it\nMessage-ID: " + long_id + b"\n\nx\n")
    assert message.external_id.startswith("sha256:")
    assert message.metadata["message_id"] == long_id.decode()
    bare = parse_message(b"From: a@x.it\nMessage-ID: abc123@example.it\n\nx\n")
    assert bare.external_id == "<abc123@example.it>"
    folded = parse_message(b"From: a@x.it\nReferences: <a@x>\n <b@y>\n\t<c@z>\n\nx\n")
    assert folded.replies_to == ("<a@x>", "<b@y>", "<c@z>")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \n",
        b"Subject: no sender\n\nciao\n",
        b"From: undisclosed-recipients:;\n\nciao\n",
        b"From: not an address\n\nciao\n",
        b"\x00\x01\x02\xff\xfe",
    ],
)
def test_messages_without_a_usable_sender_are_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedPayload):
        parse_mail(raw)


# -- html and quotes --------------------------------------------------------------------------


def test_html_to_text_keeps_structure_and_drops_what_is_not_shown() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<h1>Titolo</h1><p>Primo paragrafo.</p><p>Secondo<br>a capo.</p>"
        "<ul><li>uno</li><li>due</li></ul>"
        "<table><tr><td>Totale</td><td>90,00 &euro;</td></tr></table>"
        '<a href="https://energiachiara.it/paga">Paga ora</a> '
        '<a href="https://x.it">https://x.it</a>'
        "<script>alert('x')</script><pre>  a\n  b</pre></body></html>"
    )
    assert html_to_text(html) == (
        "Titolo\nPrimo paragrafo.\n\nSecondo\na capo.\n\n- uno\n- due\nTotale  90,00 €\n"
        "Paga ora (https://energiachiara.it/paga) https://x.it\n  a\n  b"
    )


def test_html_blockquotes_become_quoted_lines() -> None:
    html = "<div>Nuovo</div><blockquote><div>Vecchio</div></blockquote>"
    assert html_to_text(html) == "Nuovo\n> Vecchio"
    assert reply_part(html_to_text(html)) == "Nuovo"


@pytest.mark.parametrize(
    ("text", "new"),
    [
        (
            "Va bene.\n\nIl 02/03/26 09:10, Energia Chiara ha scritto:\n> Gentile cliente",
            "Va bene.",
        ),
        ("Ok thanks\n\nOn Mon, Mar 2, 2026 at 9:10 AM Support <s@e.it> wrote:\n> hi", "Ok thanks"),
        ("Grazie\n\n-----Messaggio originale-----\nDa: x\nOggetto: y", "Grazie"),
        (
            "Sì\n\n________________________________\nDa: Energia Chiara\nInviato: lunedì\n"
            "A: me\nOggetto: bolletta",
            "Sì",
        ),
        (
            "> citazione\nrisposta in linea\n> altra\nseconda risposta",
            "risposta in linea\nseconda risposta",
        ),
    ],
)
def test_reply_part_finds_the_new_text(text: str, new: str) -> None:
    assert reply_part(text) == new


@pytest.mark.parametrize(
    "text",
    [
        "Solo testo nuovo, niente citazioni.",
        "Il tecnico ha scritto:\nche il contatore va sostituito.",
        "> tutto citato\n> niente di nuovo",
    ],
)
def test_reply_part_is_none_without_a_quote_or_without_new_text(text: str) -> None:
    assert reply_part(text) is None


def test_unflow_joins_soft_breaks_only() -> None:
    assert unflow("uno \ndue\ntre \n-- \nfirma") == "uno due\ntre -- \nfirma"
    assert unflow("uno \ndue", delsp=True) == "unodue"


# -- never anything but MalformedPayload ----------------------------------------------------

HEADER_NAMES = [
    "From",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "Authentication-Results",
    "Auto-Submitted",
    "Received",
]
mail_like = st.builds(
    lambda sender, headers, body: (
        (b"From: Maria <maria@example.it>\r\n" if sender else b"")
        + b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers)
        + b"\r\n"
        + body
    ),
    # Mostly with a usable sender, so that the parser gets past it to the hard parts.
    st.integers(0, 3),
    st.lists(
        st.tuples(
            st.sampled_from(HEADER_NAMES),
            st.one_of(
                st.binary(max_size=60),
                st.sampled_from(
                    [
                        b"a@b.it",
                        b"=?utf-8?B?not base64?= <a@b.it>",
                        b"multipart/mixed; boundary=x",
                        b"multipart/report; report-type=delivery-status; boundary=x",
                        b"text/plain; charset=utf-7",
                        b"text/html; charset=punycode",
                        b"base64",
                        b"quoted-printable",
                        b"attachment; filename*=utf-8''%ff%fe",
                        b"<x@y> <z",
                        b"Mon, 99 Foo 2026 25:61:61 +9999",
                    ]
                ),
            ),
        ),
        max_size=12,
    ),
    st.one_of(
        st.binary(max_size=300),
        st.just(b"--x\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d\r\n\r\nx\r\n--x--"),
        st.just(b"--x\r\nContent-Type: text/html\r\n\r\n<p><![if !x]><b>y</p>\r\n--x--"),
    ),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=400), mail_like))
def test_any_bytes_give_a_result_or_malformed_payload(raw: bytes) -> None:
    try:
        parsed = parse_mail(raw, own_addresses=["assistenza@energiachiara.it"])
    except MalformedPayload:
        return
    for message in parsed.messages:
        # Whatever came in, what goes out can be stored (PostgreSQL refuses NULs, surrogates).
        message.text.encode("utf-8")
        assert "\x00" not in message.text
        assert message.occurred_at.tzinfo is not None
        assert 0 < len(message.external_id) <= 255


# -- limits and less common shapes ------------------------------------------------------------


def test_an_attachment_over_the_storage_limit_is_noted_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from unisono.channels.email import mime

    monkeypatch.setattr(mime, "MAX_MEDIA_BYTES", 100)
    message = parse_message(eml("attachments.eml"))
    # The PNG (69 bytes) fits, the PDF does not: the mail still lands, the PDF is named.
    assert [m.filename for m in message.media] == ["contatore.png"]
    (skipped,) = message.metadata["skipped_attachments"]
    assert skipped["filename"] == "bolletta marzo 2026 – contestata.pdf"
    assert skipped["reason"] == "too large"


def test_nesting_beyond_reason_is_not_followed() -> None:
    depth = 60
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth)
    )
    closing = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)))
    raw = b"From: a@x.it\n" + opening + b"Content-Type: text/plain\n\nin fondo" + closing
    message = parse_message(raw)  # no RecursionError, no crash: just what we could reach
    assert message.identity_value == "a@x.it"


def test_reply_to_and_cc_are_kept_when_they_differ() -> None:
    message = parse_message(
        b"From: Maria <maria@example.it>\nReply-To: Ufficio <ufficio@example.it>\n"
        b"Cc: a@example.it, B <b@example.it>\n\nx\n"
    )
    assert message.metadata["reply_to"] == "ufficio@example.it"
    assert message.metadata["cc"] == ["a@example.it", "b@example.it"]
    same = parse_message(b"From: maria@example.it\nReply-To: Maria@Example.it\n\nx\n")
    assert "reply_to" not in same.metadata


def test_a_bounce_quoting_the_whole_original_message() -> None:
    # Exchange returns the full message (message/rfc822) rather than its headers.
    raw = eml("bounce_dsn.eml").replace(
        b"Content-Type: text/rfc822-headers", b"Content-Type: message/rfc822"
    )
    (status,) = parse_mail(raw).statuses
    assert status.external_id == "<177304680311.4242.8812@energiachiara.it>"
    assert status.status == DeliveryStatus.FAILED


def test_a_success_report_marks_delivered() -> None:
    raw = eml("bounce_dsn.eml").replace(b"Action: failed", b"Action: delivered")
    (status,) = parse_mail(raw).statuses
    assert status.status == DeliveryStatus.DELIVERED
    assert status.error is None
