"""The teaser rule: when an article's best text is too thin to judge omissions on.

Usage::

    is_thin("Dock workers stayed away for a third day.")    # True

``v_articles.thin`` computes the same rule in SQL (see ``models.VIEWS``); a test checks
that the two agree. The comparator treats thin articles as low-confidence evidence: an
outlet whose feed gives a one-line teaser has not "left out" what the teaser lacks.
"""

from __future__ import annotations

#: Thin below this many words (runs between spaces and line breaks)...
THIN_WORDS = 60
#: ...or, for scripts written without spaces (more than this many characters per
#: "word", as in Chinese or Japanese), below THIN_CHARS characters.
CJK_CHARS_PER_WORD = 20
THIN_CHARS = 200


def word_count(text: str) -> int:
    """Words as the rule counts them: stored texts are clean_text'ed (no tabs, no runs)."""
    return text.count(" ") + text.count("\n") + 1


def is_thin(text: str) -> bool:
    """Fewer than THIN_WORDS words; for unspaced scripts, fewer than THIN_CHARS characters."""
    words = word_count(text)
    if words * CJK_CHARS_PER_WORD < len(text):
        return len(text) < THIN_CHARS
    return words < THIN_WORDS
