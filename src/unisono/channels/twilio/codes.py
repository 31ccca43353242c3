"""Twilio's error codes that operators meet most, with what they mean and what to do.

Titles are Twilio's own (https://www.twilio.com/docs/api/errors/{code}); the advice says what the
operator can do about it. Codes not listed are still shown, with the link to Twilio's page.
"""

from __future__ import annotations

ERRORS: dict[str, tuple[str, str | None]] = {
    # Sending (the API refuses the message at once).
    "20003": ("Authentication error", "check the channel's account_sid and auth_token"),
    "20429": ("Too many requests", None),
    "21211": ("Invalid 'To' phone number", "check the customer's phone number"),
    "21408": (
        "Permission to send an SMS has not been enabled for the region of the 'To' number",
        "enable the country in Twilio's geographic permissions",
    ),
    "21602": ("Message body is required", None),
    "21606": (
        "The 'From' phone number is not a valid message-capable Twilio number for this account",
        "check the channel's from_number",
    ),
    "21610": (
        "Attempt to send to unsubscribed recipient",
        "the customer replied STOP; they must text START before they can receive SMS again",
    ),
    "21614": ("'To' number is not a valid mobile number", "a landline: call or write instead"),
    "21617": ("The concatenated message body exceeds the 1600 character limit", "shorten it"),
    "21635": ("'To' number cannot be a landline", "a landline: call or write instead"),
    # Delivery (reported later by a status callback).
    "30001": ("Queue overflow", "too many messages at once; they will be sent again"),
    "30002": ("Account suspended", "check the Twilio account"),
    "30003": (
        "Unreachable destination handset",
        "the phone is off or out of coverage; try again later or use another channel",
    ),
    "30004": ("Message blocked", "the recipient blocked messages from this number"),
    "30005": ("Unknown destination handset", "the number does not exist any more"),
    "30006": ("Landline or unreachable carrier", "a landline: call or write instead"),
    "30007": ("Message filtered", "the carrier filtered it as unwanted"),
    "30008": ("Unknown error", "try again later"),
    # Recordings.
    "16101": ("Recording too short", None),
    "16102": ("Recording is silent", None),
}


def describe_code(code: str, message: str | None = None) -> str:
    """``"30003 Unreachable destination handset (advice)"``, or Twilio's message for others."""
    code = code.strip()
    known = ERRORS.get(code)
    if known is None:
        detail = message or f"see https://www.twilio.com/docs/api/errors/{code}"
        return f"{code} {detail}".strip()
    title, advice = known
    return f"{code} {title}" + (f" ({advice})" if advice else "")
