"""A small stand-in for an Ollama server (none can run here) that speaks its HTTP wire protocol.

`GET /api/tags` lists the models; `POST /api/chat` answers with NDJSON chunks when
`"stream": true` and one JSON object otherwise, as Ollama does. The reply quotes the first
sentence of source [1] in the prompt, so answers are grounded and citable. Modes: "ok",
"die" (closes the socket mid-stream), "slow" (stalls before the first byte), "error" (HTTP 500).
`answers` scripts the model's answers instead, one per chat request, in order (condense
requests included), e.g. a sentence with a garbled detail as the small model writes them.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "qwen2.5:1.5b-instruct"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def reply_for(messages: list[dict]) -> str:
    # A last assistant message is an answer begun for the model: Ollama continues it, and
    # streams only the continuation.
    begun = messages[-1]["content"] if messages and messages[-1]["role"] == "assistant" else None
    if begun is not None:
        messages = messages[:-1]
    user = messages[-1]["content"] if messages else ""
    if user.startswith("Rewrite the last question"):
        last = re.search(r"Last question: (.*)", user)
        return f"How did China react to Russia's intervention in Kazakhstan? ({last.group(1) if last else ''})".strip()
    m = re.search(r"\[1\] \([^)]*\) (.+?[.!?])(?:\s|$)", user)
    text = m.group(1) if m else "NOT IN SOURCES"
    return f" {text[0].lower()}{text[1:]}" if begun is not None and m else text


class FakeOllama:
    def __init__(self, mode: str = "ok", models: tuple[str, ...] = (MODEL,), stall: float = 5.0,
                 answers: tuple[str, ...] = ()):
        self.mode, self.models, self.stall = mode, models, stall
        self.answers = list(answers)
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _json(self, code: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/api/tags":
                    self._json(200, {"models": [
                        {"name": m, "model": m, "modified_at": _now(), "size": 986061892, "digest": "0" * 64,
                         "details": {"format": "gguf", "family": "qwen2", "parameter_size": "1.5B", "quantization_level": "Q4_K_M"}}
                        for m in fake.models]})
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(body)
                if self.path != "/api/chat":
                    return self._json(404, {"error": "not found"})
                if body.get("model") not in fake.models:
                    return self._json(404, {"error": f"model '{body.get('model')}' not found"})
                if fake.mode == "error":
                    return self._json(500, {"error": "llama runner process has terminated"})
                if fake.mode == "slow":
                    time.sleep(fake.stall)
                text = fake.answers.pop(0) if fake.answers else reply_for(body.get("messages", []))
                words = re.findall(r"\s*\S+\s*", text)
                if not body.get("stream", True):
                    return self._json(200, {"model": body["model"], "created_at": _now(), "done": True, "done_reason": "stop",
                                            "message": {"role": "assistant", "content": text}})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i, w in enumerate(words):
                    if fake.mode == "die" and i == 3:
                        self.connection.shutdown(socket.SHUT_RDWR)  # the server process "dies" mid-answer
                        self.connection.close()
                        return
                    self._chunk({"model": body["model"], "created_at": _now(), "message": {"role": "assistant", "content": w}, "done": False})
                self._chunk({"model": body["model"], "created_at": _now(), "message": {"role": "assistant", "content": ""},
                             "done": True, "done_reason": "stop", "total_duration": 1, "prompt_eval_count": 10, "eval_count": len(words)})
                self.wfile.write(b"0\r\n\r\n")

            def _chunk(self, obj: dict):
                data = json.dumps(obj).encode() + b"\n"
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeOllama":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
