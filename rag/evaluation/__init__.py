"""`rag eval`: retrieval, answer, citation and abstention quality on a JSONL question set.

Modules: `dataset` (loading JSONL, question types), `metrics` (pure scoring functions),
`runner` (content-keyed index cache, running questions through the API's path), `cli`; and the answer
scorer's fit: `fitdata` (CMRC, DRCD and the question sets in `sets/`, with their indexes) and `fit`
(`python -m rag.evaluation.fit`).
"""

from rag.evaluation.dataset import Passage, Question, load_corpus, load_questions, question_type
from rag.evaluation.metrics import abstention, answer_hit, mrr_at, recall_at

__all__ = ["Passage", "Question", "abstention", "answer_hit", "load_corpus", "load_questions",
           "mrr_at", "question_type", "recall_at"]
