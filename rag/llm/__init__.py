"""Optional generative answers through any OpenAI-compatible LLM, with verified citations.

    client.py    httpx client for chat completions (streaming, bounded retries, LLMError)
    prompt.py    the prompt files (rag/prompts/answer.txt, condense.txt) and how they are filled
    markers.py   renumbers [n] markers while the answer streams
    verify.py    checks each cited claim against its passage
    answerer.py  LLMAnswerer: condense follow-ups, stream answer events, fall back to extractive
"""

from rag.llm.answerer import LLMAnswerer
from rag.llm.client import LLMClient

__all__ = ["LLMAnswerer", "LLMClient"]
