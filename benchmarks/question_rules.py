"""How often a question rule holds where the answer is known: a quality probe, not a speed one.

Some questions say what their answer must look like: a birth is given as "生于" or a life's span, a model by a
designation, a newspaper by its name, a month by one, a count "多少份" as "15份". rag.evidence.required_evidence,
rag.figures.expected_unit, rag.counts.counted_unit and rag.counts.figure_check turn that into a veto (the best
sentence lacks it: refuse). A veto is only as good as the share of answerable questions it leaves alone, so this
script measures it over every CMRC 2018 (dev and trial) and DRCD dev (simplified) question with a gold answer: the
sentence of the gold passage holding the answer must satisfy the rule. It prints, per rule, the questions the
rule applies to, those whose answer sentence breaks it, and a few of them.

    .venv/bin/python benchmarks/question_rules.py [--eval-dir ../shared/eval] [--show 5]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

from rag.countries import countries_asked, countries_in, located_in, towns_asked
from rag.counts import asked_befalling, asks_count, counted_unit, counts_other_befalling, figure_check
from rag.evidence import asks_name, names_person, required_evidence
from rag.figures import expected_unit
from rag.gate import among_others, town_elsewhere
from rag.keywords import normalize
from rag.people import counted_names, figure_countries, foreign_nationals, others_asked
from rag.posts import asked_post
from rag.questions import answer_type, asks_city, asks_region, is_english, named_entities, pos_tags
from rag.responses import responder, tells_response
from rag.typematch import sentence_types
from rag.which import restates_which

_ENDS = "。！？；\n"
SETS = (("cmrc2018/questions.jsonl", "cmrc2018/corpus.jsonl"),
        ("cmrc2018/trial_questions.jsonl", "cmrc2018/trial_corpus.jsonl"),
        ("drcd/dev_questions_zhs.jsonl", "drcd/dev_corpus_zhs.jsonl"))


def answer_sentences(eval_dir: Path) -> Iterator[tuple[str, str, str]]:
    """(question, answer, the gold passage's sentence holding the answer) for every answered question."""
    for questions, corpus in SETS:
        with open(eval_dir / corpus, encoding="utf-8") as f:
            texts = {(row := json.loads(line))["id"]: row["text"] for line in f}
        with open(eval_dir / questions, encoding="utf-8") as f:
            for line in f:
                q = json.loads(line)
                if not q.get("answers"):
                    continue
                text, start, answer = texts[q["gold_passage_id"]], q["answer_starts"][0], q["answers"][0]
                begin = max(text.rfind(c, 0, start) for c in _ENDS) + 1
                ends = [i for i in (text.find(c, start + len(answer)) for c in _ENDS) if i >= 0]
                yield q["question"], answer, text[begin:(min(ends) + 1 if ends else len(text))]


Check = Callable[[str], bool]  # does the sentence satisfy the rule?


def _yes_no_name(question: str) -> Check | None:
    if answer_type(question) != "yesno" or is_english(question):
        return None
    names = [e for e in named_entities(question) if len(e) >= 3]
    return lambda s: all(e in normalize(s) for e in names)


def _evidence(question: str) -> Check | None:
    return required_evidence(question, answer_type(question))


def _classifier(question: str) -> Check | None:
    pat = counted_unit(question)
    return None if pat is None else lambda s: bool(pat.search(normalize(s)))


def _new_figure(question: str) -> Check | None:
    return figure_check(question, answer_type(question))


def _response(question: str) -> Check | None:
    who = responder(question)
    return None if who is None else lambda s: tells_response(s, who)


def _unit(question: str) -> Check | None:
    unit = expected_unit(question)
    if unit is None:
        return None
    return lambda s: bool(unit.search(normalize(s)))


def _figure_countries(question: str) -> frozenset[str]:
    """The countries a figure question names (none for any other question)."""
    english = is_english(question)
    figure = expected_unit(question) or counted_unit(question) or asks_count(question)
    return countries_asked(question if english else normalize(question), english) if figure else frozenset()


def _country(question: str) -> Check | None:
    figure = _figure_countries(question)
    if not (asked := figure_countries(question, figure)):
        return None
    return lambda s: not ((named := countries_in(normalize(s), visits=True)) - asked and not asked <= named)


def _town(question: str) -> Check | None:
    if answer_type(question) != "place" or not asks_city(question):
        return None
    words = {w for w, _ in pos_tags(normalize(question))}
    return lambda s: sentence_types(s, words, "place", question)


def _town_country(question: str) -> Check | None:
    if answer_type(question) != "place" or not asks_city(question) or is_english(question):
        return None
    q = SimpleNamespace(located=located_in(question, countries_in(normalize(question))))
    if not q.located:
        return None
    return lambda s: not town_elsewhere(q, s)  # type: ignore[arg-type]


def _town_figure(question: str) -> Check | None:
    figure = expected_unit(question) or counted_unit(question) or asks_count(question)
    if not figure or not (towns := towns_asked(question)):
        return None
    return lambda s: any(t in normalize(s) for t in towns)


def _region(question: str) -> Check | None:
    if answer_type(question) != "place" or not asks_region(question):
        return None
    words = {w for w, _ in pos_tags(normalize(question))}
    return lambda s: sentence_types(s, words, "place", question)


def _post(question: str) -> Check | None:
    return asked_post(question, answer_type(question))


def _among_others(question: str) -> Check | None:
    if not (asked := _figure_countries(question)):
        return None
    return lambda s: not among_others(asked, s)


def _name(question: str) -> Check | None:
    if not asks_name(question, answer_type(question)):
        return None
    return lambda s: names_person(s, question)


def _counted(question: str) -> Check | None:
    names = counted_names(question)
    return None if not names else lambda s: any(n in normalize(s) for n in names)


def _befell(question: str) -> Check | None:
    kind = asked_befalling(question)
    return None if kind is None else lambda s: not counts_other_befalling(kind, s)


def _beyond(question: str) -> Check | None:
    english = is_english(question)
    beyond = others_asked(question, countries_asked(question if english else normalize(question), english))
    return None if beyond is None else lambda s: bool(countries_in(normalize(s), visits=True) - beyond)


def _nationals(question: str) -> Check | None:
    if answer_type(question) not in ("place", "time") or not (names := foreign_nationals(question)):
        return None
    return lambda s: any(n in normalize(s) for n in names)


def _which(question: str) -> Check | None:
    restates = restates_which(question, answer_type(question))
    return None if restates is None else lambda s: not restates(s)


RULES: dict[str, Callable[[str], Check | None]] = {
    "birth, age, model, newspaper, party, employer, post held, leaving or signing (rag.evidence.required_evidence)": _evidence,
    "a yes or no on a name: the sentence names it (rag.gate.unmentioned_name reads the whole article)": _yes_no_name,
    "the kind of figure asked: a day, month, year, duration, sum, share, headcount … (rag.figures.expected_unit)": _unit,
    "count in the question's classifier (rag.counts.counted_unit)": _classifier,
    "a count question's sentence writes a figure it does not give (rag.counts.figure_check)": _new_figure,
    "someone's response: the sentence names them or opens with a pronoun (rag.responses.responder)": _response,
    "a figure of a country the question names: the sentence names no other one while leaving it out "
    "(rag.gate.other_country)": _country,
    "a country's count: the sentence does not count only a list it stands in with two others or more "
    "(rag.gate.among_others)": _among_others,
    "which countries besides those set aside: the sentence names another (rag.people.others_asked)": _beyond,
    "whose count: the sentence names the people or the kind of people counted (rag.people.counted_names)":
        _counted,
    "what befell those counted: the sentence does not count only people something else befell (died, injured, "
    "arrested, recruited: rag.counts.asked_befalling)": _befell,
    "a town, a village or a port: the sentence names one, not a country nor a kind of place "
    "(rag.questions.asks_city, rag.typematch.sentence_types)": _town,
    "a town in a country the question names: the sentence's towns are not all in others (rag.gate.town_elsewhere)":
        _town_country,
    "a town's figure: the sentence names the town (rag.countries.towns_asked; the gate also reads the one before)":
        _town_figure,
    "a province or a state: the sentence names a place, not a country (rag.questions.asks_region, "
    "rag.typematch.sentence_types)": _region,
    "who holds a post: the sentence says the post (rag.posts.asked_post; the gate also reads the ones beside)":
        _post,
    "a person's name: the sentence names a person (rag.evidence.asks_name; the gate also reads the next one)": _name,
    "where or when a foreign national came to harm: the sentence names their country (rag.people.foreign_nationals; "
    "the gate also reads the one before)": _nationals,
    "which N: the sentence says more of N than \"a N\" or N bare, or \"abroad\" for a country "
    "(rag.which.restates_which)":
        _which,
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "eval")
    ap.add_argument("--show", type=int, default=5, help="print this many broken examples per rule")
    args = ap.parse_args(argv)
    rows = list(answer_sentences(args.eval_dir))
    print(f"{len(rows)} answered questions\n")
    print("| rule | questions it applies to | answer sentence breaks it |")
    print("|---|---|---|")
    broken: dict[str, list[tuple[str, str, str]]] = {}
    for name, rule in RULES.items():
        applies = [(q, a, s, check) for q, a, s in rows if (check := rule(q)) is not None]
        broken[name] = [(q, a, s) for q, a, s, check in applies if not check(s)]
        print(f"| {name} | {len(applies)} | {len(broken[name])} |")
    for name, rows_ in broken.items():
        if rows_ and args.show:
            print(f"\n{name}:")
            for q, a, s in rows_[:args.show]:
                print(f"- {q} | answer {a} | {s[:80]}")


if __name__ == "__main__":
    main()
