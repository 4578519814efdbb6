"""The pages' languages (issue 13, web): every string of the templates and the web code has a
French and a Ukrainian translation, a page in Ukrainian holds no English sentence of the
catalogue, and the language is the user's choice, else the browser's, else English."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from dronefab.web import i18n

from .conftest import World, browser, signed_in

WEB = Path(i18n.__file__).parent
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def source_messages() -> set[str]:
    """Every msgid of the web code and templates, extracted as babel.cfg says."""
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(WEB), METHODS, OPTIONS):
        found.update(message if isinstance(message, tuple) else (message,))
    return {m for m in found if m}


def test_the_extraction_finds_the_pages_strings() -> None:
    messages = source_messages()
    assert {"Sign in", "Record a completion", "Wrong user name or password."} <= messages


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_every_string_has_a_translation(language: str) -> None:
    words = i18n.translator(language).messages
    missing = sorted(m for m in source_messages() if not words.get(m, "").strip())
    assert missing == [], f"untranslated in {language}: {missing}"


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    for message, text in i18n.translator(language).messages.items():
        assert sorted(_placeholders(message)) == sorted(_placeholders(text)), message


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\([a-z]+\)[sd]", text)


def english_sentences() -> set[str]:
    """The catalogue's messages of two words or more whose Ukrainian differs (a sentence of it
    on a Ukrainian page is a string left in English)."""
    uk = i18n.translator("uk").messages
    return {m for m in source_messages() if " " in m and uk.get(m) != m and "%(" not in m}


@pytest.mark.parametrize(
    ("org", "path"),
    [("prog", "/"), ("opa", "/sites/north"), ("prog", "/trace?serial=N1"),
     ("prog", "/recall?item=cell&lot=C1"), ("guard", "/deliveries"), ("fund", "/sites/hub")],
)  # fmt: skip
def test_a_page_in_ukrainian_holds_no_english_sentence(
    api_world: World, org: str, path: str
) -> None:
    client = signed_in(api_world, org, "supervisor", language="uk")
    html = client.get(path).text
    left = sorted(m for m in english_sentences() if m in html)
    assert left == []
    assert 'lang="uk"' in html


def test_the_sign_in_page_follows_the_browser_then_the_choice(api_world: World) -> None:
    client = browser(api_world, language="de-DE, fr;q=0.8, uk;q=0.5")
    assert "Se connecter" in client.get("/login").text
    chosen = client.get("/language?lang=uk&next=/login")
    assert chosen.status_code == 303 and chosen.headers["location"] == "/login"
    assert "Увійти" in client.get("/login").text
    ignored = client.get("/language?lang=xx&next=//evil.example")
    assert ignored.headers["location"] == "/"
    assert "Увійти" in client.get("/login").text


def test_english_is_the_fallback(api_world: World) -> None:
    assert "Sign in" in browser(api_world, language="de, pl;q=0.5").get("/login").text
    assert "Sign in" in browser(api_world).get("/login").text


def test_accept_language_is_read_by_its_weights() -> None:
    assert i18n.preferred("fr;q=0.2, uk-UA, en;q=0.9, de;q=0") == ["uk-ua", "en", "fr"]
    assert i18n.preferred("fr;q=zz, en") == ["en"]
    assert i18n.choose(None, "uk-UA,uk;q=0.9") == "uk"
    assert i18n.choose("fr", "uk") == "fr"
    assert i18n.choose("xx", "pl") == "en"


def test_a_language_catalogue_split_in_files_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    for name, word in (("messages.po", "Sign in"), ("plan.po", "Plan")):
        (folder / name).write_text(
            f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
            f'msgid "{word}"\nmsgstr "{word} (fr)"\n',
            encoding="utf-8",
        )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translator.cache_clear()
    try:
        words = i18n.translator("fr").messages
    finally:
        i18n.translator.cache_clear()
    assert words == {"Sign in": "Sign in (fr)", "Plan": "Plan (fr)"}
