"""The one settings object, read from environment variables and ``.env``.

Every default is written once, in the field below; ``python app.py --help``
is generated from the same fields, so help text and defaults cannot drift.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Mapping

LLM_BACKENDS = ("local", "openai", "anthropic", "openai-compatible")
VISION_PRECISIONS = ("auto", "bf16", "fp32", "int8")


def _f(default, env: str, help: str, *, secret: bool = False):
    return field(default=default, metadata={"env": env, "help": help, "secret": secret})


@dataclass(frozen=True)
class AppConfig:
    host: str = _f("127.0.0.1", "HARU_HOST", "Address the web app listens on.")
    port: int = _f(7860, "HARU_PORT", "Port the web app listens on.")
    data_dir: Path = _f(Path("~/.haru"), "HARU_DATA_DIR",
                        "Folder for the SQLite diary, model caches and uploads.")
    database_url: str = _f("", "DATABASE_URL",
                           "SQLAlchemy URL; empty = SQLite file in the data dir. "
                           "postgresql+psycopg://user:pw@host/db switches to PostgreSQL.")
    language: str = _f("ko", "HARU_LANGUAGE", "Default UI and reply language: ko or en.")
    llm_backend: str = _f("local", "HARU_LLM", "LLM backend: " + " | ".join(LLM_BACKENDS) + ".")
    llm_model: str = _f("", "HARU_LLM_MODEL",
                        "Model name for the chosen backend; empty = the backend's default.")
    llm_timeout_s: float = _f(30.0, "HARU_LLM_TIMEOUT", "Seconds before a cloud LLM call gives up.")
    openai_api_key: str = _f("", "OPENAI_API_KEY", "Key for the OpenAI backend.", secret=True)
    anthropic_api_key: str = _f("", "ANTHROPIC_API_KEY", "Key for the Anthropic backend.", secret=True)
    openai_base_url: str = _f("", "OPENAI_BASE_URL",
                              "Base URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio).")
    openai_compatible_api_key: str = _f("", "HARU_COMPAT_API_KEY",
                                        "Key for the OpenAI-compatible server, if it wants one.", secret=True)
    voice: bool = _f(True, "HARU_VOICE", "Speak Anna's replies aloud.")
    online_tts: bool = _f(True, "HARU_ONLINE_TTS", "Try gTTS (needs network) before the offline voices.")
    whisper_model: str = _f("", "HARU_WHISPER_MODEL",
                            "Folder of a local CTranslate2 Whisper model; empty = bundled base model.")
    whisper_short_window: bool = _f(True, "HARU_WHISPER_SHORT_WINDOW",
                                    "Encode only as much of Whisper's 30 s window as a short utterance needs "
                                    "(~3x faster); off = always the whole window, as Whisper was trained.")
    music_catalogue: str = _f("", "HARU_MUSIC_CATALOGUE",
                              "CSV of songs in the tracks.csv schema; empty = the bundled curated list.")
    vision_precision: str = _f("auto", "HARU_VISION_PRECISION",
                               "Numeric path of the emotion model: auto (chosen from the CPU) | bf16 | fp32 | int8.")
    vision_model: str = _f("vit", "HARU_VISION_MODEL",
                           "Face emotion model: vit (the shipped ViT, most accurate) | student (the distilled DeiT: "
                           "about a third of the compute, 0.3-3 points less accurate; for slow CPUs).")
    keep_face_thumbnail: bool = _f(False, "HARU_KEEP_FACE_THUMBNAIL",
                                   "Store a small face thumbnail with each diary entry (off for privacy).")
    max_upload_mb: int = _f(20, "HARU_MAX_UPLOAD_MB", "Largest photo or audio upload accepted.")
    log_level: str = _f("INFO", "HARU_LOG_LEVEL", "Logging level.")
    session_secret: str = _f("", "HARU_SESSION_SECRET",
                             "Key that signs the browser's 'stay signed in' token; empty = a new key at each "
                             "start (everyone logs in again after a restart). Give every replica the same one.",
                             secret=True)

    def __post_init__(self) -> None:
        # The default is written as ~/.haru so --help shows no machine path; expand it for use.
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir) / 'haru.db'}"

    def redacted(self) -> dict:
        """Settings as a dict that is safe to log: secrets are only said to be set."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = ("<set>" if value else "") if f.metadata["secret"] else value
        return out

    def __repr__(self) -> str:  # a stray log of the object must never leak keys
        return f"AppConfig({self.redacted()!r})"


def _parse(kind, raw: str):
    if kind is bool:
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"expected true/false, got {raw!r}")
    if kind is Path:
        return Path(raw).expanduser()
    return kind(raw)


_TYPES = {"int": int, "float": float, "bool": bool, "str": str, "Path": Path}


def read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def load_config(env: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env"),
                **overrides) -> AppConfig:
    """Defaults, then ``.env``, then the environment, then explicit overrides."""
    source = dict(read_dotenv(dotenv)) if dotenv else {}
    source.update(os.environ if env is None else env)
    values = {}
    for f in fields(AppConfig):
        name = f.metadata["env"]
        if name in source and source[name] != "":
            kind = _TYPES[f.type] if isinstance(f.type, str) else f.type
            try:
                values[f.name] = _parse(kind, source[name])
            except ValueError as e:
                raise ValueError(f"{name}: {e}") from e
    config = replace(AppConfig(), **{**values, **overrides})
    if config.llm_backend not in LLM_BACKENDS:
        raise ValueError(f"HARU_LLM must be one of {', '.join(LLM_BACKENDS)}, got {config.llm_backend!r}")
    if config.vision_model not in ("vit", "student"):
        raise ValueError(f"HARU_VISION_MODEL must be vit or student, got {config.vision_model!r}")
    if config.vision_precision not in VISION_PRECISIONS:
        raise ValueError(f"HARU_VISION_PRECISION must be one of {', '.join(VISION_PRECISIONS)}, "
                         f"got {config.vision_precision!r}")
    if config.language not in ("ko", "en"):
        raise ValueError(f"HARU_LANGUAGE must be ko or en, got {config.language!r}")
    return config


def help_text() -> str:
    lines = ["Settings (environment variables, also read from ./.env):"]
    for f in fields(AppConfig):
        default = f.default
        shown = "(empty)" if default == "" else str(default)
        lines.append(f"  {f.metadata['env']:<26} {f.metadata['help']} Default: {shown}")
    return "\n".join(lines)
