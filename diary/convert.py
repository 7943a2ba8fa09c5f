"""Database rows to the public dataclasses and back, with the checks a row must pass before it is stored."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from core.errors import ErrorCategory, HaruError
from diary import moods
from diary.schema import EntryRow, UserRow
from diary.types import Entry, EntryDraft, User

MODES = ("conversation", "diary")
THUMBNAIL_MAX_BYTES = 64 * 1024


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def plain(value):
    return value.replace(tzinfo=timezone.utc).isoformat() if isinstance(value, datetime) else value


def not_found(what_en: str, what_ko: str) -> HaruError:
    return HaruError(f"{what_en} not found.", f"{what_ko}을(를) 찾을 수 없어요.", category=ErrorCategory.NOT_FOUND)


def json_safe(value, what: str):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as e:
        raise HaruError(f"{what} must be plain JSON data: {e}", f"{what} 값은 JSON으로 저장할 수 있어야 해요.") from e


def to_user(row: UserRow) -> User:
    return User(id=row.id, username=row.username, name=row.name, intro=row.intro,
                settings=dict(row.settings or {}), created_at=row.created_at.replace(tzinfo=timezone.utc))


def entry_row(user_id: int, draft: EntryDraft, created_at: datetime) -> EntryRow:
    if draft.mode not in MODES:
        raise HaruError(f"Unknown entry mode {draft.mode!r}.", f"알 수 없는 기록 방식이에요: {draft.mode!r}")
    moods.check_label(draft.face_label, "face emotion")
    moods.check_label(draft.text_emotion, "text emotion")
    if draft.face_thumbnail is not None and len(draft.face_thumbnail) > THUMBNAIL_MAX_BYTES:
        raise HaruError(f"The face thumbnail is larger than {THUMBNAIL_MAX_BYTES // 1024} KB.",
                        f"얼굴 썸네일이 {THUMBNAIL_MAX_BYTES // 1024}KB보다 커요.")
    return EntryRow(user_id=user_id, created_at=created_at, mode=draft.mode, text=draft.text,
                    transcript=draft.transcript, face_label=draft.face_label,
                    face_probs=_probs(draft.face_probs),
                    text_emotion=draft.text_emotion, mood=draft.face_label or draft.text_emotion,
                    reply=draft.reply, songs=json_safe(list(draft.songs), "songs"),
                    settings=json_safe(dict(draft.settings), "settings"), face_thumbnail=draft.face_thumbnail)


def _probs(probs: dict) -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in probs.items()}
    except (TypeError, ValueError, AttributeError) as e:
        raise HaruError("Face probabilities must map labels to numbers.", "얼굴 감정 확률 값이 올바르지 않아요.") from e


def to_entry(row: EntryRow, has_thumbnail: bool) -> Entry:
    return Entry(id=row.id, user_id=row.user_id, created_at=row.created_at.replace(tzinfo=timezone.utc),
                 mode=row.mode, text=row.text, transcript=row.transcript, face_label=row.face_label,
                 face_probs=dict(row.face_probs or {}), text_emotion=row.text_emotion, reply=row.reply,
                 songs=list(row.songs or []), settings=dict(row.settings or {}), has_thumbnail=bool(has_thumbnail))
