"""Speech stage: offline speech-to-text (faster-whisper) and text-to-speech (gTTS, Piper, eSpeak NG).

Nothing is loaded at import; models load on first use or in :func:`warmup`.
"""

from speech.audio import MAX_SECONDS, load_audio
from speech.listen import Listener
from speech.stt import Decoding, WhisperSource, load_model, transcribe
from speech.tts import (VOICES, SentenceSplitter, Voice, VoiceUnavailableError, available_voices, join_clips,
                        synthesize, synthesize_stream)
from speech.types import AudioClip, BadAudioError, NothingHeardError, Segment, Transcript
from speech.warmup import warmup

__all__ = [
    "AudioClip", "BadAudioError", "Decoding", "Listener", "MAX_SECONDS", "NothingHeardError", "Segment",
    "SentenceSplitter",
    "Transcript", "VOICES", "Voice", "VoiceUnavailableError", "WhisperSource", "available_voices", "load_audio",
    "join_clips", "load_model", "synthesize", "synthesize_stream", "transcribe", "warmup",
]
