"""The course's languages: English (the source) and French (``notebooks/fr/``).

One setting decides what the student reads at run time, :func:`language`: ``COURSE_LANG`` (``en`` or
``fr``) when set, else French when the working directory is the course's ``notebooks/fr`` folder
(Jupyter, nbval and nbconvert start a notebook's kernel in the notebook's folder, so the French
notebooks get French with code identical to the English), else English.

Every message a student meets at run time is written in English in the code and passed through
:func:`tr` (``tr("expected {n} rows", n=rows)``): in French, the English template is looked up in the
French catalogue (:mod:`helpers.i18n.fr`) and the French template is formatted with the same fields;
a message not translated yet stays English. :func:`mark` flags a constant message (defined at import
time, e.g. in a table) for the catalogue without translating it: :func:`tr` translates a field's value
when it is such a message. ``tests/test_i18n.py`` lists every message without a French version.

The French notebooks cannot drift from the English ones: :mod:`helpers.i18n.drift` compares them
and ``python -m helpers.i18n status`` / ``update-code`` report and repair (see CONTRIBUTING.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "fr")
LANG_VARIABLE = "COURSE_LANG"


def language() -> str:
    """``COURSE_LANG`` when set, else ``"fr"`` in a ``notebooks/fr`` folder, else ``"en"``.

    Raises ValueError for any other value of ``COURSE_LANG``, naming the accepted ones.
    """
    chosen = os.environ.get(LANG_VARIABLE, "").strip().lower()
    if chosen:
        if chosen not in LANGUAGES:
            raise ValueError(f"{LANG_VARIABLE}={os.environ[LANG_VARIABLE]!r} is not a course language: "
                             f"use one of {', '.join(LANGUAGES)} (or leave it unset)")
        return chosen
    return "fr" if in_french_folder(Path.cwd()) else "en"


def in_french_folder(folder: Path) -> bool:
    """True for a folder ``.../notebooks/fr`` (where the French notebooks' kernels start)."""
    return folder.name == "fr" and folder.parent.name == "notebooks"


def catalogue(lang: str) -> dict[str, str]:
    """``{English template: translated template}`` for ``lang`` (empty for English)."""
    if lang == "fr":
        from helpers.i18n.fr import MESSAGES

        return MESSAGES
    return {}


def translate_text(text: str, lang: str | None = None) -> str:
    """``text`` in ``lang`` (default :func:`language`) when the catalogue has it, else ``text`` unchanged."""
    lang = lang or language()
    return catalogue(lang).get(text, text) if lang != "en" else text


def tr(template: str, /, **fields: Any) -> str:
    """``template.format(**fields)`` in the course's language, English when not translated yet.

    ``template`` is the English message with named fields (``"{got:.6g}"``, ``"{key!r}"``); the French
    catalogue holds the same fields. A field that is a string found in the catalogue (a message
    flagged with :func:`mark`, e.g. ``"your answer"``) is translated too.
    """
    lang = language()
    if lang == "en":
        return template.format(**fields)
    table = catalogue(lang)
    shown = {key: table.get(value, value) if isinstance(value, str) else value
             for key, value in fields.items()}
    return table.get(template, template).format(**shown)


def mark(text: str) -> str:
    """``text`` unchanged: flags a constant message for the catalogue (``tr`` translates it where shown)."""
    return text
