"""What part a sentence plays in its article, whatever the question: it states a result of the sentence before, it
speaks of someone it does not name yet, it is a credits line, or it is a question the article asks itself.

rag.neighbours reads the first two (the reason before a result, the name after "一位议员表示…"); rag.features skips
the last two as answers.
"""

from __future__ import annotations

import re

from rag.keywords import normalize
from rag.questions import is_english

# A sentence that opens with a consequence ("因此它有时也被称为笨蛋水果。") states the result; the reason is the
# sentence before it.
_RESULT_ZH = re.compile(r"^(?:因此|所以|因而|故而|故此|是故|是以|于是|由此|从而|因为这样|正因如此|也因此|故(?=[，,]))")
_RESULT_EN = re.compile(r"^(?:therefore|thus|hence|so|consequently|as a result|for this reason|because of this)\b",
                        re.I)


def states_result(sentence: str) -> bool:
    """The sentence opens with a consequence connective, so the reason it follows from is the sentence before."""
    s = sentence.strip()
    return bool(_RESULT_EN.match(s)) if is_english(s) else bool(_RESULT_ZH.match(normalize(s)))


# someone a sentence speaks of without naming them: "一位俄罗斯议员", "另一位俄罗斯议员", "a Kazakh analyst"
_UNNAMED_ZH = re.compile(r"(?:^|[，,。；;“\s])(?:一|另一|某)[位名](?:[\u4e00-\u9fff]{0,8}?)(?:议员|官员|分析家|分析师|人士|发言人|"
                         r"专家|学者|外交官|记者|史学家|历史学家|观察家|评论员|顾问|高官|将军|代表|律师|目击者|居民|消息人士)")
_UNNAMED_EN = re.compile(r"\b(?:an?|another|one) (?:[\w-]+ ){0,3}(?:lawmaker|official|analyst|expert|spokes(?:man|woman|"
                         r"person)|diplomat|historian|observer|adviser|advisor|source|mp|senator|commentator)\b", re.I)


def unnamed_person(sentence: str) -> bool:
    """The sentence speaks of someone without naming them ("一位俄罗斯议员表示…"), as news does before the
    sentence that names them."""
    s = sentence.strip()
    return bool(_UNNAMED_EN.search(s)) if is_english(s) else bool(_UNNAMED_ZH.search(normalize(s)))


_CREDITS = re.compile(r"[责責]编|[网網][编編]|[编編][辑輯][:：]|[记記]者[\u4e00-\u9fff·]{1,12}(?:[报報][导導道]|巴黎|北京|莫斯科)")


def is_credit_line(sentence: str) -> bool:
    """A short line of credits, not news: "自由亚洲电台记者蔡凌巴黎报导 责编：嘉远 网编：郭度"."""
    return len(sentence) <= 60 and bool(_CREDITS.search(sentence))


def is_own_question(sentence: str) -> bool:
    """The sentence is a question the article itself asks: it ends with a question mark outside any quotation (a
    quoted speaker's rhetorical question, "…这样的协议有什么意义？", is part of what they said)."""
    t = sentence.rstrip()
    return t.endswith(("？", "?")) and t.count("“") <= t.count("”") and t.count("「") <= t.count("」")
