"""The embedded backend (real GGUF model through llama.cpp)."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole


@pytest.mark.llm
def test_a_begun_answer_is_continued_not_restarted(bot):
    """Assistant prefill, as Ollama does it: the last assistant message is continued and only
    the continuation is streamed (create_chat_completion would close it and start anew)."""
    name, llm, _ = bot.backend
    assert name == "embedded"
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, content="Answer in one short sentence."),
        ChatMessage(role=MessageRole.USER, content="What is the capital of France?"),
        ChatMessage(role=MessageRole.ASSISTANT, content="The capital of France is"),
    ]
    deltas = [r.delta for r in llm.stream_chat(messages, max_tokens=12)]
    text = "".join(deltas)
    assert "Paris" in text and not text.lstrip().startswith("The capital"), text
    assert "<|im_end|>" not in text and "<|im_start|>" not in text
