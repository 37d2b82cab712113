"""The Spanish catalogue is complete and its compiled form is the one committed."""

import gettext
from pathlib import Path

import polib
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"


def test_every_message_has_a_spanish_translation():
    catalogue = polib.pofile(str(LOCALE / "es/LC_MESSAGES/django.po"))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert len(catalogue.translated_entries()) > 0


def test_the_committed_mo_matches_the_po():
    """A .po edited without ``compilemessages`` would ship the old words: compare them."""
    catalogue = polib.pofile(str(LOCALE / "es/LC_MESSAGES/django.po"))
    with open(LOCALE / "es/LC_MESSAGES/django.mo", "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            for n in (1, 2, 1_000_000):
                form = entry.msgstr_plural[translations.plural(n)]
                assert translations.ngettext(entry.msgid, entry.msgid_plural, n) == form
            continue
        if entry.msgctxt:
            assert translations.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert translations.gettext(entry.msgid) == entry.msgstr, entry.msgid
