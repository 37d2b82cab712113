"""The time zones a restaurant may be given: the canonical IANA names, and ``UTC``.

``zoneinfo.available_timezones()`` lists every file of the zone database: besides the zones
it holds backward-compatible links (``US/Eastern``, ``Asia/Calcutta``, ``Europe/Kiev``),
legacy POSIX-style rules (``EST5EDT``), fixed offsets with inverted signs (``Etc/GMT+5`` is
UTC-5), ``Factory`` and, from the system's copy, ``localtime`` (whatever the server's clock
says). The accepted names are those of tzdata's ``zone.tab`` (one zone per country, so
``Europe/Amsterdam`` and ``Europe/Oslo`` stay even where the data merged them into another
zone) and ``zone1970.tab`` (every zone that differs since 1970), plus ``UTC``; each is one a
person picks from a list, and each also loads with ``zoneinfo``. The tables come from the
``tzdata`` package, so the list is the same on every host.
"""

import zoneinfo
from functools import cache
from importlib import resources

UTC = "UTC"
NON_CANONICAL_MESSAGE = (
    "Must be a canonical IANA time zone name such as Europe/Madrid, America/New_York or UTC "
    "(not an alias such as US/Eastern, nor localtime)."
)
ZONE_TABLES = ("zone.tab", "zone1970.tab")


def _names_in(table: str) -> set[str]:
    text = resources.files("tzdata").joinpath("zoneinfo", table).read_text(encoding="utf-8")
    # Columns: country code(s), coordinates, zone name, comment; '#' starts a comment line.
    return {
        line.split("\t")[2].strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    }


@cache
def canonical_timezones() -> frozenset[str]:
    names = {UTC}.union(*(_names_in(table) for table in ZONE_TABLES))
    return frozenset(names & zoneinfo.available_timezones())


def is_canonical_timezone(name: object) -> bool:
    return isinstance(name, str) and name in canonical_timezones()
