"""The router's side, authenticated by `Authorization: Bearer <API key>`:
POST /v1/billing/authorize, POST /v1/billing/usage, POST /v1/chat/completions, GET /v1/models.

authorize and usage are the hot path. `mount_hot_path` puts a plain ASGI route for each
in front of every other route (a FastAPI route costs more per request in dependency solving,
response validation and wrappers — as much as a whole no-op route, docs/benchmarks.md); it parses the
body with the endpoint's own pydantic model and calls the same endpoint function the
documented FastAPI route would. Errors propagate to the app's handlers, so they leave in the
same envelope. `run_batched` batches their database work (on either database) and decides
where it runs (services/metering/batcher.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, get_type_hints

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Security
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from billing_app.api.deps import api_key_scheme, bearer_token, bearer_token_of
from billing_app.api.inputs import RequestBody
from billing_app.api.schema import errors
from billing_app.config import get_settings
from billing_app.errors import InvalidApiKey, InvalidRequest
from billing_app.ist import iso_ist
from billing_app.services import metering, pricing, sandbox_llm

router = APIRouter(prefix="/v1", tags=["metering"], responses=errors(401, 402, 404, 422, 429))
TokenCount = Annotated[StrictInt, Field(ge=0, le=metering.MAX_TOKENS)]
RequestId = Annotated[str, Field(min_length=1, max_length=metering.MAX_REQUEST_ID)]
ModelName = Annotated[str, Field(min_length=1, max_length=100)]


def _require_key(token: str | None) -> str:
    if token is None:
        raise InvalidApiKey("Send Authorization: Bearer <API key>.")
    return token


async def api_key(request: Request, _: Annotated[object, Security(api_key_scheme)] = None) -> str:
    return _require_key(bearer_token(request))


ApiKey = Annotated[str, Depends(api_key)]


class AuthorizeIn(RequestBody):
    request_id: RequestId
    model: ModelName
    max_tokens: TokenCount | None = None
    # Optional: the prompt's size, when the caller knows it, makes the hold closer.
    prompt_tokens: TokenCount | None = None


class AuthorizeOut(BaseModel):
    hold_id: int
    available_micros: int
    hold_micros: int
    expires_at: str
    currency: str


class UsageIn(RequestBody):
    request_id: RequestId
    model: ModelName
    prompt_tokens: TokenCount
    completion_tokens: TokenCount
    routing_mode: Literal["auto", "tier"] | None = None


class UsageOut(BaseModel):
    cost_micros: int
    balance_micros: int
    currency: str
    replayed: bool


@router.post("/billing/authorize")
async def authorize(body: AuthorizeIn, key: ApiKey) -> AuthorizeOut:
    """Before a request: 402 insufficient_credits when balance − open holds ≤ 0, 429
    budget_exceeded when the key's IST-month spend has reached its budget; otherwise a
    hold of the estimated cost (from max_tokens) that expires by itself."""
    held = await metering.run_batched(
        metering.authorize_many,
        metering.AuthorizeCall(key, body.request_id, body.model, body.max_tokens, body.prompt_tokens),
    )
    return AuthorizeOut(
        hold_id=held.hold_id,
        available_micros=held.available_micros,
        hold_micros=held.hold_micros,
        expires_at=iso_ist(held.expires_at),
        currency=held.currency,
    )


@router.post("/billing/usage")
async def usage(body: UsageIn, key: ApiKey) -> UsageOut:
    """After a request: debit its cost once per request_id (a replay returns the same cost)."""
    debit = await metering.run_batched(
        metering.record_usages,
        metering.UsageCall(
            key, body.request_id, body.model, body.prompt_tokens, body.completion_tokens, body.routing_mode
        ),
    )
    return UsageOut(
        cost_micros=debit.cost_micros,
        balance_micros=debit.balance_micros,
        currency=debit.currency,
        replayed=debit.replayed,
    )


class _FastLane:
    """A raw ASGI endpoint for one hot-path route: no Request or Response objects."""

    def __init__(self, endpoint: Callable[..., Awaitable[BaseModel]]) -> None:
        self.endpoint = endpoint
        self.model: type[BaseModel] = get_type_hints(endpoint)["body"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        try:
            body = self.model.model_validate_json(b"".join(chunks))
        except ValidationError as exc:  # the same 422 envelope as FastAPI's own validation, field named
            errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from exc
        result = await self.endpoint(body=body, key=_require_key(bearer_token_of(scope)))
        payload = result.model_dump_json().encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def _fast_lane(path: str, endpoint: Callable[..., Awaitable[BaseModel]]) -> Route:
    return Route(f"{router.prefix}{path}", _FastLane(endpoint), methods=["POST"])


def mount_hot_path(api: FastAPI) -> None:
    """Serve authorize and usage through plain Starlette routes matched before any other;
    the FastAPI routes in `router` still document them in /openapi.json."""
    api.router.routes[0:0] = [_fast_lane("/billing/authorize", authorize), _fast_lane("/billing/usage", usage)]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = Field(default=None, max_length=64)


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, top_p …: accepted, no effect here

    model: ModelName
    messages: list[ChatMessage] = Field(min_length=1, max_length=1000)
    max_tokens: Annotated[StrictInt, Field(ge=1, le=metering.MAX_TOKENS)] | None = None
    max_completion_tokens: Annotated[StrictInt, Field(ge=1, le=metering.MAX_TOKENS)] | None = None
    stream: bool = False


@router.post("/chat/completions")
def chat_completions(
    body: ChatIn, key: ApiKey, x_request_id: Annotated[str | None, Header(max_length=100)] = None
) -> dict[str, Any]:
    """OpenAI-compatible. With no upstream configured every catalog model answers through
    the built-in sandbox backend; billed at the model's rates. `X-Request-Id` makes a retry
    bill once."""
    if body.stream:
        raise InvalidRequest("stream=true is not supported by the sandbox backend.", field="stream")
    done = sandbox_llm.complete(
        api_key=key,
        model=body.model,
        messages=[m.model_dump() for m in body.messages],
        max_tokens=body.max_completion_tokens or body.max_tokens,
        request_id=x_request_id,
    )
    return {
        "id": done.id,
        "object": "chat.completion",
        "created": int(done.created.timestamp()),
        "model": done.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": done.content},
                "finish_reason": done.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": done.prompt_tokens,
            "completion_tokens": done.completion_tokens,
            "total_tokens": done.prompt_tokens + done.completion_tokens,
        },
        "billing": {
            "cost_micros": done.debit.cost_micros,
            "balance_micros": done.debit.balance_micros,
            "currency": done.debit.currency,
        },
    }


@router.get("/models")
async def list_models() -> dict[str, Any]:
    """The catalog in OpenAI's list shape, with our rates (per million tokens, before the
    routing markup) added. Public: prices are not a secret."""
    currency = get_settings().billing_currency
    return {
        "object": "list",
        "data": [
            {
                "id": row.model,
                "object": "model",
                "created": int(row.updated_at.timestamp()),
                "owned_by": row.provider,
                "name": row.display_name,
                "context_length": row.context_window,
                "pricing": {
                    "currency": currency,
                    "input_micros_per_million": row.input_micros_per_million,
                    "output_micros_per_million": row.output_micros_per_million,
                },
            }
            for row in pricing.list_prices()
        ],
    }
