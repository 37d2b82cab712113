"""How ReservaFlow compares e-mail addresses: one normal form for accounts and guest profiles."""


def normalize_email(value: str | None) -> str:
    """The stored form of an address: surrounding spaces dropped, lower-case.

    Accounts log in by it and profiles are found by it, so a guest typing ``Ana@Example.com``
    once and ``ana@example.com`` the next time is one person everywhere."""
    return (value or "").strip().lower()
