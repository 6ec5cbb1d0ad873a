"""Text helpers for event clustering: sentences, outlet boilerplate, feature tokens (all pure).

Usage::

    split_sentences("Mr. Smith went to the U.S. on Monday. He left.")
    # ['Mr. Smith went to the U.S. on Monday.', 'He left.']

    boilerplate = BoilerplateFilter().update([("ledger", 12.0, text), ...])
    body = boilerplate.strip("ledger", text)
    tokens(title, body)   # strings for sklearn's FeatureHasher(input_type="string")

The token recipe and the boilerplate rule are the ones measured in
``benchmarks/experiments/README.md`` (recommended method, steps 1-3).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Set

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# --------------------------------------------------------------------------- sentences

# Words that end in a period but rarely end a sentence: they are followed by a name or a number.
# Company suffixes (Inc., Ltd.) are left out on purpose: they often do end a sentence.
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr gen lt col maj capt cmdr adm sgt cpl gov sen rep rev hon pres "
    "vs no nos fig approx dept jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_TERMINAL = re.compile(r"[.!?\u061f\u2026]+[\"'\u201d\u2019)\]]*\s+")
_OPENING = "\"'\u201c\u2018([\u00ab"
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+$")  # "U.S.", "J." -- initials and dotted acronyms


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; line breaks always end a sentence.

    A sentence ends at ``.``, ``!``, ``?`` (with any closing quotes or brackets) followed by
    white space and a word that does not start in lower case. A period after a title or
    month ("Mr.", "Sept."), an initial ("J.") or a dotted acronym ("U.S.") does not end a
    sentence, so "He moved to the U.S. Then" stays one sentence: a missed split costs less
    than cutting a name in two.
    """
    sentences = []
    for line in text.splitlines():
        start = 0
        for match in _TERMINAL.finditer(line):
            if _ends_sentence(line, match):
                sentences.append(line[start : match.end()])
                start = match.end()
        sentences.append(line[start:])
    return [s.strip() for s in sentences if s.strip()]


def _ends_sentence(line: str, match: re.Match[str]) -> bool:
    following = line[match.end() :].lstrip(_OPENING)
    if not following or following[0].islower():
        return False
    if not match.group().startswith("."):
        return True
    previous = line[: match.start() + 1].split()[-1].lstrip(_OPENING)
    return previous[:-1].lower() not in ABBREVIATIONS and not _DOTTED.match(previous)


# --------------------------------------------------------------------------- boilerplate


def sentence_key(sentence: str) -> str:
    """How sentences are compared across articles: lower case, white space folded."""
    return " ".join(sentence.lower().split())


def sentence_hash(sentence: str) -> int:
    """A stable signed 64-bit hash of a sentence's key (the same in every process and run)."""
    digest = hashlib.blake2b(sentence_key(sentence).encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "little", signed=True)


def sentence_hashes(text: str, min_chars: int = 10) -> list[int]:
    """Distinct hashes of the sentences of ``text`` longer than ``min_chars`` characters."""
    return sorted({sentence_hash(s) for s in split_sentences(text) if len(sentence_key(s)) > min_chars})


def strip_sentences(text: str, boilerplate: Set[int]) -> str:
    """``text`` without the sentences whose hash is in ``boilerplate``, one sentence per line."""
    return "\n".join(s for s in split_sentences(text) if sentence_hash(s) not in boilerplate)


class BoilerplateFilter:
    """Remove an outlet's recurring sentences (sign-offs, reproduction notices, promos).

    Usage::

        bp = BoilerplateFilter()
        bp.update([(outlet, day, text), ...])   # once per batch, before stripping it
        bp.strip(outlet, text)
        arrays = bp.to_arrays()                # numpy arrays: save, then BoilerplateFilter.from_arrays(arrays)

    A sentence is boilerplate for an outlet once it occurs in at least ``min_docs`` of that
    outlet's articles spread over more than ``min_span_days`` days. The span rule keeps the
    paragraphs an outlet repeats while one story runs. Sentences of ``min_chars`` characters
    or fewer are not tracked. Sentences are counted by a 64-bit hash of their key, so the
    state stays small: ``stats_`` maps outlet -> hash -> [n_docs, first_day, last_day].
    ``prune`` forgets sentences seen once long ago, so a long-lived store does not keep
    every sentence it ever saw.
    """

    def __init__(self, min_docs: int = 4, min_span_days: float = 3.0, min_chars: int = 10):
        self.min_docs = min_docs
        self.min_span_days = min_span_days
        self.min_chars = min_chars

    def update(self, docs: Iterable[tuple[str | None, float, str]]) -> BoilerplateFilter:
        """Count the sentences of (outlet, day, text) triples; articles without an outlet are skipped."""
        return self.update_hashes(
            (outlet, day, sentence_hashes(text, self.min_chars)) for outlet, day, text in docs if outlet is not None
        )

    def update_hashes(self, docs: Iterable[tuple[str | None, float, Iterable[int]]]) -> BoilerplateFilter:
        """Like ``update``, from precomputed ``sentence_hashes`` (so workers can split the texts)."""
        if not hasattr(self, "stats_"):
            self.stats_: dict[str, dict[int, list[float]]] = {}
        for outlet, day, hashes in docs:
            if outlet is None:
                continue
            seen = self.stats_.setdefault(outlet, {})
            for h in hashes:
                stat = seen.get(h)
                if stat is None:
                    seen[h] = [1, day, day]
                else:
                    stat[0] += 1
                    stat[1] = min(stat[1], day)
                    stat[2] = max(stat[2], day)
        return self

    def boilerplate_of(self, outlet: str | None) -> frozenset[int]:
        """Hashes of the outlet's boilerplate sentences (for ``strip_sentences``)."""
        seen = getattr(self, "stats_", {}).get(outlet, {})
        return frozenset(h for h, (n, first, last) in seen.items()
                         if n >= self.min_docs and last - first > self.min_span_days)

    def is_boilerplate(self, outlet: str | None, sentence: str) -> bool:
        stat = getattr(self, "stats_", {}).get(outlet, {}).get(sentence_hash(sentence))
        return stat is not None and stat[0] >= self.min_docs and stat[2] - stat[1] > self.min_span_days

    def strip(self, outlet: str | None, text: str) -> str:
        """The text without boilerplate sentences, one sentence per line (unchanged if no outlet)."""
        if outlet is None:
            return text
        return strip_sentences(text, self.boilerplate_of(outlet))

    def prune(self, before_day: float) -> int:
        """Forget sentences seen only once, before ``before_day``; returns how many were dropped.

        A sentence that does not recur within that time is not an outlet's boilerplate.
        """
        dropped = 0
        for seen in getattr(self, "stats_", {}).values():
            old = [h for h, (n, _first, last) in seen.items() if n == 1 and last < before_day]
            for h in old:
                del seen[h]
            dropped += len(old)
        return dropped

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The counts as numpy arrays (outlets sorted, hashes sorted within each outlet)."""
        stats = getattr(self, "stats_", {})
        outlets = sorted(stats)
        rows = [(i, h, *stats[o][h]) for i, o in enumerate(outlets) for h in sorted(stats[o])]
        table = np.array([r[2:] for r in rows], dtype=np.float64).reshape(-1, 3)
        return {
            "outlets": np.array(outlets, dtype=str),
            "outlet": np.array([r[0] for r in rows], dtype=np.int32),
            "hash": np.array([r[1] for r in rows], dtype=np.int64),
            "n_docs": table[:, 0].astype(np.int64),
            "first_day": table[:, 1],
            "last_day": table[:, 2],
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], **params: float) -> BoilerplateFilter:
        """Rebuild a filter from ``to_arrays`` output (and the parameters it was built with)."""
        bp = cls(**params)
        bp.stats_ = {str(o): {} for o in arrays["outlets"]}
        names = [str(o) for o in arrays["outlets"]]
        for i, h, n, first, last in zip(arrays["outlet"].tolist(), arrays["hash"].tolist(),
                                        arrays["n_docs"].tolist(), arrays["first_day"].tolist(),
                                        arrays["last_day"].tolist(), strict=True):
            bp.stats_[names[i]][h] = [n, first, last]
        return bp


# --------------------------------------------------------------------------- tokens

STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | {
    "said", "says", "say", "told", "according", "new", "year", "years", "just", "like",
    "did", "does", "reuters", "ap", "http", "www", "com",
}  # fmt: skip
# Capitalised for reasons other than being a name.
NOT_ENTITIES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december mr mrs ms dr st jan feb mar apr jun "
    "jul aug sep sept oct nov dec".split()
)
_WORD = re.compile(r"\w\w+")
_CAPITALISED = re.compile(r"(?<![\w\-'\u2019])([A-Z]\w+)")
# A capitalised word right after one of these (white space aside) may just start a sentence.
_SENTENCE_START = set(".!?:\n\"'`\u201c\u2018-\u2014\u2013|")


def _analyse(text: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(words, entity tokens, entity bigrams) of one field, all lower case.

    Entity tokens are capitalised words whose lower-case form appears capitalised somewhere
    mid-sentence in the same text; every capitalised occurrence of them counts. Bigrams are
    adjacent entity tokens separated only by blanks.
    """
    words = [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]
    capitalised = []  # (start, end, lower-case word)
    mid_sentence = set()
    for match in _CAPITALISED.finditer(text):
        word = match.group(1).lower()
        i = match.start() - 1
        while i >= 0 and text[i] in " \t":
            i -= 1
        if i >= 0 and text[i] not in _SENTENCE_START:
            mid_sentence.add(word)
        capitalised.append((match.start(), match.end(), word))
    entities = mid_sentence - NOT_ENTITIES - STOP_WORDS
    ents = [w for _s, _e, w in capitalised if w in entities]
    bigrams = [
        (a, b)
        for (_s1, end, a), (start, _e2, b) in zip(capitalised, capitalised[1:], strict=False)
        if a in entities and b in entities and not text[end:start].strip(" \t")
    ]
    return words, ents, bigrams


def tokens(title: str, text: str, title_weight: int = 2) -> list[str]:
    """Feature strings of one article: hashing them gives its term counts.

    Body words (minus stop words), the title's words ``title_weight`` times, entity tokens
    and capitalised bigrams ("vladimir_putin") once each. Headlines are often title case, so
    title entities and bigrams count only when their words are entities in the body.
    """
    words, ents, bigrams = _analyse(text)
    title_words, title_ents, title_bigrams = _analyse(title)
    body_entities = set(ents)
    ents += [w for w in title_ents if w in body_entities]
    bigrams += [(a, b) for a, b in title_bigrams if a in body_entities and b in body_entities]
    return words + title_words * title_weight + ents + [f"{a}_{b}" for a, b in bigrams]
