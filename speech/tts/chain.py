"""The voice chain: the best working voice for a language, falling back to the next one."""

from __future__ import annotations

import logging
from typing import Callable, Iterable, Iterator

from speech.stt import LANGUAGES
from speech.tts import espeak_voice, gtts_voice, piper_voice
from speech.tts.text import SentenceSplitter, clean_for_speech, speakable
from speech.tts.voices import Voice, VoiceUnavailableError, available_voices, voice_named
from speech.types import AudioClip

__all__ = ["synthesize", "synthesize_stream"]

log = logging.getLogger(__name__)

_ENGINES: dict[str, Callable[[str, str], AudioClip]] = {
    "gtts": gtts_voice.speak, "piper": piper_voice.speak, "espeak": espeak_voice.speak}


def _chain(language: str, online: bool, voice: str | None) -> list[Voice]:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    if voice is not None:
        return [voice_named(voice)]
    return [v for v in available_voices(language, online=online)
            if not (v.engine == "gtts" and gtts_voice.gtts_suspended())]


def synthesize(text: str, language: str, *, online: bool = True, voice: str | None = None) -> AudioClip:
    """Speak ``text`` in ``language`` ("ko" | "en") with the best working voice.

    ``online=False`` skips gTTS; ``voice`` forces one voice by name (see
    :data:`VOICES`). Raises :class:`VoiceUnavailableError` when every voice fails
    and ``ValueError`` when ``text`` has nothing to say.
    """
    spoken = clean_for_speech(text)
    if not speakable(spoken):
        raise ValueError(f"nothing to speak in {text!r}")
    for candidate in _chain(language, online, voice):
        try:
            clip = _ENGINES[candidate.engine](spoken, candidate.language)
        except Exception as e:  # noqa: BLE001 - try the next voice, and say why in the log
            log.warning("voice %s failed, trying the next one: %s", candidate.name, e)
            if candidate.engine == "gtts":
                gtts_voice.suspend()
            continue
        if clip.data:
            return clip
        log.warning("voice %s returned no audio", candidate.name)
    raise VoiceUnavailableError()


def synthesize_stream(text_deltas: Iterable[str], language: str, *, online: bool = True,
                      voice: str | None = None) -> Iterator[AudioClip]:
    """Yield one clip per sentence as soon as that sentence is complete in ``text_deltas``.

    The deltas are pulled lazily: the first sentence is spoken while the LLM is
    still writing the second. Sentences with nothing to say (only emoji) are skipped.
    """
    _chain(language, online, voice)   # fail fast on a bad language or voice name
    splitter = SentenceSplitter()
    for delta in text_deltas:
        for sentence in splitter.feed(delta):
            yield from _speak_sentence(sentence, language, online, voice)
    for sentence in splitter.flush():
        yield from _speak_sentence(sentence, language, online, voice)


def _speak_sentence(sentence: str, language: str, online: bool, voice: str | None) -> Iterator[AudioClip]:
    if speakable(clean_for_speech(sentence)):
        yield synthesize(sentence, language, online=online, voice=voice)
