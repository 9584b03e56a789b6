"""Find clinical terms in Chinese text and say how each is meant, with a tested cue list.

``find_chinese_mentions(text, terms)`` matches each concept's Chinese phrases as substrings
(``*`` stands for up to six characters inside one clause, so "胸口*压" finds "胸口像被石头压着";
"& 尿布 红" finds both parts in either order inside one clause)
and returns the same ``Mention`` records as the English ConText reader, so the rest of the
system never asks which language a finding came from.

How a mention is meant is read from cues earlier in its clause. A clause ends at Chinese or
Western sentence punctuation, a comma, or a turn word ("但", "但是", "不过", "现在"); "、" does not
end one, so "无发热、咳嗽、腹痛" negates all three.
- negated: 无, 没有, 没, 否认, 未, 未见, 未诉, 不伴, 不伴有, 并非; "不" only right before the term
  ("不发烧"), since "不能说话" is a finding, not its absence;
- possible: 怀疑, 可能, 疑似, 疑为, 是不是, 会不会, 考虑, 待排, "?" or "？" before the term;
- historical: 既往, 以前, 曾经, 曾, 去年, 多年前, 病史, 史 right after the term ("高血压史");
- family: 家族史, or a relative with 曾/患过/死于/去世 ("父亲死于心梗"); a relative alone is often
  the patient ("我爸胸口痛"), as in English;
- hypothetical: 如果, 万一, 假如, 一旦, 预防.

What it does not do: word segmentation (substring matching is enough for terms of two or more
characters), traditional characters, or double negation ("并非没有").
"""

from __future__ import annotations

import functools
import re
from typing import Mapping, Sequence

from .context import Mention

_CLAUSE_END = re.compile(r"[，,。．.；;！!？?\n]|但是|但|不过|然而|现在|目前")
# No bare "非": it starts "非常" (very) and "非洲" (Africa).
_NEGATION = ("没有", "否认", "未见", "未诉", "未有", "不伴有", "不伴", "无", "没", "未", "并非", "并无")
_NEGATION_ADJACENT = ("不",)
_POSSIBLE = ("怀疑", "可能", "疑似", "疑为", "是不是", "会不会", "考虑", "待排", "?", "？", "担心")
_HISTORICAL = ("既往", "以前", "曾经", "去年", "多年前", "小时候", "曾")
_HISTORICAL_AFTER = ("病史", "史")
_FAMILY = ("家族史", "家族中", "家里人")
_RELATIVES = ("父亲", "母亲", "爸爸", "妈妈", "爷爷", "奶奶", "外公", "外婆", "哥哥", "姐姐",
              "弟弟", "妹妹", "叔叔", "阿姨", "舅舅", "姑姑")
_FAMILY_PAST = ("死于", "去世", "患过", "得过", "曾患", "有过")
_HYPOTHETICAL = ("如果", "万一", "假如", "一旦", "预防", "以防")
# Cues that look like negation but are part of a finding: "无力" (weakness), "未停" (not
# stopped), "不止" (won't stop), "不醒" (won't wake), "不清" (unclear), "不能" (cannot).
_NOT_NEGATION_AFTER = ("力", "停", "止", "醒", "清", "能", "了", "退", "好", "畅", "适", "规则",
                       "出来", "上来", "动")
_WILDCARD_CHARS = 6


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def find_chinese_mentions(text: str, terms: Mapping[str, Sequence[str]]) -> list[Mention]:
    """Every match of ``terms`` (concept -> Chinese phrases) in ``text``, in text order."""
    if not has_chinese(text):
        return []
    mentions = []
    for concept, pattern in _compile(_freeze(terms)):
        for match in pattern.finditer(text):
            if _starts_another_word(text, match.end()):
                continue
            mentions.append(_mention(text, concept, match.start(), match.end()))
    mentions.sort(key=lambda m: (m.start, -m.end, m.concept))
    return mentions


# A match that ends where the next character makes it another word is not that finding:
# 抽 (a fit) + 烟 is smoking, 气急 (breathless) + 败坏 is exasperated, 烧 (fever) + 心 is
# heartburn, 抽 + 血 is a blood test. Keyed by the match's last character.
_NEXT_MAKES_ANOTHER_WORD = {"抽": "烟血", "急": "败", "烧": "心烤饭菜"}


def _starts_another_word(text: str, end: int) -> bool:
    return (end < len(text) and end > 0
            and text[end] in _NEXT_MAKES_ANOTHER_WORD.get(text[end - 1], ""))


def _freeze(terms: Mapping[str, Sequence[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((concept, tuple(phrases)) for concept, phrases in terms.items() if phrases)


@functools.lru_cache(maxsize=16)
def _compile(terms: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[str, re.Pattern], ...]:
    compiled = []
    # A wildcard never spans a clause end or a negation ("腰*痛" must not find "腰不痛").
    gap = f"[^，,。.；;！!？?\\n不无没未否]{{0,{_WILDCARD_CHARS}}}?"
    for concept, phrases in terms:
        sources = sorted({_bag_source(p) if p.lstrip().startswith("&") else
                          gap.join(re.escape(part.strip()) for part in p.split("*"))
                          for p in phrases if p.strip()}, key=len, reverse=True)
        if sources:
            compiled.append((concept, re.compile("|".join(sources), re.I)))
    return tuple(compiled)


def _bag_source(phrase: str) -> str:
    """"& 尿布 红" -> every part, in either order, inside one clause (two or three parts)."""
    import itertools

    parts = [re.escape(part) for part in phrase.lstrip()[1:].split()]
    if not 2 <= len(parts) <= 3:
        raise ValueError(f"a Chinese '&' phrase needs two or three parts, got {phrase!r}")
    within = "[^，,。.；;！!？?\\n不无没未否]*?"  # no negation between the parts: 嘴唇不紫
    return "|".join(within.join(order) for order in itertools.permutations(parts))


def _clause_start(text: str, position: int) -> int:
    start = 0
    for match in _CLAUSE_END.finditer(text, 0, position):
        start = match.end()
    return start


def _mention(text: str, concept: str, start: int, end: int) -> Mention:
    before = text[_clause_start(text, start):start]
    after = text[end:end + 2]
    negated = any(cue in before for cue in _NEGATION if not _is_finding_cue(before, cue))
    negated = negated or (before.endswith(_NEGATION_ADJACENT)
                          and not text[start:].startswith(_NOT_NEGATION_AFTER))
    possible = any(cue in before for cue in _POSSIBLE)
    family = any(cue in before for cue in _FAMILY) or (
        any(rel in before for rel in _RELATIVES) and any(cue in before + after
                                                        for cue in _FAMILY_PAST))
    historical = (any(cue in before for cue in _HISTORICAL)
                  or after.startswith(_HISTORICAL_AFTER))
    hypothetical = any(cue in before for cue in _HYPOTHETICAL)
    return Mention(concept=concept, matched_text=text[start:end], start=start, end=end,
                   negated=negated, possible=possible, historical=historical and not family,
                   family=family, hypothetical=hypothetical)


def _is_finding_cue(before: str, cue: str) -> bool:
    """True when every occurrence of ``cue`` in ``before`` is part of a finding ("无力")."""
    index = before.find(cue)
    while index != -1:
        following = before[index + len(cue):]
        if not following.startswith(_NOT_NEGATION_AFTER):
            return False
        index = before.find(cue, index + 1)
    return True
