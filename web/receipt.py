"""The result page's summary of a booking, signed into its address (``?b=<token>``).

Not kept in the session: in a frame on the restaurant's own site the browser does not send
the session cookie, so the page after the redirect would find nothing. The token holds only
what the page shows (no name, no e-mail, no manage token), is signed with SECRET_KEY under
its own salt, so no other signed value of the service can stand for it, and lapses after
MAX_AGE; a bad, lapsed or another restaurant's token sends the guest back to the form.
"""

from datetime import date, datetime, time, timedelta

from django.core import signing

SALT = "reservaflow.web.booking-receipt"
MAX_AGE = timedelta(days=2)


def receipt_token(*, restaurant_id: int, booking) -> str:
    return signing.dumps(
        {
            "restaurant_id": restaurant_id,
            "date": booking.reservation_date.isoformat(),
            "time": f"{booking.reservation_time:%H:%M}",
            "party_size": booking.party_size,
            "expires_at": booking.expires_at.isoformat(),
        },
        salt=SALT,
        compress=True,
    )


def receipt_read(token: str, *, restaurant_id: int) -> dict | None:
    """The summary signed into ``token`` for this restaurant, typed; None when the token is
    not one of ours, has lapsed, or is another restaurant's."""
    try:
        done = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # SignatureExpired too
        return None
    if not isinstance(done, dict) or done.get("restaurant_id") != restaurant_id:
        return None
    return {
        "day": date.fromisoformat(done["date"]),
        "time": time.fromisoformat(done["time"]),
        "party_size": done["party_size"],
        "expires_at": datetime.fromisoformat(done["expires_at"]),
    }
