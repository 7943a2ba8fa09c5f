"""Text-to-speech: gTTS when the network allows, offline voices otherwise; one module per engine.

Voices, best first for each language (:data:`VOICES`): ``gtts-ko`` / ``gtts-en`` (online),
``piper-joe-en`` (offline neural), ``espeak-ko`` / ``espeak-en`` (offline formant).
"""

from speech.tts.chain import synthesize, synthesize_stream
from speech.tts.encode import join_clips, wav_bytes
from speech.tts.espeak_voice import load_espeak
from speech.tts.gtts_voice import GTTS_BACKOFF_S, GTTS_TIMEOUT_S, gtts_suspended
from speech.tts.piper_voice import load_piper
from speech.tts.text import SentenceSplitter, clean_for_speech
from speech.tts.voices import VOICES, Voice, VoiceUnavailableError, available_voices

__all__ = ["GTTS_BACKOFF_S", "GTTS_TIMEOUT_S", "SentenceSplitter", "VOICES", "Voice", "VoiceUnavailableError",
           "available_voices", "clean_for_speech", "gtts_suspended", "join_clips", "load_espeak", "load_piper",
           "synthesize", "synthesize_stream", "wav_bytes"]
