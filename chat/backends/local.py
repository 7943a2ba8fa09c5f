"""The embedded offline backend: Qwen2.5-Coder-1.5B-Instruct in-process on the CPU via xllamacpp.

No key, no network. The model is small, so every reply passes through :class:`ReplyGuard`, which
shows it one checked sentence at a time: a wrong language, echoed instructions or nothing to show at
the start means one retry at a lower temperature, then the prompt's safe template reply; sentences
repeating the user's words are skipped; a bad or looping later sentence, or reaching the length target,
ends the reply. The model tends to stop after two or three sentences whatever length was asked for, so a
reply that ends well short of its target, by itself or by looping, is continued: the text shown so far
goes back as the start of Anna's message and the model writes on with its end-of-turn token banned and a
repetition penalty, until the guard ends it.
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from chat.backends._model_files import MODEL_NAME, ensure_model
from chat.backends.guard import Rejected, ReplyGuard, last_user_words
from core.config import AppConfig
from core.cpu import free_cores, threads_for, usable_cores
from core.errors import ErrorCategory, HaruError
from prompts.types import Message, Prompt

log = logging.getLogger(__name__)

N_CTX = 4096
PROMPT_CACHE_MIB = 256       # ~10-20 people's primed prompts (15-30 MB each)
RETRY_TEMPERATURE = 0.5
MAX_CONTINUATIONS = 2
MIN_CONTINUATION_TOKENS = 48
STOP_WAIT_S = 30.0
# Stop words: the model starting to write the next user turn or our data tags (with its end-of-turn
# token banned during a continuation, it tends to open a new turn instead).
STOP = ["<user_words>", "</user_words>", "<|im_end|>", "<|endoftext|>", "<|im_start|>"]
# With its end-of-turn token banned, the model "ends" with line breaks instead, on and on. Banned too
# during a continuation (llama.cpp bans each token these strings tokenize to; all are whitespace, so
# a sentence may still end with a line break token such as ".\n\n" and start a new paragraph).
BLANK_LINES = ("\n", "\n\n", "\n\n\n", "\n\n\n\n", " \n", " \n\n", "\r\n")
# A continuation is sampled with a repetition penalty: left to write on, the model retells the user's words
# and the prompt's examples and loops on its last sentence, far short of the target (docs/prompts.md). Only
# continuations: it also penalises punctuation and common endings, and the first, unpenalised attempt is
# the reply the model itself would give.
CONTINUATION_SAMPLING: dict[str, Any] = {"repeat_penalty": 1.3}
_DONE = object()
# Warm-up runs in a background thread while the first turn may already want the model: one load only.
_LOAD_LOCK = threading.Lock()
_PRIMING = threading.Lock()


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.value += n


_ACTIVE = _Counter()      # generations under way in this process, priming included


class LocalModelError(HaruError):
    category = ErrorCategory.UNAVAILABLE


MAX_THREADS = 4


def choose_threads(cores: int, free: float) -> int:
    """Generation threads for ``cores`` usable cores of which ``free`` were idle over the last minute.

    llama.cpp's threads wait on each other at every token, so a thread on a core that other work holds
    stalls all of them (two threads on a busy 2-core machine fell to 0.5 tokens/s, one kept ~7): only
    idle cores get one. Beyond two cores one is left to speech synthesis, which runs while the reply streams.
    """
    return threads_for(cores, free - (1 if cores > 2 else 0), MAX_THREADS)


def default_threads() -> int:
    """:func:`choose_threads` for this process's cores and the load right now."""
    cores = usable_cores()
    return choose_threads(cores, free_cores(cores))


def batch_threads() -> int:
    """Reading the prompt happens before there is anything to speak, and the turn's face and speech are
    done by then: all cores (on 2 cores the turn's new prompt part read at 66 instead of 36 tokens/s)."""
    return max(1, min(8, usable_cores()))


@lru_cache(maxsize=2)
def load_server(model_path: str, n_threads: int, n_ctx: int = N_CTX) -> Any:
    """One llama.cpp server per model file, loaded on first use (seconds, and most of its size in RAM)."""
    try:
        import xllamacpp
    except ImportError as e:
        raise LocalModelError("The offline model needs the xllamacpp package: pip install xllamacpp==2026.10.11549.",
                              "오프라인 모델에 xllamacpp 패키지가 필요해요: pip install xllamacpp==2026.10.11549") from e
    params = xllamacpp.CommonParams()
    params.model.path = model_path
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = n_threads
    params.cpuparams_batch.n_threads = max(n_threads, batch_threads())
    params.verbosity = -1
    # llama.cpp repacks most weights into a CPU-friendly layout in its own memory; with the file also
    # mapped, both copies stayed resident (docs/prompts.md).
    params.load_mode = xllamacpp.llama_load_mode.LLAMA_LOAD_MODE_NONE
    # Saved prompt states let people take turns without re-reading their fixed prompt; llama.cpp's
    # default allows 8 GB of them.
    params.cache_ram_mib = PROMPT_CACHE_MIB
    # The library also opens an HTTP listener on a random loopback port; an unknown key keeps other
    # programs (and web pages in the user's browser) from using it.
    params.api_keys = [secrets.token_urlsafe(24)]
    log.info("loading the offline model %s with %d generation threads (%.1f of %d cores free)",
             model_path, n_threads, free_cores(), usable_cores())
    try:
        return xllamacpp.Server(params)
    except RuntimeError as e:   # llama.cpp only says "failed to init server", whatever is wrong with the file
        raise LocalModelError(f"The offline model file {model_path} is missing or damaged and cannot be loaded.",
                              f"오프라인 모델 파일 {model_path} 이(가) 없거나 손상되어 불러올 수 없어요.",
                              category=ErrorCategory.CONFIG) from e


@lru_cache(maxsize=2)
def _shared_server(model_path: str, n_threads: int) -> Any:
    """One loaded model per file for the whole process: the app's warm-up, its turns and its fallback
    each hold a LocalBackend, and each loading its own 1.8 GB copy doubled memory and load time."""
    return load_server(model_path, n_threads)


class LocalBackend:
    """Streams replies from the embedded model; ``server`` may be injected (tests, other GGUF files)."""

    name = "local"

    def __init__(self, config: AppConfig | None = None, *, server: Any = None, model: str = MODEL_NAME,
                 model_path: Path | None = None, n_threads: int | None = None) -> None:
        self.model = model
        self._server = server
        self._model_path = model_path
        self._cache_dir = Path((config or AppConfig()).data_dir) / "models"
        self.threads = n_threads or default_threads()

    def warmup(self) -> None:
        self._get_server()

    def prime(self, prompt: Prompt) -> bool:
        """Read ``prompt`` once without answering, so llama.cpp caches its long fixed beginning.

        The instructions and examples come before the turn's words; with them cached, the user's first
        reply starts in a fraction of a second instead of after the whole prefix is read. Returns
        whether the whole prompt was read (False: busy, or it gave way to a reply).
        """
        # Only when idle, and one at a time: llama.cpp reads one prompt after another, so a queue of
        # primes (many people logging in) would hold back real replies. The prompt is read a message
        # at a time (each step reuses the cached part), and a reply that starts waiting stops the
        # priming at the next step: llama.cpp cannot stop in the middle of reading a prompt, and a
        # whole prompt takes many seconds on a small CPU (docs/prompts.md).
        if _ACTIVE.value or not _PRIMING.acquire(blocking=False):
            return False
        messages = prompt.local_messages or prompt.messages
        try:
            for end in range(1, len(messages) + 1):
                if _ACTIVE.value:
                    log.info("priming stopped after %d of %d messages: a reply is waiting", end - 1, len(messages))
                    return False
                tokens = self.generate(messages[:end], 0.0, 1)
                try:
                    next(tokens, None)
                finally:
                    tokens.close()
            return True
        finally:
            _PRIMING.release()

    def _get_server(self) -> Any:
        with _LOAD_LOCK:
            if self._server is None:
                path = self._model_path or ensure_model(self._cache_dir)
                self._server = _shared_server(str(path), self.threads)
        return self._server

    def stream(self, prompt: Prompt) -> Iterator[str]:
        messages = prompt.local_messages or prompt.messages
        words = last_user_words(messages)
        earlier = [m.content for m in messages[1:-1]]      # the examples and past turns, not the instructions
        for temperature in (prompt.temperature, min(prompt.temperature, RETRY_TEMPERATURE)):
            guard = ReplyGuard(prompt.language, prompt.target_chars, spoken=prompt.mode == "conversation",
                               user_words=words, earlier=earlier, known=prompt.known,
                               instructions=messages[0].content)
            try:
                yield from self._guarded(messages, temperature, prompt.max_tokens, guard)
                return
            except Rejected as e:
                log.info("offline reply at temperature %.2f rejected: %s", temperature, e)
        log.warning("offline model failed the reply checks twice; sending the template reply")
        yield prompt.fallback_reply

    def _guarded(self, messages: tuple[Message, ...], temperature: float, max_tokens: int,
                 guard: ReplyGuard) -> Iterator[str]:
        shown: list[str] = []
        for attempt in range(MAX_CONTINUATIONS + 1):
            so_far = "".join(shown)
            # The continuation's first word brings its own space; the shown text may already end in one.
            skip_space = so_far[-1:].isspace()
            truncated = False
            asked, budget = messages, max_tokens
            if attempt:
                # A continuation gets the tokens the rest of the target needs, not a whole reply's worth.
                asked = (*messages, Message("assistant", so_far.rstrip()))
                budget = max(MIN_CONTINUATION_TOKENS, round(max_tokens * (1 - guard.shown / guard.target)))
            tokens = self.generate(asked, temperature, budget, end_allowed=not attempt)
            try:
                for delta, finish_reason in tokens:
                    truncated = finish_reason == "length"
                    if skip_space and delta:
                        delta, skip_space = delta.lstrip(), not delta.strip()
                    if text := guard.feed(delta):
                        shown.append(text)
                        yield text
                    if guard.done:
                        log.info("offline reply ended by the guard (%s) at %d/%d characters",
                                 guard.ended, guard.shown, guard.target)
                        break
                else:
                    if text := guard.finish(truncated):
                        shown.append(text)
                        yield text
            finally:
                tokens.close()
            if guard.done:
                # A loop ends this generation, not the reply: the looped sentence was not shown, and the
                # penalised continuation writes something else (docs/prompts.md).
                if not (guard.wants_more and attempt < MAX_CONTINUATIONS):
                    return
                guard.resume()
            if truncated:
                log.info("offline reply reached its token limit at %d/%d characters", guard.shown, guard.target)
                return
            if not guard.wants_more:
                return
            log.info("offline reply ended early at %d/%d characters; continuing it", guard.shown, guard.target)

    def generate(self, messages: tuple[Message, ...], temperature: float, max_tokens: int, *,
                 end_allowed: bool = True) -> Iterator[tuple[str, str | None]]:
        """Raw ``(text delta, finish_reason)`` pairs; closing the iterator stops the generation.

        A last assistant message is continued, not answered; ``end_allowed=False`` bans the model's
        end-of-turn tokens, so it writes on until a stop word, the token limit or the caller stops it.
        """
        server = self._get_server()
        request = {"messages": [{"role": m.role, "content": m.content} for m in messages],
                   "temperature": temperature, "max_tokens": max_tokens, "stop": STOP, "stream": True,
                   "ignore_eos": not end_allowed}
        if not end_allowed:
            request["logit_bias"] = [[blank, False] for blank in BLANK_LINES]
            request.update(CONTINUATION_SAMPLING)
        chunks: queue.Queue = queue.Queue()
        stop = threading.Event()

        def on_chunk(chunk: Any) -> bool:
            if isinstance(chunk, str):
                chunk = json.loads(chunk)
            chunks.put(chunk)
            return stop.is_set()     # True asks llama.cpp to stop generating

        def work() -> None:
            try:
                server.handle_chat_completions(request, on_chunk)
            except Exception as e:   # surfaced to the consumer below, in its own thread
                chunks.put(e)
            finally:
                chunks.put(_DONE)

        worker = threading.Thread(target=work, name="haru-local-llm", daemon=True)
        _ACTIVE.add(1)
        worker.start()
        try:
            while (chunk := chunks.get()) is not _DONE:
                if isinstance(chunk, Exception) or "error" in chunk:
                    raise LocalModelError("The offline model failed to answer; please try again.",
                                          "오프라인 모델이 답하지 못했어요. 다시 시도해 주세요.") \
                        from (chunk if isinstance(chunk, Exception) else RuntimeError(str(chunk["error"])))
                for choice in chunk.get("choices", ()):
                    text = (choice.get("delta") or {}).get("content") or ""
                    if text or choice.get("finish_reason"):
                        yield text, choice.get("finish_reason")
        finally:
            stop.set()
            # llama.cpp notices the stop at its next token. Wait for that, so the next request does not
            # queue behind a reply nobody reads, and the process never exits with the worker inside C
            # (which aborts with "FATAL: exception not rethrown").
            worker.join(STOP_WAIT_S)
            _ACTIVE.add(-1)
            if worker.is_alive():
                log.warning("offline model still busy %.0f s after its reply was abandoned", STOP_WAIT_S)


def create(config: AppConfig, *, api_key: str | None = None, model: str | None = None,
           base_url: str | None = None) -> LocalBackend:
    """Registry entry point; the key and URL are meaningless for an in-process model."""
    return LocalBackend(config)
