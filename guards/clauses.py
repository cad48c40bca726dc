"""The context layer: what the clause and sentence around a match say about it.

Language mechanics only, the same for every guard and every policy: where clauses and sentences
end, whose words a span is (quoted or reported speech is not the agent's own), and the facts of
the context that can make a matched phrase no finding:

- `condition`: the clause sets a condition or a purpose before it (如果…, 万一…, 即使…, 以免…) or
  closes as one (…的话);
- `negated`: the clause negates or withholds a guarantee before it (不一定, 不能保证, 无法向您保证);
- `hedged`: the clause is an estimate (预计, 一般, 大概, 可能), asks whether (能否当天修好要看…), or
  the sentence defers to another authority (以审核结果为准);
- `past`: the clause reports something already done (已经/已于… with nothing new promised between);
- `request`: the clause politely asks the customer for something (请您, 麻烦您, 能否);
- `information_question` / `rhetorical_question`: the kind of question the sentence is.

Which facts cancel which rule is policy data (a phrase rule's `not_when`); `decide` returns the
first fact that holds with the cue that shows it, so a finding left out can say why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, NamedTuple, get_args

# Clause and sentence boundaries, in both widths.
CLAUSE_END = "，。,.!?！？；;:：\n"
SENTENCE_END = "。.!?！？\n"
_CLAUSE_MARK = re.compile(f"[{re.escape(CLAUSE_END)}]")
_SENTENCE_MARK = re.compile(f"[{re.escape(SENTENCE_END)}]")
# Greedy, so one match attempt finds the last mark before a position.
_UP_TO_CLAUSE_MARK = re.compile(f".*{_CLAUSE_MARK.pattern}", re.DOTALL)
_UP_TO_SENTENCE_MARK = re.compile(f".*{_SENTENCE_MARK.pattern}", re.DOTALL)

ContextFact = Literal[
    "condition", "negated", "hedged", "past", "request", "information_question", "rhetorical_question"
]
CONTEXT_FACTS: tuple[ContextFact, ...] = get_args(ContextFact)
QuestionKind = Literal["statement", "information", "rhetorical"]


class Span(NamedTuple):
    """A character range [start, end) in a text."""

    start: int
    end: int


# What an inspector reads for each fact (否定："不一定" — 不算…).
_FACT_LABELS: dict[ContextFact, str] = {
    "condition": "条件",
    "negated": "否定",
    "hedged": "估计或以他方为准",
    "past": "已发生的事实",
    "request": "礼貌请求",
    "information_question": "询问信息",
    "rhetorical_question": "反问",
}

# Cues searched in the clause before a match. Each starts with a plain character.
_CONDITION = re.compile(
    r"如果|假如|假设|倘若|若是|(?<![主只还就总])要是|万一|无论|不管|即使|即便|哪怕|就算|避免|防止|以免|以防|"
    r"(?<![例比倘])若(?![干])"
)
_IF_SO = re.compile("的话")
_NEGATION = re.compile(
    r"(?:不能|无法|没法|不敢|不可能|难以|没有办法|没办法|不好|并不|并没有|不|没)"
    r"(?:提前|事先|现在)?(?:向|跟|给|和|为)?(?:您|你)?(?:说)?(?:百分之百|百分百|完全)?"
    r"(?:保证|担保|确保|承诺|打包票|打包票说)|不一定|未必|不确定|说不准|不好说|说不好|"
    r"(?i:(?:cannot|can.t|not able to|unable to|not) (?:guarantee|promise))"
)
_HEDGE_BEFORE = re.compile(
    r"预计|预估|估计|一般(?!般)|通常|正常情况下|正常来说|大约|大概|大致|可能|也许|或许|应该(?:会|能|可以)|争取|尽量|力争|"
    # Whether it happens is the question, not a promise (能否当天修好要看具体故障).
    r"能否|是否|能不能|会不会|可否|有没有|"
    r"(?i:(?:usually|normally|expected to|estimated|probably))"
)
_HEDGE_AFTER = re.compile(r"以[^，。,.!?！？；;]{0,14}为准|(?i:subject to)")
# 已经/已于 … and nothing between the cue and the match that starts a new commitment.
_PAST = re.compile(r"已经|已于|已(?=[^经于])|刚刚|刚才|昨天|前天|上周|上次")
_NEW_COMMITMENT = re.compile(r"了|会|将|保证|一定|肯定|马上|立即|再")
_REQUEST = re.compile(r"请(?!问)|麻烦|劳烦|烦请|能否|可否|是否方便|方便的话|(?i:please|could you|would you)")
# A question: the sentence ends with a question mark, or with 吗/么/嘛/呢 before its end.
_QUESTION_END = re.compile(r"(?:[？?]|[吗么嘛呢][。.!！～~]?)\s*\Z")
_RHETORICAL = re.compile(
    r"难道|岂|何必|凭什么|谁让|怪谁|哪(?:有|会|能|里会)|怎么(?:可能|会)|有什么用|"
    r"(?<![是要])不是[^，。,.!?！？；;]{0,16}(?:吗|嘛)|(?:不就|还不)[^，。,.!?！？；;]{0,12}(?:吗|嘛)|"
    r"(?:您|你)(?:自己)?(?:没|没有|不会)(?:看|注意|读|听|检查)[^，。,.!?！？；;]{0,12}(?:吗|嘛)"
)


class ContextDecision(NamedTuple):
    """A fact of the context that holds for a match, and the words that show it."""

    fact: ContextFact
    cue: str

    def reason(self, consequence: str = "不算") -> str:
        """One line for an inspector: 否定：“不一定” — 不算承诺."""
        return f"{_FACT_LABELS[self.fact]}：“{self.cue}” — {consequence}"


def clause_span(text: str, start: int, end: int) -> Span:
    """The clause (between ，。！？ etc.) around [start, end)."""
    return Span(_clause_start(text, start), _end_at(_CLAUSE_MARK, text, end))


def sentence_span(text: str, start: int, end: int) -> Span:
    """The sentence (between 。！？) around [start, end)."""
    found = _UP_TO_SENTENCE_MARK.match(text, 0, start)
    return Span(found.end() if found else 0, _end_at(_SENTENCE_MARK, text, end))


# Whose words: paired quotation marks and reported speech are not the agent's own.
_OPEN_CLOSE = {"“": "”", "「": "」", "『": "』", "‘": "’", '"': '"', "《": "》", "﹁": "﹂", "﹃": "﹄"}
_OPENING = re.compile("|".join(re.escape(mark) for mark in _OPEN_CLOSE))
_MAX_QUOTE = 200
# Reported speech: what the customer (or an earlier reply) said, up to the end of the clause.
# "您说的/您反映的 问题" is a noun phrase, not reported speech, so 的/得 right after the verb
# (also after 过) ends it: in "您反映的问题我们没办法处理" the agent's 没办法 is their own.
# A request (请您告诉我…, 麻烦您说一下…, 您告诉我一下…) asks for words to come: it reports none
# (_ASKING, the character before, or 一下 after the verb); 您说话… is how the customer speaks,
# not what they said. Every alternative starts with a plain character, so `re` skips ahead by
# first character (a lookbehind first would make it try every position).
_ASKING = "请烦跟和对给向"
_REPORTED = re.compile(
    r"(?:您|你|客户|对方|之前的?客服|刚才的?客服|上一位的?客服)(是|刚才|刚刚|之前|此前|也)?"
    r"(说(?!话)|讲(?!话)|问(?![问一下别他她人对])|表示|提到|提及|反映|反馈|称|告诉我|留言)(说)?(过)?(?!过?[的得]|一?下)[:：]?"
)


def quoted_spans(norm: str) -> list[Span]:
    """Spans inside paired quotation marks, and reported speech after 您说/您提到 etc."""
    spans: list[Span] = []
    opening = _OPENING.search(norm)
    while opening is not None:
        start = opening.start()
        close = norm.find(_OPEN_CLOSE[opening.group()], start + 1, start + 1 + _MAX_QUOTE)
        if close > 0 and "\n" not in norm[start:close]:
            spans.append(Span(start, close + 1))
            opening = _OPENING.search(norm, close + 1)
        else:
            opening = _OPENING.search(norm, start + 1)
    for match in _REPORTED.finditer(norm):
        if match.start() > 0 and norm[match.start() - 1] in _ASKING:
            continue
        end = match.end()
        while end < len(norm) and norm[end] not in CLAUSE_END:
            end += 1
        spans.append(Span(match.start(), end))
    return spans


def question_kind(text: str, start: int, end: int) -> QuestionKind:
    """What the sentence around [start, end) is: a statement, an information question, or a
    rhetorical one (难道…, 不是…吗？, 哪有…？)."""
    left, right = sentence_span(text, start, end)
    sentence = text[left : right + 1] if right < len(text) else text[left:right]
    if _QUESTION_END.search(sentence) is None:
        return "statement"
    return "rhetorical" if _RHETORICAL.search(sentence) else "information"


def clause_asks(text: str, start: int, end: int) -> bool:
    """Whether the clause around [start, end) itself ends with a question mark (明天上午方便吗？),
    narrower than `question_kind`: in 三天内给您回复，您看这样好吗？ only the second clause asks."""
    clause_end = _end_at(_CLAUSE_MARK, text, end)
    return text[clause_end : clause_end + 1] in ("?", "？")


def decide(text: str, start: int, end: int, facts: Sequence[ContextFact]) -> ContextDecision | None:
    """The first of `facts` (in the order given) that holds for the match [start, end), or None."""
    clause_start = _clause_start(text, start)
    for fact in facts:
        cue = _cue(text, clause_start, start, end, fact)
        if cue is not None:
            return ContextDecision(fact, cue)
    return None


def _cue(text: str, clause_start: int, start: int, end: int, fact: ContextFact) -> str | None:
    """The words that show `fact` for the match [start, end) whose clause starts at `clause_start`."""
    if fact == "condition":
        cue = _before(_CONDITION, text, clause_start, start)
        if cue is None and _IF_SO.search(text, end, _end_at(_CLAUSE_MARK, text, end)):
            cue = "的话"  # 没有的话… : a condition that closes its clause
        return cue
    if fact == "negated":
        # A negation may end inside the match (不能保证 before 保证…到): it must start before it.
        found = _NEGATION.search(text, clause_start, end)
        return found.group() if found is not None and found.start() < start else None
    if fact == "hedged":
        cue = _before(_HEDGE_BEFORE, text, clause_start, start)
        # The later cue is looked for only when its words are in the reply at all (the speed floor).
        if cue is None and ("为准" in text or "subject to" in text.lower()):
            after = _HEDGE_AFTER.search(text, end, sentence_span(text, start, end).end)
            cue = after.group() if after is not None else None
        return cue
    if fact == "past":
        return _past_cue(text, clause_start, start, end)
    if fact == "request":
        return _before(_REQUEST, text, clause_start, start)
    kind = question_kind(text, start, end)
    wanted = "information" if fact == "information_question" else "rhetorical"
    if kind != wanted:
        return None
    left, right = sentence_span(text, start, end)
    return text[left : right + 1].strip()


def _before(pattern: re.Pattern[str], text: str, clause_start: int, start: int) -> str | None:
    """A match of `pattern` in the clause before `start`."""
    found = pattern.search(text, clause_start, start)
    return found.group() if found is not None else None


def _past_cue(text: str, clause_start: int, start: int, end: int) -> str | None:
    """A past marker before the match [start, end) in its clause, with no new commitment (了, 会,
    保证 …) between the marker and the match's end."""
    for found in reversed(list(_PAST.finditer(text, clause_start, start))):
        if _NEW_COMMITMENT.search(text, found.end(), end) is None:
            return found.group()
        return None
    return None


def _clause_start(text: str, start: int) -> int:
    """Where the clause containing `start` begins."""
    found = _UP_TO_CLAUSE_MARK.match(text, 0, start)
    return found.end() if found else 0


def _end_at(mark: re.Pattern[str], text: str, end: int) -> int:
    """The first `mark` at or after `end`, or the end of the text."""
    found = mark.search(text, end)
    return found.start() if found else len(text)
