"""Record and replay the model's output in eval runs (`bot eval --replay FILE`), for designing.

Why: an eval run's time is nearly all llama.cpp reading prompts (about 13 s of a 15 s answer on
2 cores), while the verifier, the quotes and the refusals, which are what is being designed,
run after generation. The embedded model is deterministic (temperature 0, same prompt, same
text: full runs of the same code give the same numbers), so a run's generations, recorded
keyed by the exact request, can be replayed for the same requests. A request the recording
lacks (a changed prompt, an added-fact round that did not happen before) goes to the real
model and is recorded. Numbers from a replayed run equal a real run's except latency, which the
report marks. Reported numbers come from real runs; this is for trying a design on all of dev
in minutes instead of most of an hour.

llama-index has no response cache for LLMs (its IngestionCache is for transformations), so
this wraps the two calls the pipeline makes: `stream_chat` and `complete`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse, MessageRole


class ReplayLLM:
    """Wraps a llama-index LLM: replays recorded outputs, records the rest (append-only JSONL)."""

    def __init__(self, llm, path: Path, model: str):
        self.llm, self.path, self.model = llm, Path(path), model
        self.records: dict[str, dict] = {}
        self.hits = self.misses = 0
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    r = json.loads(line)
                except ValueError:
                    continue  # blank, or cut off when a recording run was killed: regenerated if needed
                if isinstance(r, dict) and {"key", "deltas", "complete"} <= r.keys():
                    old = self.records.get(r["key"])
                    if not old or (r["complete"], len(r["deltas"])) >= (old["complete"], len(old["deltas"])):
                        self.records[r["key"]] = r

    def __getattr__(self, name: str) -> Any:  # metadata, llama, … of the wrapped LLM
        return getattr(self.llm, name)

    def _key(self, kind: str, payload: Any, kwargs: dict) -> str:
        request = {"kind": kind, "model": self.model, "payload": payload,
                   "kwargs": {k: v for k, v in sorted(kwargs.items()) if isinstance(v, (str, int, float, list, type(None)))}}
        return hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def _save(self, key: str, deltas: list[str], complete: bool) -> None:
        old = self.records.get(key)
        if old and (old["complete"], len(old["deltas"])) >= (complete, len(deltas)):
            return
        self.records[key] = record = {"key": key, "deltas": deltas, "complete": complete}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")

    def stream_chat(self, messages, **kwargs):
        key = self._key("chat", [(str(m.role.value), m.content) for m in messages], kwargs)
        record = self.records.get(key)
        self.hits += bool(record)
        self.misses += not record
        deltas, complete, text = list(record["deltas"]) if record else [], bool(record and record["complete"]), ""
        try:
            for d in deltas:
                text += d
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=d)
            if complete:
                return
            # Not recorded this far: generate for real, skipping what was replayed (same text).
            skip = len(text)
            for r in self.llm.stream_chat(messages, **kwargs):
                d = r.delta or ""
                if skip:
                    cut = min(skip, len(d))
                    d, skip = d[cut:], skip - cut
                    if not d:
                        continue
                deltas.append(d)
                text += d
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=d)
            complete = True
        finally:  # the consumer may stop early (first sentence only, a loop): keep what it read
            self._save(key, deltas, complete)

    def chat(self, messages, **kwargs):
        text = "".join(r.delta or "" for r in self.stream_chat(messages, **kwargs))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    def complete(self, prompt: str, formatted: bool = False, **kwargs):
        key = self._key("complete", prompt, kwargs)
        record = self.records.get(key)
        self.hits += bool(record)
        self.misses += not record
        if record:
            return CompletionResponse(text="".join(record["deltas"]))
        text = self.llm.complete(prompt, formatted=formatted, **kwargs).text
        self._save(key, [text], True)
        return CompletionResponse(text=text)
