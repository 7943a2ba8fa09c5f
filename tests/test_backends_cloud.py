"""Cloud backends against a fake server on loopback that speaks the real streaming wire formats.

The official SDKs run unchanged; only their base URL points at testkit/fake_llm_server.py.
"""

from __future__ import annotations

import socket

import pytest

from chat.backends import BACKENDS, get_backend
from chat.backends._cloud import MAX_ATTEMPTS
from core.config import LLM_BACKENDS, AppConfig
from core.errors import ErrorCategory, HaruError
from prompts import CompanionSettings, Profile, TurnContext, build
from testkit.fake_llm_server import FakeLLMServer, Reply

CONFIG = AppConfig(llm_timeout_s=2.0)
PROMPT = build(CompanionSettings(language="en", attitude="casual"), Profile("Sam"),
               TurnContext(user_text="Long day. I'm tired."))
CLOUD = [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY"), ("openai-compatible", "")]


def backend_for(name: str, server: FakeLLMServer, api_key: str = "test-key", config: AppConfig = CONFIG):
    url = server.url if name == "anthropic" else server.openai_url
    return get_backend(name, config, api_key=api_key, base_url=url)


def posts(server: FakeLLMServer) -> list:
    return [r for r in server.requests if r.method == "POST"]


def collect(backend) -> tuple[list[str], HaruError | None]:
    """The deltas that arrived, and the error that ended the stream (if any)."""
    out = []
    try:
        for delta in backend.stream(PROMPT):
            out.append(delta)
    except HaruError as e:
        return out, e
    return out, None


@pytest.mark.parametrize("name", [n for n, _ in CLOUD])
def test_streams_deltas_in_order(name):
    chunks = ("Oh no, ", "that sounds ", "exhausting. ", "Rest up!")
    with FakeLLMServer(default=Reply(chunks=chunks, tokens_per_s=200)) as server:
        backend = backend_for(name, server)
        out, error = collect(backend)
    assert error is None and out == list(chunks)
    assert backend.name == name and backend.model


def test_openai_request_carries_the_prompt_and_settings():
    with FakeLLMServer() as server:
        collect(backend_for("openai", server))
    body = posts(server)[0].body
    assert body["messages"][0] == {"role": "system", "content": PROMPT.messages[0].content}
    assert body["messages"][-1]["content"] == PROMPT.messages[-1].content
    assert body["temperature"] == PROMPT.temperature and body["max_completion_tokens"] == PROMPT.max_tokens
    assert body["stream"] is True and body["model"] == "gpt-4.1-mini"
    assert posts(server)[0].headers["authorization"] == "Bearer test-key"


def test_openai_reasoning_models_get_no_temperature_and_room_to_think():
    with FakeLLMServer() as server:
        backend = get_backend("openai", CONFIG, api_key="k", model="gpt-5.4-mini", base_url=server.openai_url)
        collect(backend)
    body = posts(server)[0].body
    assert "temperature" not in body and body["max_completion_tokens"] > PROMPT.max_tokens


def test_anthropic_request_puts_the_system_prompt_apart():
    with FakeLLMServer() as server:
        collect(backend_for("anthropic", server))
    request = posts(server)[0]
    assert request.path == "/v1/messages"
    assert "test-key" in (request.headers.get("x-api-key", "") + request.headers.get("authorization", ""))
    assert request.body["system"] == PROMPT.messages[0].content
    assert [m["role"] for m in request.body["messages"]] == ["user"]
    assert request.body["max_tokens"] == PROMPT.max_tokens and request.body["model"] == "claude-haiku-4-5"


def test_compatible_server_without_a_model_uses_the_first_it_lists_and_needs_no_key():
    with FakeLLMServer(models=("qwen2.5:7b", "llama3")) as server:
        backend = get_backend("openai-compatible", CONFIG, base_url=server.openai_url)
        out, error = collect(backend)
    assert error is None and out
    assert backend.model == "qwen2.5:7b" and posts(server)[0].body["model"] == "qwen2.5:7b"
    assert posts(server)[0].body["max_tokens"] == PROMPT.max_tokens


@pytest.mark.parametrize("name", [n for n, _ in CLOUD])
def test_rate_limit_and_server_errors_are_retried_before_any_text(name):
    script = [Reply(status=429, retry_after=0), Reply(status=503, retry_after=0), Reply(chunks=("Back!",))]
    with FakeLLMServer(script) as server:
        out, error = collect(backend_for(name, server))
    assert error is None and out == ["Back!"]
    assert len(posts(server)) == 3


@pytest.mark.parametrize("name", [n for n, _ in CLOUD])
def test_persistent_rate_limit_gives_up_after_a_few_tries(name):
    with FakeLLMServer(default=Reply(status=429, retry_after=0)) as server:
        out, error = collect(backend_for(name, server))
    assert out == [] and error.category == ErrorCategory.RATE_LIMIT
    assert len(posts(server)) == MAX_ATTEMPTS
    assert error.ko and error.en != error.ko


@pytest.mark.parametrize("name, setting", CLOUD[:2])
def test_rejected_key_is_an_auth_error_naming_the_setting_and_not_retried(name, setting):
    with FakeLLMServer([Reply(status=401)]) as server:
        out, error = collect(backend_for(name, server))
    assert error.category == ErrorCategory.AUTH and setting in error.en and setting in error.ko
    assert len(posts(server)) == 1


@pytest.mark.parametrize("name, setting", CLOUD[:2])
def test_missing_key_names_the_setting_before_any_request(name, setting):
    with FakeLLMServer() as server:
        out, error = collect(backend_for(name, server, api_key=""))
    assert error.category == ErrorCategory.AUTH and setting in error.en and setting in error.ko
    assert server.requests == []


@pytest.mark.parametrize("name", [n for n, _ in CLOUD])
def test_a_stalled_stream_times_out_without_retrying(name):
    config = AppConfig(llm_timeout_s=0.5)
    with FakeLLMServer([Reply(first_delay_s=1.5)]) as server:
        out, error = collect(backend_for(name, server, config=config))
    assert out == [] and error.category == ErrorCategory.TIMEOUT
    assert len(posts(server)) == 1


@pytest.mark.parametrize("name", [n for n, _ in CLOUD])
def test_a_slow_but_steady_stream_finishes(name):
    config = AppConfig(llm_timeout_s=0.5)
    chunks = tuple(f"w{i} " for i in range(8))
    with FakeLLMServer([Reply(chunks=chunks, first_delay_s=0.3, tokens_per_s=10)]) as server:
        out, error = collect(backend_for(name, server, config=config))
    assert error is None and out == list(chunks)


@pytest.mark.parametrize("name", [n for n, _ in CLOUD])
def test_an_error_inside_the_stream_is_retried_only_while_nothing_was_shown(name):
    with FakeLLMServer([Reply(error_after=0), Reply(error_after=2)]) as server:
        out, error = collect(backend_for(name, server))
    assert len(posts(server)) == 2                 # first failure retried, second one had shown text
    assert out == list(Reply().chunks[:2]) and error.category == ErrorCategory.UNAVAILABLE


@pytest.mark.parametrize("name", [n for n, _ in CLOUD])
def test_a_connection_dropped_mid_reply_is_reported_not_silently_cut(name):
    with FakeLLMServer([Reply(drop_after=3)]) as server:
        out, error = collect(backend_for(name, server))
    assert out == list(Reply().chunks[:3]) and error.category == ErrorCategory.CONNECTIVITY


def test_unreachable_server_is_a_connectivity_error():
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = get_backend("openai-compatible", CONFIG, model="m", base_url=f"http://127.0.0.1:{port}/v1")
    out, error = collect(backend)
    assert out == [] and error.category == ErrorCategory.CONNECTIVITY


def test_unknown_model_is_a_config_error_naming_the_setting():
    with FakeLLMServer([Reply(status=404)]) as server:
        out, error = collect(backend_for("openai", server))
    assert error.category == ErrorCategory.CONFIG and "HARU_LLM_MODEL" in error.en


def test_compatible_backend_without_a_base_url_says_which_setting_to_set():
    out, error = collect(get_backend("openai-compatible", AppConfig()))
    assert error.category == ErrorCategory.CONFIG and "OPENAI_BASE_URL" in error.en


def test_registry_lists_every_backend_and_rejects_unknown_names():
    assert tuple(BACKENDS) == LLM_BACKENDS
    with pytest.raises(HaruError) as info:
        get_backend("gpt-in-a-box", CONFIG)
    assert info.value.category == ErrorCategory.CONFIG and "local" in info.value.en
