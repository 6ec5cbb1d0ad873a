"""The term language of facts.yaml: words, inflection, and terms as token patterns (pure).

Usage::

    parse_term("air strike")     # (Pattern(...),): matches "air strikes", "air-strike", "airstrike"
    inflections("bomb")          # bombs, bombed, bombing, ...

A term is plain text, never a regular expression (facts.yaml's header explains it to
researchers). ``parse_term`` turns one into ``Pattern``s over word tokens:

- case-insensitive; a word written in capitals (``US``, ``IDF``, ``ВКС``) is an acronym and
  matches only in capitals, so "US" never matches "us";
- whole words only ("Russian" is not in "Prussian"); an apostrophe ends a word, so
  possessives match ("Russia's", "Russians'");
- English inflection of Latin-script words of 3+ letters: -s/-es/-ies, -d/-ed/-ied, -ing
  with final-e drop and optional consonant doubling (bomb -> bombed, strike -> striking,
  shell -> shelling, target -> targeted/targetted). Irregular forms (struck, fled) are
  listed as terms of their own. Suffixes are only ever added, never removed. A number
  takes a plural "s", as model names do ("Su-24" matches "Su-24s", "F-16" "F-16s");
- a space or hyphen between words matches any white space, a hyphen or en dash, or the
  words written together: "air strike" = "air-strike" = "airstrike" (and inflections);
- ``...`` between two words matches up to ``GAP_WORDS`` words of the same clause
  ("according to ... hospital" = "according to Nasser hospital", not across a comma);
- ``word*`` matches every word starting with ``word`` (for Russian and Arabic endings:
  ``авиаудар*``); a trailing ``=`` switches inflection off (``mine=``);
- text and terms are folded alike: Unicode NFC, diacritics dropped where they do not
  compose (Arabic harakat), ё -> е, Arabic alef forms -> ا, ى -> ي; an Arabic word may
  carry a proclitic (و ف ب ل ك, ال, لل) in the text without the term listing it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

# --------------------------------------------------------------------------- tokens


@cache
def _unicode() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(word splitter, combining mark) regexes; built on first use, as listing the
    combining marks of the Basic Multilingual Plane takes ~50 ms."""
    ranges: list[list[int]] = []
    for cp in range(0x300, 0x10000):
        if unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me") or cp in (0x200C, 0x200D):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    marks = "\u00ad" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)
    # Words are runs of letters and digits with their combining marks; everything else separates.
    return re.compile(f"((?:[^\\W_]|[{marks}])+)"), re.compile(f"[{marks}]")


_SPLIT_ASCII = re.compile(r"([A-Za-z0-9]+)")  # the word splitter for ASCII text, twice as fast
_FOLD = str.maketrans({"ё": "е", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "\u0640": None})
_ARABIC_PROCLITICS = ("وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")

SEPARATORS = {  # how the gap between two words of a term may be written in the text
    "space": re.compile(r"\s+|\s*[-\u2010\u2011\u2012\u2013]\s*"),
    "apostrophe": re.compile(r"['\u2019\u02bc]\s*"),
    "period": re.compile(r"\.[-\u2010\u2011]?\s*"),  # "U.S. forces", "U.S.-made"
}
#: ``...`` between two words of a term: up to this many words of the same clause between them
#: ("according to ... hospital" matches "according to Nasser hospital" and "according to the
#: city's main hospital", not across a comma).
GAP_WORDS = 4
_CLAUSE_END = re.compile(r"[,;:()\u2014\u2013]|\s-\s")


def normalise(word: str) -> str:
    """The folded form of one word, as terms and text are compared."""
    if word.isascii():
        return word.lower()
    # lower() before dropping marks: "İ".lower() is "i" plus a combining dot
    return _unicode()[1].sub("", unicodedata.normalize("NFC", word).lower()).translate(_FOLD)


def variants(norm: str) -> tuple[str, ...]:
    """A folded word and, for Arabic, the word without each proclitic it may start with."""
    if not norm or not "\u0600" <= norm[0] <= "\u06ff":
        return (norm,)
    return (
        norm,
        *(norm[len(p) :] for p in _ARABIC_PROCLITICS if norm.startswith(p) and len(norm) - len(p) >= 2),
    )


@dataclass(slots=True)
class Tokens:
    """A text cut into words: ``raw[i]`` as written, ``words[i]`` folded, ``alts[i]`` further
    folded variants of word i (Arabic without proclitics), ``gaps[i]`` the text between word i
    and word i + 1."""

    raw: list[str]
    words: list[str]
    alts: dict[int, tuple[str, ...]]
    gaps: list[str]

    @classmethod
    def of(cls, text: str) -> Tokens:
        if text.isascii():
            parts = _SPLIT_ASCII.split(text)
            return cls(parts[1::2], _SPLIT_ASCII.split(text.lower())[1::2], {}, parts[2:-1:2])
        parts = _unicode()[0].split(text)
        raw = parts[1::2]
        words, alts = [], {}
        for i, w in enumerate(raw):
            folded = variants(normalise(w))
            words.append(folded[0])
            if len(folded) > 1:
                alts[i] = folded[1:]
        return cls(raw, words, alts, parts[2:-1:2])

    def forms(self, i: int) -> tuple[str, ...]:
        """Every folded variant of word i."""
        return (self.words[i], *self.alts[i]) if i in self.alts else (self.words[i],)

    def possessive(self, i: int) -> bool:
        """Whether word i is the "s" of a possessive ("regime's") with a word after it."""
        return 0 < i < len(self.words) - 1 and self.words[i] == "s" and self.gaps[i - 1] in _APOSTROPHES

    def text(self, start: int, end: int) -> str:
        """Words start..end-1 with the gaps between them, as written."""
        return "".join(
            w + g for w, g in zip(self.raw[start:end], self.gaps[start : end - 1] + [""], strict=True)
        )


# --------------------------------------------------------------------------- inflection

_VOWELS = frozenset("aeiou")


def _latin(word: str) -> bool:
    return word.isalpha() and all(c < "\u0250" for c in word)


def inflections(word: str) -> frozenset[str]:
    """The folded word and its English inflections (see the module docstring).

    >>> sorted(inflections("strike"))
    ['strike', 'striked', 'strikes', 'striking']
    """
    w = word
    if w.isdigit():  # the number of a model name: "Su-24s"
        return frozenset({w, w + "s"})
    if len(w) < 3 or not _latin(w):
        return frozenset({w})
    forms = {w}
    consonant_y = w.endswith("y") and w[-2] not in _VOWELS
    if consonant_y:
        forms |= {w[:-1] + "ies", w[:-1] + "ied", w + "ing"}
    else:
        forms.add(w + "es" if w.endswith(("s", "x", "z", "ch", "sh", "o")) else w + "s")
        if w.endswith("o"):
            forms.add(w + "s")
        forms.add(w + "d" if w.endswith("e") else w + "ed")
        if w.endswith("ie"):
            forms.add(w[:-2] + "ying")
        elif w.endswith("e") and not w.endswith(("ee", "oe", "ye")):
            forms.add(w[:-1] + "ing")
        else:
            forms.add(w + "ing")
        # consonant-vowel-consonant: double the consonant, or not (targeted, shelled, banned)
        if w[-1] not in _VOWELS and w[-1] not in "wxy" and w[-2] in _VOWELS and w[-3] not in _VOWELS:
            forms |= {w + w[-1] + "ed", w + w[-1] + "ing"}
    return frozenset(forms)


# --------------------------------------------------------------------------- terms


class TermError(ValueError):
    """A term that cannot be compiled: ``what`` is wrong, ``fix`` says how to write it."""

    def __init__(self, what: str, fix: str):
        super().__init__(f"{what}. Fix: {fix}")
        self.what, self.fix = what, fix


@dataclass(frozen=True)
class Word:
    """One word of a term: a set of folded forms, or a stem (``авиаудар*``)."""

    forms: frozenset[str]
    stem: str | None = None
    acronym: bool = False  # written in capitals: matches only in capitals

    def accepts(self, tokens: Tokens, i: int) -> bool:
        """Whether word i of ``tokens`` is this word."""
        if self.stem is not None:
            return any(f.startswith(self.stem) for f in tokens.forms(i))
        if self.acronym:
            raw = tokens.raw[i]
            return tokens.words[i] in self.forms and (
                raw.isupper() or (raw[-1] == "s" and raw[:-1].isupper() and len(raw) > 3)
            )
        return tokens.words[i] in self.forms or (
            i in tokens.alts and not self.forms.isdisjoint(tokens.alts[i])
        )


@dataclass(frozen=True)
class Pattern:
    """A sequence of words and the kind of gap between each pair (``SEPARATORS`` keys)."""

    words: tuple[Word, ...]
    gaps: tuple[str, ...]

    def match(self, tokens: Tokens, i: int) -> int | None:
        """End (exclusive) of a match starting at token i, or None. A word inside the term may
        carry a possessive in the text: "regime aircraft" matches "the regime's aircraft"."""
        return self._from(tokens, i, 0)

    def _from(self, tokens: Tokens, j: int, k: int) -> int | None:
        """Match words k.. of the term, word k at token j (the gap before it already passed)."""
        while True:
            if not self.words[k].accepts(tokens, j):
                return None
            j, k = j + 1, k + 1
            if k == len(self.words):
                return j
            if j >= len(tokens.raw):
                return None
            if self.gaps[k - 1] == "any":  # "according to ... hospital": the rest after a few words
                for skip in range(min(GAP_WORDS + 1, len(tokens.raw) - j)):
                    if _CLAUSE_END.search(tokens.gaps[j + skip - 1]):
                        return None
                    end = self._from(tokens, j + skip, k)
                    if end is not None:
                        return end
                return None
            if self.gaps[k - 1] == "space" and tokens.possessive(j):
                j += 1  # skip the "s" of "regime's"
            if not SEPARATORS[self.gaps[k - 1]].fullmatch(tokens.gaps[j - 1]):
                return None


_APOSTROPHES = frozenset("'\u2019\u02bc")
_PUNCT_OK = set(" \t-\u2010\u2011\u2012\u2013'\u2019\u02bc.*")
_TERM_FIX = (
    "terms are plain words, not regular expressions: list each alternative as its own term, end a "
    "word with * to match every word starting with it, or end the term with = to switch off inflection"
)


@cache
@functools.cache  # pure; facts.yaml validation asks for every pair of terms in a list
def parse_term(text: str) -> tuple[Pattern, ...]:
    """Compile one term as written in facts.yaml; raises TermError."""
    body = text.strip()
    exact = body.endswith("=")
    if exact:
        body = body[:-1].rstrip()
    if "(s)" in body:
        raise TermError(
            f"{text!r} uses (s)",
            f"write {body.replace('(s)', '')!r}: plurals, -ed and -ing forms are matched automatically",
        )
    bad = sorted({c for c in body if not (c.isalnum() or _unicode()[1].match(c) or c in _PUNCT_OK)})
    if bad:
        raise TermError(f"{text!r} contains {' '.join(bad)}", _TERM_FIX)
    parts = _unicode()[0].split(body)
    raw, gaps = parts[1::2], parts[2:-1:2]
    if not raw:
        raise TermError(f"{text!r} has no letters or digits", "write a word or phrase")
    if parts[0].strip() or parts[-1].strip() not in ("", "*", "."):
        raise TermError(
            f"{text!r} starts or ends with punctuation",
            "write whole words; use * only right after a word and ... only between two words",
        )
    stems = [g.startswith("*") for g in gaps] + [parts[-1].strip() == "*"]
    if exact and any(stems):
        raise TermError(f"{text!r} uses both * and =", "a stem (*) is never inflected: drop the =")
    kinds = []
    for gap in gaps:
        kind = gap.lstrip("*").strip()
        if kind in ("", "-", "\u2010", "\u2011", "\u2012", "\u2013"):
            kinds.append("space")
        elif kind in ("'", "\u2019", "\u02bc"):
            kinds.append("apostrophe")
        elif kind in (".", ".-", ".\u2010", ".\u2011"):
            kinds.append("period")
        elif kind == "...":
            kinds.append("any")
        else:
            raise TermError(
                f"{text!r}: words are separated by {kind!r}", "separate words by a space or a hyphen"
            )
    words = []
    for w, stem in zip(raw, stems, strict=True):
        norm = normalise(w)
        if stem:
            if len(norm) < 3:
                raise TermError(
                    f"{text!r}: the stem {w + '*'!r} is shorter than 3 letters",
                    "write a longer stem, or list the words in full",
                )
            words.append(Word(frozenset(), stem=norm))
        elif len(w) >= 2 and w.isupper():
            words.append(Word(frozenset({norm} if exact or len(w) < 3 else {norm, norm + "s"}), acronym=True))
        else:
            words.append(Word(frozenset({norm}) if exact else inflections(norm)))
    patterns = [Pattern(tuple(words), tuple(kinds))]
    # Words written together ("airstrike" for "air strike"): every way of closing the gaps.
    closable = [k for k, kind in enumerate(kinds) if kind == "space"]
    if len(closable) <= 3 and not any(stems) and not any(w.acronym for w in words):
        norms = [normalise(w) for w in raw]
        for mask in range(1, 2 ** len(closable)):
            closed = {k for bit, k in enumerate(closable) if mask >> bit & 1}
            groups, group_kinds = [[norms[0]]], []
            for k in range(len(kinds)):
                if k in closed:
                    groups[-1].append(norms[k + 1])
                else:
                    groups.append([norms[k + 1]])
                    group_kinds.append(kinds[k])
            joined = ["".join(g) for g in groups]
            merged = tuple(Word(frozenset({j}) if exact else inflections(j)) for j in joined)
            patterns.append(Pattern(merged, tuple(group_kinds)))
    return tuple(patterns)


@functools.cache
def term_key(text: str) -> tuple[str, ...]:
    """Terms with the same key are the same term ("Air strike" and "air-strike"; not "US" and "us")."""
    words = _unicode()[0].split(text.strip().rstrip("="))[1::2]
    return tuple(w if len(w) >= 2 and w.isupper() else normalise(w) for w in words) + (
        ("*",) if text.strip().endswith("*") else ()
    )


def covers(a: str, b: str) -> bool:
    """Whether every text term ``b`` matches is already matched by term ``a`` (b is redundant)."""
    if term_key(a) == term_key(b):
        return True
    if "*" in b:
        return False
    tokens = _term_tokens(b)
    first = _first_forms(a)
    if not tokens.raw or (first is not None and first.isdisjoint(tokens.forms(0))):
        return False  # most pairs: a's first word is not b's
    return any(p.match(tokens, 0) == len(tokens.raw) for p in parse_term(a))


def first_words(term: str) -> tuple[frozenset[str] | None, tuple[str, ...]]:
    """What ``covers`` looks at first: the forms the first word of a match of ``term`` can
    take (None: a stem or an acronym comes first), and the forms of the term's own first
    word. ``covers(a, b)`` needs b's own forms among a's first forms."""
    tokens = _term_tokens(term)
    return _first_forms(term), (tokens.forms(0) if tokens.raw else ())


@cache
def _first_forms(term: str) -> frozenset[str] | None:
    """Every form the first word of a match of ``term`` can take (None: a stem or an acronym
    comes first, which this shortcut does not judge)."""
    firsts = [p.words[0] for p in parse_term(term)]
    if any(w.stem is not None or w.acronym for w in firsts):
        return None
    return frozenset().union(*(w.forms for w in firsts))


@cache
def _term_tokens(term: str) -> Tokens:
    """A term's own text as tokens (never changed by the caller: cached)."""
    return Tokens.of(term.strip().rstrip("="))
