"""The pages' languages: English (the source text), French and Ukrainian, from gettext catalogues.

The catalogues are the ``.po`` files under ``web/locale/`` (extracted with Babel from the
templates and the web code by ``babel.cfg``), read once at start-up: no compiled ``.mo`` file
to keep in step with its source. A language's catalogue may be split by page family
(``messages.po``, ``plan.po``, ...): every ``.po`` file of its folder is read, in name order. A page's language is the user's choice (a cookie set by the
language chooser), else the best match of the browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
"""Where the catalogues are: ``LOCALE_DIR/<language>/LC_MESSAGES/*.po``."""

LANGUAGES = {"en": "English", "fr": "Français", "uk": "Українська"}
"""The languages of the pages, each named in itself (as the chooser shows it)."""

DEFAULT = "en"
TRANSLATED = ("fr", "uk")
"""The languages with a catalogue (English is the catalogues' source text)."""

COOKIE = "dronefab_lang"
"""The cookie holding the user's chosen language."""


@dataclass(frozen=True)
class Translator:
    """One language's translations: :meth:`gettext` answers the source text where a message
    has none (the untranslated-string test sees to it that none lacks one)."""

    language: str
    messages: dict[str, str]

    def gettext(self, message: str) -> str:
        """``message`` in this language."""
        return self.messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """``singular`` or ``plural`` (as ``n`` asks) in this language (one plural form per
        catalogue entry: the pages word their counts so that none needs more)."""
        return self.gettext(singular if n == 1 else plural)


def catalogue_path(language: str) -> Path:
    """The main ``.po`` file of ``language`` (the pages common to every family)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def catalogue_paths(language: str) -> list[Path]:
    """Every ``.po`` file of ``language``, in name order (one page family each)."""
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


@cache
def translator(language: str) -> Translator:
    """The :class:`Translator` of ``language`` (English, or one unknown: the source text)."""
    if language not in TRANSLATED:
        return Translator(DEFAULT, {})
    messages: dict[str, str] = {}
    for path in catalogue_paths(language):
        with path.open("rb") as handle:
            catalog = read_po(handle)
        messages.update(
            (str(m.id), str(m.string))
            for m in catalog
            if m.id and isinstance(m.id, str) and isinstance(m.string, str) and not m.fuzzy
        )
    return Translator(language, messages)


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The page's language: the chosen one (``cookie``) if it is one of :data:`LANGUAGES`, else
    the browser's preferred one we have (``Accept-Language``, by its q-values), else English."""
    if cookie in LANGUAGES:
        return cookie
    for tag in preferred(accept_language or ""):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT


def preferred(header: str) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (q=0 left out;
    a malformed part is ignored, as browsers expect)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:50]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, index, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]
