"""The query language of ``narratives search``: a friendly subset of FTS5's, translated.

Usage::

    fts_query('harbour "air strike" sanction*')   # -> the FTS5 MATCH text
    fts_query('"unclosed')                        # SearchQueryError: what is wrong, and the fix

Words (all must match), ``"exact phrases"``, ``prefix*``, ``AND``/``OR``/``NOT`` (upper
case), parentheses, ``NEAR(a b, 10)``, and ``title:`` / ``text:`` to look in one column.
Words with punctuation (``state-run``, ``O'Neil``) are searched as phrases instead of
being read as FTS5 syntax; fragments without a word (``&``) are dropped, asking FTS5's own
tokenizer what a word is.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass

from .errors import QueryError

TOKENIZER = "unicode61 remove_diacritics 2"
#: Words that end in * must have at least this many letters before it: "a*" would merge
#: the doclists of thousands of words (FTS5 merges them all before the first row).
MIN_PREFIX = 3
COLUMNS = ("title", "text")


class SearchQueryError(QueryError):
    """The search query cannot be read. The message says what is wrong and how to write it (exit 2)."""


# --- the query language ------------------------------------------------------------

_BAREWORD = re.compile(r"[A-Za-z0-9_\x1a\x80-\U0010ffff]+")
_OPERATORS = ("AND", "OR", "NOT")
QUERY_HELP = ('Fix: quote words you mean literally ("not", "state-run"); operators are AND, OR, NOT '
        'in capitals between two words or phrases, e.g. strike NOT port')


@dataclass
class _Token:
    kind: str  # phrase | op | ( | ) | near
    value: str  # the FTS5 text to emit
    at: int  # character offset in the user's query, for messages
    shown: str  # what the user wrote


_probe_lock = threading.Lock()


@functools.cache
def _probe() -> sqlite3.Connection | None:
    """An in-memory FTS5 table with the index's tokenizer, to ask it what a string holds."""
    try:
        con = sqlite3.connect(":memory:", check_same_thread=False)
        con.execute(f"CREATE VIRTUAL TABLE probe USING fts5(x, tokenize='{TOKENIZER}')")
        con.execute("CREATE VIRTUAL TABLE probe_words USING fts5vocab(probe, 'row')")
    except sqlite3.Error:
        return None
    return con


def has_words(words: str) -> bool:
    """Whether the tokenizer finds any word in ``words``.

    A phrase without words ("-", "&") must not reach FTS5: joined with AND it matches
    nothing, and the whole query with it.
    """
    con = _probe()
    if con is None:  # no FTS5 here; search will say so
        return any(ch.isalnum() for ch in words)
    with _probe_lock:
        con.execute("DELETE FROM probe")
        con.execute("INSERT INTO probe (x) VALUES (?)", (words,))
        return con.execute("SELECT COUNT(*) FROM probe_words").fetchone()[0] > 0


def _phrase(words: str, prefix: bool) -> str | None:
    """An FTS5 string for ``words``; None when it holds no words at all."""
    if not has_words(words):
        return None
    body = words if _BAREWORD.fullmatch(words) else '"' + words.replace('"', '""') + '"'
    return body + (" *" if prefix and body.endswith('"') else "*" if prefix else "")


def _check_prefix(word: str, at: int, query: str) -> None:
    letters = re.findall(r"\w+", word)
    if not letters or len(letters[-1]) < MIN_PREFIX:
        raise SearchQueryError(
            f"search: the prefix {word + '*'!r} at character {at + 1} of {query!r} is too short. "
            f"Fix: give at least {MIN_PREFIX} letters before the *, e.g. sanction*")


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    column: str | None = None  # a title:/text: waiting for its phrase or group
    column_at = 0
    i, n = 0, len(query)

    def add(kind: str, value: str, at: int, shown: str) -> None:
        nonlocal column
        if column is not None:
            if kind not in ("phrase", "(", "near"):
                raise SearchQueryError(
                    f"search: {column}: at character {column_at + 1} of {query!r} is not followed by a "
                    f"word, phrase or group. Fix: write {column}:strike, {column}:\"harbour strike\" "
                    f"or {column}:(strike OR walkout)")
            value = f"{column} : {value}"
            column = None
        tokens.append(_Token(kind, value, at, shown))

    while i < n:
        ch = query[i]
        if ch.isspace() or unicodedata.category(ch) == "Cc":
            i += 1
        elif ch == '"':
            j, parts = i + 1, []
            while True:
                k = query.find('"', j)
                if k < 0:
                    raise SearchQueryError(
                        f"search: unbalanced quote in {query!r}: the phrase opened at character "
                        f"{i + 1} is never closed. Fix: close it (\"harbour strike\") or drop the "
                        "quote; to search for a quote character itself, double it (\"\")")
                parts.append(query[j:k])
                if query.startswith('"', k + 1):  # "" inside a phrase: a literal quote
                    parts.append('"')
                    j = k + 2
                    continue
                j = k + 1
                break
            prefix = query.startswith("*", j) or query[j:].lstrip(" ").startswith("*")
            if prefix:
                j = query.index("*", j) + 1
                while query.startswith("*", j):
                    j += 1
                _check_prefix("".join(parts), i, query)
            words = "".join(parts)
            if has_words(words):
                add("phrase", '"' + words.replace('"', '""') + '"' + (" *" if prefix else ""),
                    i, query[i:j])
            elif column is not None:
                column = None  # title:"" filters nothing: drop both
            i = j
        elif ch in "(),":
            add(ch, ch, i, ch)
            i += 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '"(),' \
                    and unicodedata.category(query[j]) != "Cc":
                j += 1
            word = query[i:j]
            head, sep, rest = word.partition(":")
            if sep and head.lower() in COLUMNS and column is None:
                column, column_at = head.lower(), i
                if rest:
                    word, i = rest, i + len(head) + 1
                else:
                    i = j
                    continue
            if word in _OPERATORS:
                add("op", word, i, word)
            elif word == "NEAR" and query.startswith("(", j):
                add("near", "NEAR", i, word)
            elif word.startswith("-") and len(word) > 1 and word[1:2].isalnum():
                raise SearchQueryError(
                    f"search: {word!r} in {query!r}: a leading minus does not exclude a word here. "
                    f"Fix: use NOT between two terms, e.g. strike NOT {word[1:]}; to search for "
                    f"the text itself, quote it: \"{word}\"")
            else:
                prefix = word.endswith("*")
                stem = word.rstrip("*")
                if prefix:
                    if not stem.strip():
                        if tokens and tokens[-1].kind == "phrase" and not tokens[-1].value.endswith("*"):
                            last = tokens[-1]  # `word *` and `"a phrase" *`
                            _check_prefix(last.shown.strip('"'), last.at, query)
                            last.value += " *" if last.value.endswith('"') else "*"
                        i = j
                        continue
                    _check_prefix(stem, i, query)
                value = _phrase(stem, prefix)
                if value is not None:
                    add("phrase", value, i, word)
            i = j
    if column is not None:
        raise SearchQueryError(f"search: {column}: at the end of {query!r} has nothing to look for. "
                               f"Fix: write {column}:strike or {column}:\"harbour strike\"")
    return tokens


def _near(tokens: list[_Token], k: int, query: str) -> tuple[str, int]:
    """NEAR(phrase phrase ..., N) from tokens[k] (the NEAR); returns its text and the next index."""
    start = tokens[k]
    bad = SearchQueryError(
        f"search: NEAR at character {start.at + 1} of {query!r} is not NEAR(word word, N). "
        "Fix: e.g. NEAR(strike port, 10): two or more words or phrases, then optionally a comma "
        "and how many words apart at most")
    k += 2  # NEAR (
    phrases: list[str] = []
    distance = ""
    while k < len(tokens) and tokens[k].kind == "phrase":
        phrases.append(tokens[k].value)
        k += 1
    if k < len(tokens) and tokens[k].kind == ",":
        k += 1
        if k < len(tokens) and tokens[k].kind == "phrase" and tokens[k].value.isdigit():
            distance = ", " + tokens[k].value
            k += 1
        else:
            raise bad
    if k >= len(tokens) or tokens[k].kind != ")" or len(phrases) < 2:
        raise bad
    return f"NEAR({' '.join(phrases)}{distance})", k + 1


def fts_query(query: str) -> str:
    """The FTS5 MATCH expression for a user's query; raises SearchQueryError if unreadable."""
    tokens = _lex(query)
    out: list[str] = []
    depth = 0
    expect_operand = True
    last: _Token | None = None
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        if tok.kind in ("phrase", "near", "("):
            if not expect_operand:
                out.append("AND")  # FTS5 wants an explicit AND before a group
            if tok.kind == "near":
                value, k = _near(tokens, k, query)
                out.append(value)
                expect_operand, last = False, tok
                continue
            out.append(tok.value)
            if tok.kind == "(":
                depth += 1
                expect_operand = True
            else:
                expect_operand = False
        elif tok.kind == "op":
            if expect_operand:
                where = ("at the start" if last is None else
                         "right after (" if last.kind == "(" else f"right after {last.shown}")
                raise SearchQueryError(
                    f"search: {tok.shown} {where} of {query!r} has nothing on its left. {QUERY_HELP}")
            out.append(tok.value)
            expect_operand = True
        elif tok.kind == ")":
            if depth == 0:
                raise SearchQueryError(
                    f"search: unbalanced parentheses in {query!r}: the ) at character {tok.at + 1} "
                    "closes nothing. Fix: remove it or add the ( it closes")
            if expect_operand:
                what = ("empty parentheses ()" if last is not None and last.kind == "("
                        else f"{last.shown if last else ''} right before )")
                raise SearchQueryError(f"search: {what} in {query!r}. {QUERY_HELP}")
            depth -= 1
            out.append(")")
        else:  # a comma outside NEAR(): punctuation
            k += 1
            continue
        last = tok
        k += 1
    if depth:
        raise SearchQueryError(f"search: unbalanced parentheses in {query!r}: {depth} ( not closed. "
                               "Fix: add the missing )")
    if expect_operand and last is not None and last.kind == "op":
        raise SearchQueryError(
            f"search: {last.shown} at the end of {query!r} has nothing on its right. {QUERY_HELP}")
    if not out:
        raise SearchQueryError(f"search: {query!r} has no words to look for. Fix: give at least "
                               "one word, e.g. narratives search \"harbour strike\"")
    return " ".join(out)


