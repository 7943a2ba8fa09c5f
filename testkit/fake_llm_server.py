"""A fake LLM server on loopback that speaks the OpenAI and Anthropic streaming wire formats.

Tests and benchmarks point the real SDKs at it (``base_url``) instead of patching them, and script
each response: an HTTP error with Retry-After, a slow first token, a steady token rate, an error
event inside the stream, or a connection dropped mid-stream.

    with FakeLLMServer([Reply(status=429), Reply(chunks=("Hi", "!"))]) as server:
        backend = get_backend("openai", config, api_key="k", base_url=server.openai_url)
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterable


@dataclass(frozen=True)
class Reply:
    """One scripted response; the server uses them in order, then ``default`` for every later request."""
    status: int = 200
    chunks: tuple[str, ...] = ("Hello", " from", " the", " fake", " server", ".")
    first_delay_s: float = 0.0       # before the first text chunk (time to first token)
    tokens_per_s: float = 0.0        # pace of later chunks; 0 = all at once
    retry_after: float | None = None
    error_after: int | None = None   # send an error event after this many chunks
    drop_after: int | None = None    # close the connection after this many chunks


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict                    # names in lower case
    body: dict


class FakeLLMServer:
    def __init__(self, replies: Iterable[Reply] = (), default: Reply = Reply(),
                 models: tuple[str, ...] = ("fake-model",)) -> None:
        self._replies = list(replies)
        self._default = default
        self.models = models
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-llm", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_url(self) -> str:
        return self.url + "/v1"

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def next_reply(self, seen: Seen) -> Reply:
        """The scripted reply for a completion request (model listings do not use one up)."""
        self.record(seen)
        with self._lock:
            return self._replies.pop(0) if self._replies else self._default

    def __enter__(self) -> "FakeLLMServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _openai_chunk(delta: dict, finish: str | None = None) -> dict:
    return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


# Each event is (SSE event name or None, payload, whether it carries reply text).
def _openai_events(reply: Reply):
    yield None, _openai_chunk({"role": "assistant", "content": ""}), False
    for text in reply.chunks:
        yield None, _openai_chunk({"content": text}), True
    yield None, _openai_chunk({}, "stop"), False


def _anthropic_events(reply: Reply):
    yield "message_start", {"type": "message_start", "message": {
        "id": "msg_fake", "type": "message", "role": "assistant", "content": [], "model": "fake-model",
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 1}}}, False
    yield "content_block_start", {"type": "content_block_start", "index": 0,
                                  "content_block": {"type": "text", "text": ""}}, False
    yield "ping", {"type": "ping"}, False
    for text in reply.chunks:
        yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                      "delta": {"type": "text_delta", "text": text}}, True
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}, False
    yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                            "usage": {"output_tokens": len(reply.chunks)}}, False
    yield "message_stop", {"type": "message_stop"}, False


_ERROR_TYPES = {429: "rate_limit_error", 401: "authentication_error", 404: "not_found_error",
                500: "api_error", 529: "overloaded_error"}


def _error_body(anthropic: bool, status: int) -> dict:
    kind = _ERROR_TYPES.get(status, "api_error")
    if anthropic:
        return {"type": "error", "error": {"type": kind, "message": f"fake {kind}"}}
    return {"error": {"message": f"fake {kind}", "type": kind, "code": kind}}


def _lower(headers) -> dict:
    return {key.lower(): value for key, value in headers.items()}


def _handler_for(server: FakeLLMServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:   # keep test output clean
            pass

        def do_GET(self) -> None:
            server.record(Seen("GET", self.path, _lower(self.headers), {}))
            self._json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in server.models]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            reply = server.next_reply(Seen("POST", self.path, _lower(self.headers), body))
            anthropic = self.path.endswith("/messages")
            if reply.status != 200:
                headers = {} if reply.retry_after is None else {"retry-after": str(reply.retry_after)}
                self._json(reply.status, _error_body(anthropic, reply.status), headers)
                return
            try:
                self._stream(reply, anthropic)
            except (BrokenPipeError, ConnectionResetError):
                pass                            # the client gave up (timeout tests); nothing to send

        def _json(self, status: int, payload: dict, headers: dict | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, reply: Reply, anthropic: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            sent = 0
            events = _anthropic_events(reply) if anthropic else _openai_events(reply)
            for event, payload, is_text in events:
                if is_text:
                    if sent == reply.error_after:
                        self._send("error" if anthropic else None, _error_body(anthropic, 529 if anthropic else 500))
                        return
                    if sent == reply.drop_after:
                        return
                    time.sleep(reply.first_delay_s if sent == 0 else
                               (1 / reply.tokens_per_s if reply.tokens_per_s else 0))
                    sent += 1
                self._send(event, payload)
            if not anthropic:
                self.wfile.write(b"data: [DONE]\n\n")

        def _send(self, event: str | None, payload: dict) -> None:
            prefix = f"event: {event}\n" if event else ""
            self.wfile.write(f"{prefix}data: {json.dumps(payload)}\n\n".encode())
            self.wfile.flush()

    return Handler
