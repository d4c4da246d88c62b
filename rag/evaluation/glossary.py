"""Make the English-to-Chinese glossary (rag/models/glossary.tsv) from the embedder itself.

    .venv/bin/python -m rag.evaluation.glossary            # write rag/models/glossary.tsv (about 2 minutes)

BM25 cannot match an English question against Chinese passages, and the scorer's word-coverage features see
nothing of it. No bilingual dictionary ships offline, but the multilingual encoder aligns the two languages
word by word well enough for common words: each of the most frequent English words (wordfreq's list; install
it to rebuild: `.venv/bin/pip install wordfreq`, it is not needed at run time) is encoded as a query, as is
each of jieba's most frequent Chinese words, and the English word keeps its nearest Chinese words ("born" -> 出生,
"airport" -> 机场). Names do not transliterate this way (Tokayev, CSTO find nothing close); the dense retriever
carries those.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from rag.glossary import ENGLISH_WORD, FUNCTION_WORDS, GLOSSARY_PATH, KEEP_PER_WORD, MIN_SIMILARITY
from rag.settings import Settings

ENGLISH_WORDS = 40_000  # wordfreq's most frequent English words (37,956 of them are 3-20 letters and not function words)
CHINESE_WORDS = 40_000  # jieba's most frequent 2-6 character words: 93% of its dictionary's frequency mass in words of
# two characters or more
_HAN = re.compile(r"[\u4e00-\u9fff]{2,6}")


def english_words(n: int = ENGLISH_WORDS) -> list[str]:
    try:
        from wordfreq import top_n_list
    except ImportError as e:
        raise SystemExit("rebuilding the glossary needs wordfreq's word list: .venv/bin/pip install wordfreq") from e
    return [w for w in top_n_list("en", n) if ENGLISH_WORD.fullmatch(w) and w not in FUNCTION_WORDS]


def chinese_words(n: int = CHINESE_WORDS) -> list[str]:
    import jieba

    jieba.initialize()
    ranked = sorted(jieba.dt.FREQ.items(), key=lambda kv: -kv[1])
    return [w for w, f in ranked if f > 0 and _HAN.fullmatch(w)][:n]


def build(settings: Settings, out: Path = GLOSSARY_PATH, floor: float = MIN_SIMILARITY) -> int:
    """Write the table: each English word's nearest Chinese words (at most KEEP_PER_WORD) down to `floor`."""
    from rag.embedding import load_embedder

    emb = load_embedder(settings)
    en = english_words()
    zh = chinese_words()
    print(f"encoding {len(en)} English and {len(zh)} Chinese words", file=sys.stderr)
    zv = emb.encode_queries(zh)
    rows: list[str] = []
    step = 2048
    for i in range(0, len(en), step):
        words = en[i:i + step]
        sims = emb.encode_queries(words) @ zv.T
        top = np.argsort(-sims, axis=1)[:, :KEEP_PER_WORD]
        for w, idx, row in zip(words, top, sims):
            keep = [(zh[j], float(row[j])) for j in idx if row[j] >= floor]
            if keep:
                rows.append("\t".join([w, " ".join(z for z, _ in keep), " ".join(f"{s:.3f}" for _, s in keep)]))
        print(f"  {min(i + step, len(en))}/{len(en)}", file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    head = (f"# English word -> nearest Chinese words by multilingual-e5-small query cosine "
            f"(python -m rag.evaluation.glossary; wordfreq's {len(en)} most frequent English words x jieba's {len(zh)} "
            "most frequent Chinese words; word list: wordfreq, CC BY-SA 4.0)")
    out.write_text(head + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=GLOSSARY_PATH)
    ap.add_argument("--floor", type=float, default=MIN_SIMILARITY,
                    help="keep pairs down to this cosine (below rag.glossary.MIN_SIMILARITY only for a sweep)")
    args = ap.parse_args(argv)
    n = build(Settings.from_env(), args.out, args.floor)
    print(f"wrote {n} entries to {args.out} (floor {args.floor})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
