"""The reply as the LLM writes it, with the fallback model, and its voice sentence by sentence meanwhile."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable, Iterator

from chat.backends import Backend
from chat.types import AudioEvent, ErrorEvent, NoticeEvent, ReplyEvent, TextDelta
from core.errors import ErrorCategory, HaruError
from prompts.types import Prompt
from speech.types import AudioClip

log = logging.getLogger(__name__)

_FINISHED = object()      # a worker of the turn is done


class FallbackNotice(HaruError):
    def __init__(self, failed: str, cause: HaruError) -> None:
        super().__init__(f"{failed} is not answering ({cause.en}) — Anna answers with the offline model instead.",
                         f"{failed} 응답이 없어요({cause.ko}). 오프라인 모델로 대신 답할게요.",
                         category=cause.category)


class VoiceUnavailableNotice(HaruError):
    def __init__(self) -> None:
        super().__init__("Anna's voice is unavailable right now; the reply is shown as text.",
                         "지금은 음성을 만들 수 없어 글로만 답해요.", category=ErrorCategory.UNAVAILABLE)


def stream_with_fallback(backend: Backend, fallback: Backend | None, prompt: Prompt, reply_parts: list[str]):
    """Text deltas from ``backend``; if it fails before any text, a notice and then the fallback's.
    Every delta is also appended to ``reply_parts``."""
    current = backend
    while True:
        try:
            for delta in current.stream(prompt):
                reply_parts.append(delta)
                yield delta
            return
        except HaruError as e:
            if reply_parts or fallback is None or current is fallback or e.category == ErrorCategory.BAD_INPUT:
                yield ErrorEvent(e)
                return
            log.warning("backend %s failed (%s); falling back to %s", current.name, e.category.value, fallback.name)
            yield NoticeEvent(FallbackNotice(current.name, e))
            current = fallback


def speak_while_streaming(stream: Iterator, synthesize_stream: Callable[..., Iterator[AudioClip]] | None,
                          language: str, online: bool) -> Iterator[ReplyEvent]:
    """Text deltas and voice clips, each as soon as it exists (no voice when ``synthesize_stream`` is None).

    The reply (``stream``, from :func:`stream_with_fallback`) streams in one thread and finished sentences
    are voiced in another; this generator yields from both. (Yielding audio only between text deltas held
    the first clip back until the next delta: with the offline model, the next sentence, a second or more
    later.)
    """
    events: queue.Queue = queue.Queue()
    text_in: queue.Queue | None = queue.Queue() if synthesize_stream is not None else None
    stop = threading.Event()
    workers = [threading.Thread(target=_reply_worker, name="haru-reply", daemon=True,
                                args=(stream, events, text_in, stop))]
    if text_in is not None:
        workers.append(threading.Thread(target=_voice_worker, name="haru-tts", daemon=True,
                                        args=(synthesize_stream, text_in, events, language, online)))
    for worker in workers:
        worker.start()
    running = len(workers)
    try:
        while running:
            item = events.get()
            if item is _FINISHED:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        stop.set()    # if the consumer went away, the reply worker stops the model at its next delta


def _reply_worker(stream: Iterator, events: queue.Queue, text_in: queue.Queue | None,
                  stop: threading.Event) -> None:
    try:
        for item in stream:
            if stop.is_set():
                break
            if isinstance(item, NoticeEvent | ErrorEvent):
                events.put(item)
                continue
            events.put(TextDelta(item))
            if text_in is not None:
                text_in.put(item)
    except BaseException as e:    # re-raised in the consumer's thread, as if nothing ran elsewhere
        events.put(e)
    finally:
        stream.close()
        if text_in is not None:
            text_in.put(None)
        events.put(_FINISHED)


def _voice_worker(synthesize_stream: Callable[..., Iterator[AudioClip]], text_in: queue.Queue,
                  events: queue.Queue, language: str, online: bool) -> None:
    def deltas():
        while (item := text_in.get()) is not None:
            yield item
    try:
        for clip in synthesize_stream(deltas(), language, online=online):
            events.put(AudioEvent(clip))
    except HaruError as e:
        events.put(NoticeEvent(e))
    except Exception:
        log.exception("speech synthesis failed")
        events.put(NoticeEvent(VoiceUnavailableNotice()))
    finally:
        events.put(_FINISHED)
