"""Every survivor-facing word is marked and has its Spanish.

Two checks, both without a database:
- every survivor-facing template (emails and texts included) holds no words
  outside {% translate %} / {% blocktranslate %}: its plain text and the
  attributes a reader or a screen reader meets (aria-label, title,
  placeholder, alt) are scanned;
- the Spanish catalog is complete: `makemessages`, run on a copy of the
  code, finds no string the committed locale/es/.../django.po lacks or has
  left over, and no entry is empty or fuzzy.
"""

import html
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"

# What a survivor reads. Staff pages (followup/'s nurse pages, rules/,
# staff/, admin/) stay English for now (issue 16); the nurses' escalation
# email and text go to staff.
SURVIVOR_TEMPLATES = [
    "base.html",
    "400.html",
    "403.html",
    "403_csrf.html",
    "404.html",
    "500.html",
    "_help_line.html",
    "_form_errors.html",
    "_pagination.html",
    "tracker/**/*.html",
    "registration/**/*.html",
    "mfa/**/*.html",
    "emails/*.txt",
    "emails/*.html",
    "sms/*.txt",
    "followup/preferences.html",
    "followup/flag_contacted.html",
    "followup/_notice_text.html",
    "followup/_duration_field.html",
]
STAFF_ONLY = {
    "emails/escalation-body.html",
    "emails/escalation-body.txt",
    "emails/escalation-subject.txt",
    "sms/escalation.txt",
}

# Attributes whose words a person reads or hears.
READ_ATTRIBUTES = {"aria-label", "aria-description", "title", "placeholder", "alt"}
# Words that are the same in both languages.
NEUTRAL = {"kg", "lb", "ok", "pdf", "ics", "sms", "email", "e-mail", "mfa", "id"}
WORD = re.compile(r"[^\W\d_]{2,}")
HOLE = "\x00"  # where a template tag or variable stood


def survivor_templates() -> list[Path]:
    found: set[Path] = set()
    for pattern in SURVIVOR_TEMPLATES:
        found.update(TEMPLATES.glob(pattern))
    return sorted(p for p in found if str(p.relative_to(TEMPLATES)) not in STAFF_ONLY)


def residual(source: str) -> str:
    """The template's own text: tags and variables become holes; what is
    inside {% blocktranslate %} and {% comment %} is dropped."""
    out: list[str] = []
    skip_until: str | None = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if skip_until:
                if name == skip_until:
                    skip_until = None
                continue
            if name in ("blocktranslate", "blocktrans"):
                skip_until = "end" + name
            elif name == "comment":
                skip_until = "endcomment"
            out.append(HOLE)
        elif skip_until:
            continue
        elif token.token_type == TokenType.TEXT:
            out.append(token.contents)
        else:
            out.append(HOLE)
    return "".join(out)


class _Words(HTMLParser):
    """Collects the text a person reads: data outside <script> and <style>,
    and the read attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.pieces.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.pieces.append(data)


def untranslated(source: str, plain_text: bool) -> list[str]:
    text = residual(source)
    if plain_text:
        pieces = [text]
    else:
        parser = _Words()
        parser.feed(text)
        parser.close()
        pieces = parser.pieces
    found = []
    for piece in pieces:
        for part in html.unescape(piece).split(HOLE):
            words = [w for w in WORD.findall(part) if w.lower() not in NEUTRAL]
            if words:
                found.append(" ".join(part.split())[:80])
    return found


@pytest.mark.parametrize("path", survivor_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_it_marks_every_word_of_a_survivor_template(path: Path) -> None:
    found = untranslated(path.read_text(), plain_text=path.suffix == ".txt")
    assert not found, f"{path.relative_to(TEMPLATES)}: words outside {{% translate %}}: {found}"


def test_the_template_check_can_fail() -> None:
    assert untranslated("<p>Hello {{ name }}</p>", plain_text=False) == ["Hello"]
    assert untranslated('<button aria-label="Close">&times;</button>', plain_text=False) == ["Close"]
    assert untranslated("{% load i18n %}<p>{% translate 'Hello' %}</p>", plain_text=False) == []
    assert untranslated("{% blocktranslate %}Hi {{ n }}{% endblocktranslate %}", plain_text=True) == []
    assert untranslated("<script>let a = 'word';</script><p>12 kg</p>", plain_text=False) == []
    assert untranslated("{% comment %}Notes for us{% endcomment %}Due {{ when }}", plain_text=True) == ["Due"]


def test_it_covers_the_survivor_pages() -> None:
    names = {str(p.relative_to(TEMPLATES)) for p in survivor_templates()}
    assert {
        "tracker/checkin_form.html",
        "registration/login.html",
        "emails/reminder-body.txt",
        "sms/reminder.txt",
    } <= names
    assert "emails/escalation-body.txt" not in names


def _entries(po: polib.POFile) -> dict[tuple[str | None, str], polib.POEntry]:
    return {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}


def test_the_spanish_catalog_is_complete_and_current(tmp_path: Path) -> None:
    committed = polib.pofile(str(PO))
    problems = [f"fuzzy: {e.msgid!r}" for e in committed if "fuzzy" in e.flags and e.msgid]
    problems += [f"untranslated: {e.msgid!r}" for e in committed.untranslated_entries()]

    # makemessages on a copy, so the committed catalog is never rewritten by a test.
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", "node_modules", "var", ".git", "bench", "tests", "*.mo", "__pycache__"),
        symlinks=True,
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "es", "--no-obsolete", "--add-location", "file"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    fresh = _entries(polib.pofile(str(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")))
    mine = _entries(committed)
    problems += [f"missing (run `make messages`): {key[1]!r}" for key in fresh.keys() - mine.keys()]
    problems += [f"no longer in the code: {key[1]!r}" for key in mine.keys() - fresh.keys()]
    assert not problems, "\n".join(problems[:40]) + (
        f"\n... and {len(problems) - 40} more" if len(problems) > 40 else ""
    )
