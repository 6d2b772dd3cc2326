"""The built-in sandbox model behind /v1/chat/completions, billed like a real one.

With no upstream configured every catalog model answers here: deterministically (the
same messages always get the same answer) and with real token counts — the prompt and
the answer are tokenised and counted, so what is billed is what was sent and returned.
A chat completion goes through the router's whole path: authorize → answer → usage.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing_app.models.types import utcnow
from billing_app.services import metering
from billing_app.services.pricing import SANDBOX_MODEL

# A BPE-like split: a word piece of up to 6 letters, up to 3 digits or a run of up to 3
# other characters, each with its leading space; ≈ 4 characters a token on English text.
# Every character lands in some piece, so the pieces always join back into the text.
_TOKEN = re.compile(r" ?[^\W\d_]{1,6}| ?\d{1,3}| ?(?:[^\w\s]|_){1,3}|\s+")
# OpenAI's accounting for chat prompts: a few tokens of framing per message and reply.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(tokens(text))


def message_text(content: Any) -> str:
    """A message's text: a string, or OpenAI's list of content parts (text parts only)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text")


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    total = REPLY_PRIMING_TOKENS
    for message in messages:
        total += TOKENS_PER_MESSAGE + count_tokens(str(message.get("role", "")))
        total += count_tokens(message_text(message.get("content")))
        if message.get("name"):
            total += TOKENS_PER_NAME + count_tokens(str(message["name"]))
    return total


def answer(model: str, messages: list[dict[str, Any]], max_tokens: int | None) -> tuple[str, str]:
    """(content, finish_reason): the last user message echoed back (other models say who
    they are first), cut at max_tokens with finish_reason "length"."""
    said = next((message_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    text = said or "(no message)"
    if model != SANDBOX_MODEL:
        text = f"[{model} · sandbox] {text}"
    pieces = tokens(text)
    if max_tokens is not None and len(pieces) > max_tokens:
        return "".join(pieces[:max_tokens]), "length"
    return text, "stop"


@dataclass(frozen=True)
class ChatCompletion:
    id: str
    model: str
    created: datetime
    content: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    debit: metering.Debit


def complete(
    *,
    api_key: str,
    model: str,
    messages: list[dict[str, Any]],
    max_tokens: int | None = None,
    request_id: str | None = None,
) -> ChatCompletion:
    """Authorize, answer, record the usage. Raises what metering.authorize raises
    (InvalidApiKey, NotFound for a model outside the catalog, BudgetExceeded,
    InsufficientCredits) before any answer is produced. A repeated `request_id` is
    answered again but billed once."""
    request_id = request_id or f"chatcmpl-{uuid.uuid4().hex}"
    prompt = prompt_tokens(messages)
    metering.authorize(api_key=api_key, request_id=request_id, model=model, max_tokens=max_tokens, prompt_tokens=prompt)
    content, finish_reason = answer(model, messages, max_tokens)
    completion = count_tokens(content)
    debit = metering.record_usage(
        api_key=api_key,
        request_id=request_id,
        model=model,
        prompt_tokens=prompt,
        completion_tokens=completion,
    )
    return ChatCompletion(request_id, model, utcnow(), content, finish_reason, prompt, completion, debit)
