"""Which problem of a document is which problem of a round: by number path and title.

A plan or a progress notice names the round's problems again, rarely in the same words
("关于中心组学习计划落实不到位的问题" for "中心组学习计划落实不到位", one word changed,
a clause added). Titles are compared after normalising (width, traditional forms,
punctuation, blanks, the "关于…的问题" frame) by the better of difflib's ratio and a
character-bigram Dice score, and one title contained in the other counts as close. The
numbers alone never decide: the same number path with a title that only loosely agrees
is a match, the same number path with a title that disagrees is not.

Pure Python: it reads no database, so it is tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Generic, TypeVar

from zhenggai.textparse.numerals import fold_width, number_value

T = TypeVar("T")
U = TypeVar("U")

#: A title this close to another is the same problem, whatever the numbers say.
TITLE_ALONE = 0.8
#: With the same number path, a title this close is enough.
WITH_NUMBERS = 0.45

_NOISE = re.compile(r"[\s\u200b\u3000,，.。、;；:：!！?？\"'“”‘’()（）\[\]【】《》<>〈〉…—\-·]+")
_FRAME_START = re.compile(r"^(?:关于|针对|对于)")
_FRAME_END = re.compile(r"(?:的问题|问题|的情况|情况|方面)$")


def normalise_title(title: str) -> str:
    """The title without width, traditional forms, punctuation, blanks or the 关于…的问题 frame."""
    t = _NOISE.sub("", fold_width(title))
    t = _FRAME_START.sub("", t)
    bare = _FRAME_END.sub("", t)
    return bare if len(bare) >= 2 else t


def _bigrams(s: str) -> list[str]:
    return [s[i : i + 2] for i in range(len(s) - 1)] if len(s) > 1 else [s]


def dice(a: str, b: str) -> float:
    """The character-bigram Dice coefficient of two strings (multiset), 0..1."""
    if not a or not b:
        return 0.0
    ga, gb = _bigrams(a), _bigrams(b)
    pool: dict[str, int] = {}
    for g in gb:
        pool[g] = pool.get(g, 0) + 1
    common = 0
    for g in ga:
        if pool.get(g, 0) > 0:
            pool[g] -= 1
            common += 1
    return 2 * common / (len(ga) + len(gb))


def title_similarity(a: str, b: str) -> float:
    """How alike two titles are, 0..1, after ``normalise_title``."""
    na, nb = normalise_title(a), normalise_title(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    score = max(SequenceMatcher(None, na, nb, autojunk=False).ratio(), dice(na, nb))
    short, long_ = sorted((na, nb), key=len)
    if len(short) >= 4 and short in long_:
        score = max(score, 0.85)
    return score


def text_similarity(a: str, b: str) -> float:
    """How alike two measure texts are, 0..1 (punctuation and blanks ignored)."""
    na, nb = _NOISE.sub("", fold_width(a)), _NOISE.sub("", fold_width(b))
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    return max(SequenceMatcher(None, na, nb, autojunk=False).ratio(), dice(na, nb))


def number_key(number: str | None) -> str:
    """A number as a comparable key: ``（一）``, ``一`` and ``1.`` are all ``1``."""
    raw = _NOISE.sub("", fold_width(number or ""))
    value = number_value(raw) if raw else None
    return str(value) if value is not None else raw


@dataclass(frozen=True)
class Candidate(Generic[T]):
    """A problem to match: its number path (from the top level down), its title and what it is."""

    path: tuple[str, ...]
    title: str
    item: T


@dataclass(frozen=True)
class Pair(Generic[T, U]):
    """A document problem matched to a round problem, how alike the titles are and on what."""

    ours: Candidate[T]
    theirs: Candidate[U]
    score: float
    by_number: bool

    @property
    def how(self) -> str:
        return "编号和标题" if self.by_number else "标题"


@dataclass
class Matching(Generic[T, U]):
    pairs: list[Pair[T, U]]
    #: The document's problems matched to none of the round's.
    unmatched: list[Candidate[U]]
    #: The round's problems the document does not mention.
    unmentioned: list[Candidate[T]]
    #: Same number path, titles that disagree: shown, never matched.
    number_only: list[tuple[Candidate[T], Candidate[U]]]


def _same_path(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return bool(a) and [number_key(n) for n in a] == [number_key(n) for n in b]


def match(ours: Sequence[Candidate[T]], theirs: Sequence[Candidate[U]]) -> Matching[T, U]:
    """Pair the document's problems (``theirs``) with the round's (``ours``), one to one.

    Every pair that qualifies (a title alike on its own, or the same number path and a title
    that loosely agrees) is ranked by its title score, the same number path breaking ties,
    and taken greedily best first.
    """
    options: list[tuple[float, bool, int, int]] = []
    for i, o in enumerate(ours):
        for j, t in enumerate(theirs):
            score = title_similarity(o.title, t.title)
            numbers = _same_path(o.path, t.path)
            if score >= TITLE_ALONE or (numbers and score >= WITH_NUMBERS):
                options.append((score + (0.05 if numbers else 0.0), numbers, i, j))
    options.sort(key=lambda x: (-x[0], x[2], x[3]))
    taken_ours: set[int] = set()
    taken_theirs: set[int] = set()
    chosen: list[tuple[int, Pair[T, U]]] = []
    for total, numbers, i, j in options:
        if i in taken_ours or j in taken_theirs:
            continue
        taken_ours.add(i)
        taken_theirs.add(j)
        score = min(1.0, total - (0.05 if numbers else 0.0))
        chosen.append((j, Pair(ours[i], theirs[j], score, numbers)))
    pairs = [p for _, p in sorted(chosen, key=lambda x: x[0])]  # in the document's order
    unmatched = [t for j, t in enumerate(theirs) if j not in taken_theirs]
    unmentioned = [o for i, o in enumerate(ours) if i not in taken_ours]
    number_only = [(o, t) for o in unmentioned for t in unmatched if _same_path(o.path, t.path)]
    return Matching(pairs, unmatched, unmentioned, number_only)
