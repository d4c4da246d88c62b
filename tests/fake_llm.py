"""A scripted OpenAI-compatible LLM server on 127.0.0.1 for tests (stdlib only, runs in a thread).

POST /v1/chat/completions, streaming (SSE `data: {...}` chunks, then `data: [DONE]`) or not. The test
sets `fake.mode` to choose how the next answers go; condensation requests (no passages in the prompt)
get `fake.condense_reply`. Every request is recorded in `fake.requests` as (kind, body, headers).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("good", "invented", "unsupported", "notfound", "unmarked", "unmarked-invented", "slow", "error500", "drop",
         "garbage")
UNSUPPORTED = "月球上发现了大量的企鹅和香蕉种植园。"
NOT_FOUND = "资料中没有提到这个问题的答案。"
UNMARKED_INVENTED = "2002年。"
_PASSAGE = re.compile(r"^\[(\d+)\] .*\n(.+)$", re.M)


def first_sentence(text: str) -> str:
    for m in re.finditer(r"[^。！？]+[。！？]", text):
        if len(m.group().strip()) >= 10:
            return m.group().strip()
    return text.strip()[:60]


class FakeLLM:
    """The server and its script."""

    def __init__(self, sleep: float = 3.0):
        self.mode = "good"
        self.condense_reply = "纳扎尔巴耶夫是哪一年辞去哈萨克斯坦总统职务的？"
        self.condense_mode = "ok"
        self.sleep = sleep  # for mode "slow": longer than RAG_LLM_TIMEOUT
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def calls(self, kind: str) -> int:
        with self._lock:
            return sum(1 for k, _, _ in self.requests if k == kind)

    def record(self, kind: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((kind, body, headers))

    def reply(self, prompt: str) -> str:
        """The scripted answer text for a prompt (markers refer to the prompt's passage numbers)."""
        passages = {int(n): t for n, t in _PASSAGE.findall(prompt)}
        s1, s2 = first_sentence(passages.get(1, "")), first_sentence(passages.get(2, ""))
        if self.mode == "invented":
            return f"{s1}[1][9]{s2}[2]"
        if self.mode == "unsupported":
            return f"{s1}[1]{UNSUPPORTED}[2]"
        if self.mode == "notfound":
            return NOT_FOUND
        if self.mode == "unmarked":  # a right answer, but the LLM forgot the markers
            return s1
        if self.mode == "unmarked-invented":  # an answer from the LLM's own knowledge, without markers
            return UNMARKED_INVENTED
        return f"{s2}[2]{s1}[1]"  # good: passage 2 is cited first, so it becomes [1]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out or drop keep-alive connections are part of the script


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            prompt = "\n".join(m.get("content", "") for m in body.get("messages", []))
            kind = "answer" if "Passages:" in prompt else "condense"
            fake.record(kind, body, {k.lower(): v for k, v in self.headers.items()})
            try:
                if kind == "condense":
                    if fake.condense_mode == "error500":
                        return self._send(500, "application/json", b'{"error": {"message": "boom"}}')
                    return self._json_reply(fake.condense_reply)
                mode = fake.mode
                if mode == "slow":
                    time.sleep(fake.sleep)
                if mode == "error500":
                    return self._send(500, "application/json", b'{"error": {"message": "model crashed"}}')
                if mode == "garbage":
                    if body.get("stream"):
                        return self._send(200, "text/event-stream", b"data: <html>Bad Gateway</html>\n\n")
                    return self._send(200, "application/json", b"<html>Bad Gateway</html>")
                text = fake.reply(prompt)
                if not body.get("stream"):
                    return self._json_reply(text)
                self._stream(text, drop=mode == "drop")
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
                self.close_connection = True

        def _send(self, status: int, ctype: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json_reply(self, text: str) -> None:
            payload = {"id": "fake", "object": "chat.completion", "model": "fake",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": text}}]}
            self._send(200, "application/json", json.dumps(payload, ensure_ascii=False).encode())

        def _chunk(self, data: str) -> None:
            raw = data.encode()
            self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
            self.wfile.flush()

        def _stream(self, text: str, drop: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            pieces = [text[i:i + 4] for i in range(0, len(text), 4)]
            for i, piece in enumerate(pieces):
                if drop and i == 3:  # cut the connection mid-answer, without ending the chunked body
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                delta = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                self._chunk("data: " + json.dumps(delta, ensure_ascii=False) + "\n\n")
            self._chunk('data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n')
            self._chunk("data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")

    return Handler
