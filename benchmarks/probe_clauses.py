"""Would clause vectors pick the answer sentence better? A measurement, not part of the service.

    .venv/bin/python benchmarks/probe_clauses.py [SET.jsonl ...]    # default: both seeds question sets (~2 min)

For each answerable one-part question of the sets (over seeds/), the answer step's candidate sentences are ranked
three ways: by the sentence model's logit (what the service does), by the stored sentence vector's cosine with the
question, and by the best cosine of the sentence's clauses (split at ，；：, each encoded on its own as a passage).
A long sentence's vector blurs the clause that answers ("…纳扎尔巴耶夫于 2019 年下台，但其家族…"); a clause's
does not. Prints the share of questions whose answer sentence ranks first and in the top three under each.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.embedding import load_embedder  # noqa: E402
from rag.evaluation.dataset import Passage  # noqa: E402
from rag.evaluation.runner import QuestionRunner, cached_snapshot, corpus_digest_articles  # noqa: E402
from rag.keywords import normalize  # noqa: E402
from rag.questions import split_parts  # noqa: E402
from rag.retrieval import Retriever  # noqa: E402
from rag.settings import Settings  # noqa: E402
from rag.sources import load_paths  # noqa: E402

SETS = [ROOT / "rag" / "evaluation" / "sets" / n for n in ("seeds_natural.jsonl", "seeds_unseen.jsonl")]
CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")


def _rank(scores: np.ndarray, gold: list[int]) -> int:
    """The 1-based rank of the best-placed answer sentence when the candidates are ordered by `scores`."""
    order = list(np.argsort(-scores, kind="stable"))
    return min(order.index(g) for g in gold) + 1


def main(paths: list[Path]) -> None:
    settings = Settings.from_env()
    emb = load_embedder(settings, progress=False)
    arts, _ = load_paths([ROOT / "seeds"])
    snap, _ = cached_snapshot([Passage(id=a.id, title=a.title, text=a.text) for a in arts],
                              corpus_digest_articles(arts), settings, emb, progress=False, articles=arts)
    answerer = QuestionRunner(settings, emb, snap).engine.extractive
    retriever = Retriever(snap, emb, settings)
    clause_cache: dict[str, np.ndarray] = {}

    def clauses(text: str) -> np.ndarray:
        if text not in clause_cache:
            parts = [c for c in CLAUSE.findall(text) if len(c.strip()) >= 4] or [text]
            clause_cache[text] = emb.encode_documents(parts)
        return clause_cache[text]

    ranks: list[tuple[int, int, int]] = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if not row["answerable"] or len(split_parts(row["question"])) > 1:
                continue
            cands = retriever.candidates(row["question"], settings.top_k)
            sents = answerer.judge(snap, row["question"], cands).sentences
            facts = [normalize(f) for group in row["facts"] for f in group]
            gold = [i for i, s in enumerate(sents) if any(f in normalize(s.text) for f in facts)]
            if not gold:
                continue
            q = cands.query.vector

            ranks.append((_rank(np.array([s.logit for s in sents]), gold),
                          _rank(np.array([s.cos for s in sents]), gold),
                          _rank(np.array([float((clauses(s.text) @ q).max()) for s in sents]), gold)))
    print(f"{len(ranks)} questions whose answer sentence is a candidate\n")
    print("| ranked by | first | top 3 |\n|---|---|---|")
    for k, name in enumerate(("sentence model logit (the service)", "stored sentence vector cosine",
                              "best clause cosine")):
        r = np.array([x[k] for x in ranks])
        print(f"| {name} | {100 * np.mean(r == 1):.1f} | {100 * np.mean(r <= 3):.1f} |")
    fixed = sum(1 for a, _, c in ranks if a > 1 and c == 1)
    print(f"\nanswer sentence not first by the logit but first by its best clause: {fixed}")


if __name__ == "__main__":
    main([Path(a) for a in sys.argv[1:]] or SETS)
