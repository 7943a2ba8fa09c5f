"""Every word the web UI shows, in English and Korean.

One table, so a missing translation is a test failure instead of a blank label.
Emotion names come from ``diary.moods`` (the diary owns the vocabulary).
"""

from __future__ import annotations

LANGUAGES = ("ko", "en")

# key: (English, Korean)
STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("Haru — your mood companion", "하루 — 마음 일기 친구"),
    "app.tagline": ("Talk to Anna, keep a mood diary, and get a song for how you feel.",
                    "안나와 이야기하고, 마음 일기를 쓰고, 지금 기분에 맞는 노래를 들어 보세요."),
    "app.ui_language": ("Language", "언어"),
    "app.logout": ("Log out", "로그아웃"),
    "app.hello": ("Hello, {name}", "{name}님, 안녕하세요"),
    "models.loading": ("Getting ready: {done} of {total} models loaded ({current}…)",
                       "준비 중: 모델 {total}개 중 {done}개 불러옴 ({current}…)"),
    "models.ready": ("All models are ready.", "모든 모델이 준비됐어요."),
    "models.failed": ("Some models could not load ({names}); those features will report why when used.",
                      "일부 모델을 불러오지 못했어요({names}). 사용할 때 이유를 알려 드릴게요."),
    "models.vision": ("face reader", "표정 인식"),
    "models.speech": ("speech", "음성"),
    "models.llm": ("Anna's language model", "안나의 언어 모델"),

    "auth.login_tab": ("Log in", "로그인"),
    "auth.signup_tab": ("Sign up", "회원가입"),
    "auth.username": ("Username", "아이디"),
    "auth.password": ("Password", "비밀번호"),
    "auth.name": ("What should Anna call you?", "안나가 어떻게 불러 드릴까요?"),
    "auth.login": ("Log in", "로그인"),
    "auth.signup": ("Create account", "계정 만들기"),
    "auth.intro": ("Your diary is private: log in or create an account to start.",
                   "일기는 나만 볼 수 있어요. 로그인하거나 계정을 만들어 시작하세요."),
    "auth.needed": ("Please log in first.", "먼저 로그인해 주세요."),

    "tab.talk": ("Talk", "대화"),
    "tab.mirror": ("Live mirror", "실시간 거울"),
    "tab.diary": ("Diary", "일기"),
    "tab.calendar": ("Calendar & stats", "달력과 통계"),
    "tab.settings": ("Settings", "설정"),
    "tab.profile": ("Profile", "프로필"),

    "talk.chat": ("Conversation with Anna", "안나와의 대화"),
    "talk.text": ("Type a message", "메시지 입력"),
    "talk.text_ph": ("How was your day?", "오늘 하루 어땠어요?"),
    "talk.mic": ("Speak (record, then stop)", "말하기 (녹음 후 정지)"),
    "talk.face": ("Your face (webcam or photo)", "내 얼굴 (웹캠 또는 사진)"),
    "talk.send": ("Send", "보내기"),
    "talk.transcript": ("What Anna heard", "안나가 들은 말"),
    "talk.voice": ("Anna's voice", "안나의 목소리"),
    "talk.mute": ("Mute Anna's voice", "안나 목소리 끄기"),
    "talk.songs": ("Songs for now", "지금 듣기 좋은 노래"),
    "talk.reroll": ("New songs", "다른 노래"),
    "talk.emotion": ("Your mood", "지금 기분"),
    "talk.clear": ("New conversation", "새 대화"),
    "talk.no_face": ("No face this turn", "이번에는 얼굴이 없어요"),
    "talk.thinking": ("Anna is thinking…", "안나가 생각 중이에요…"),
    "talk.crisis": ("If you are in danger, please call {helpline} (Korea, 24 hours) or your local emergency "
                    "number now.",
                    "위험하다고 느껴지면 지금 바로 {helpline}(자살예방상담전화, 24시간) 또는 112/119에 연락해 주세요."),
    "talk.saved": ("Saved to your diary (entry #{id}).", "일기에 저장했어요 (기록 #{id})."),
    "talk.offline_model": ("ℹ️ Anna is answering with the small built-in model, offline: her replies are short and "
                           "her Korean can be stiff. A bigger model gives much better replies.",
                           "ℹ️ 지금은 작은 내장 모델이 오프라인으로 답하고 있어서 답장이 짧고 한국어가 어색할 수 있어요. "
                           "더 큰 모델을 연결하면 훨씬 좋아져요."),
    "talk.open_settings": ("How to connect one", "연결 방법 보기"),
    "talk.voice_failed": ("Anna's voice could not be played this time; her reply is above.",
                          "이번에는 안나의 목소리를 재생하지 못했어요. 답장은 위에 있어요."),
    "talk.confidence": ("confidence", "확신도"),

    "mirror.cam": ("Webcam", "웹캠"),
    "mirror.help": ("Look at the camera: your expression is read a few times a second and smoothed over "
                    "the last moments, so the label does not flicker.",
                    "카메라를 봐 주세요. 표정을 1초에 여러 번 읽고 최근 몇 순간을 묶어 보여 줘서 "
                    "결과가 흔들리지 않아요."),
    "mirror.waiting": ("Waiting for the camera…", "카메라를 기다리는 중…"),

    "diary.text": ("Today's entry", "오늘의 일기"),
    "diary.text_ph": ("What happened today, and how did it feel?", "오늘 무슨 일이 있었고 기분은 어땠나요?"),
    "diary.photo": ("Photo (optional)", "사진 (선택)"),
    "diary.write": ("Save and ask Anna", "저장하고 안나에게 보여 주기"),
    "diary.comment": ("Anna's comment", "안나의 댓글"),
    "diary.saved_at": ("Saved {when}", "{when}에 저장됨"),

    "cal.month": ("Month", "달"),
    "cal.prev": ("◀ Previous", "◀ 이전 달"),
    "cal.next": ("Next ▶", "다음 달 ▶"),
    "cal.hint": ("Click a day to read its entries.", "날짜를 누르면 그날의 기록을 볼 수 있어요."),
    "cal.empty_day": ("Nothing written on {day}.", "{day}에는 기록이 없어요."),
    "cal.weekdays": ("Mon,Tue,Wed,Thu,Fri,Sat,Sun", "월,화,수,목,금,토,일"),
    "stats.counts": ("Emotions so far", "지금까지의 감정"),
    "stats.series": ("Mood over time", "시간에 따른 기분"),
    "stats.days": ("Days", "기간 (일)"),
    "stats.refresh": ("Update stats", "통계 새로고침"),
    "stats.report": ("Write my mood report", "기분 리포트 만들기"),
    "stats.period.week": ("This week", "이번 주"),
    "stats.period.month": ("This month", "이번 달"),
    "stats.report_working": ("Reading your diary…", "일기를 읽는 중…"),
    "stats.no_data": ("No entries yet.", "아직 기록이 없어요."),

    "entry.you": ("You", "나"),
    "entry.said": ("You said", "내가 한 말"),
    "entry.face": ("Face", "표정"),
    "entry.words": ("Words", "글의 감정"),
    "entry.mode.conversation": ("Conversation", "대화"),
    "entry.mode.diary": ("Diary", "일기"),
    "entry.songs": ("Songs", "노래"),

    "settings.reply_attitude": ("How Anna talks", "말투"),
    "settings.reply_attitude.casual": ("Casual", "반말"),
    "settings.reply_attitude.polite": ("Polite", "존댓말"),
    "settings.reply_composition": ("What Anna's reply contains (none = all)", "답장 구성 (선택 없음 = 모두)"),
    "settings.reply_composition.advice": ("Advice", "조언"),
    "settings.reply_composition.comfort": ("Comfort", "위로"),
    "settings.reply_composition.empathy": ("Empathy", "공감"),
    "settings.reply_intensity": ("Intensity", "강도"),
    "settings.reply_intensity.creative": ("Creative", "창의적"),
    "settings.reply_intensity.normal": ("Normal", "보통"),
    "settings.reply_intensity.honest": ("Honest", "솔직하게"),
    "settings.reply_length": ("Reply length", "답장 길이"),
    # The numbers are the prompts' own targets (chat.reply_lengths), filled in for the screen language.
    "settings.reply_length.short": ("Short (~{conversation} chars spoken, ~{diary} in the diary)",
                                    "짧게 (대화 ~{conversation}자, 일기 ~{diary}자)"),
    "settings.reply_length.normal": ("Normal (~{conversation} chars spoken, ~{diary} in the diary)",
                                     "보통 (대화 ~{conversation}자, 일기 ~{diary}자)"),
    "settings.reply_length.long": ("Long (~{conversation} chars spoken, ~{diary} in the diary)",
                                   "길게 (대화 ~{conversation}자, 일기 ~{diary}자)"),
    "settings.voice_on": ("Speak replies aloud", "답장을 소리로 듣기"),
    "settings.voice_online": ("Natural online voice (sends the reply text to Google; off = private offline voice)",
                              "자연스러운 온라인 음성 (답장 글이 Google로 전송돼요. 끄면 기기 안의 음성만 사용)"),
    "settings.reply_language": ("Anna replies in", "안나의 답장 언어"),
    "settings.reply_language.auto": ("The language I use (each message)", "내가 쓴 언어로 (메시지마다)"),
    "settings.voice_speech_language": ("I speak", "내가 말하는 언어"),
    "settings.voice_speech_language.auto": ("Detect (Korean or English)", "자동 (한국어/영어)"),
    "settings.ui_language": ("Screen language", "화면 언어"),
    "settings.songs_strategy": ("Songs", "노래 추천 방식"),
    "settings.songs_strategy.match": ("Match my mood", "지금 기분에 맞게"),
    "settings.songs_strategy.lift": ("Lift my mood", "기분이 나아지게"),
    "settings.songs_strategy.calm": ("Calm me down", "차분해지게"),
    "settings.songs_language": ("Song language", "노래 언어"),
    "settings.songs_language.any": ("Any", "상관없음"),
    "settings.songs_submood": ("When I feel neutral, I want to…", "평온할 때 원하는 분위기"),
    "settings.songs_submood.none": ("Anything", "아무거나"),
    "settings.songs_submood.focus": ("Focus", "집중"),
    "settings.songs_submood.relax": ("Relax", "휴식"),
    "settings.songs_submood.energise": ("Get energy", "활력"),
    "settings.backend_kind": ("Language model backend", "언어 모델"),
    "settings.backend_model": ("Model name (empty = default)", "모델 이름 (비우면 기본값)"),
    "settings.backend_api_key": ("API key (kept only for this session, never saved)",
                         "API 키 (이번 접속에서만 쓰고 저장하지 않아요)"),
    "settings.backend_base_url": ("Server URL (OpenAI-compatible only)", "서버 주소 (OpenAI 호환 서버만)"),
    "settings.save": ("Save settings", "설정 저장"),
    "settings.test": ("Test connection", "연결 확인"),
    "settings.test_ok": ("{backend} ({model}) answered in {seconds} s: “{reply}”.",
                         "{backend} ({model})가 {seconds}초 만에 답했어요: “{reply}”."),
    "settings.test_failed": ("{backend} did not answer: {reason}", "{backend}에서 답이 없어요: {reason}"),
    "settings.better": (
        "**Better replies.** The built-in model is small and runs on this computer, so nothing you write leaves "
        "it, but its Korean is stiff. Three better ways, then press **Test connection**:\n"
        "1. **OpenAI**: backend `openai`, an API key from platform.openai.com, model e.g. `gpt-4.1-mini`.\n"
        "2. **Anthropic**: backend `anthropic`, an API key from console.anthropic.com, model e.g. "
        "`claude-haiku-4-5`.\n"
        "3. **Your own model server** (Ollama, LM Studio, vLLM, llama.cpp server) with a model that writes good "
        "Korean: e.g. install Ollama, run `ollama pull qwen2.5:7b`, then backend `openai-compatible`, address "
        "`http://127.0.0.1:11434/v1`, model `qwen2.5:7b`. Your words stay on your machine.\n"
        "A key typed here lives only in this browser session; the server's own keys go in `.env`.",
        "**더 좋은 답장을 받으려면.** 기본 모델은 작고 이 컴퓨터에서 돌아가서 쓴 내용이 밖으로 나가지 않지만, 한국어가 "
        "어색해요. 더 나은 방법 세 가지가 있어요. 고른 뒤 **연결 확인**을 눌러 보세요.\n"
        "1. **OpenAI**: 백엔드 `openai`, platform.openai.com에서 받은 API 키, 모델 예: `gpt-4.1-mini`.\n"
        "2. **Anthropic**: 백엔드 `anthropic`, console.anthropic.com에서 받은 API 키, 모델 예: `claude-haiku-4-5`.\n"
        "3. **내 모델 서버** (Ollama, LM Studio, vLLM, llama.cpp 서버)와 한국어를 잘 쓰는 모델: 예를 들어 Ollama를 "
        "설치하고 `ollama pull qwen2.5:7b`를 실행한 뒤, 백엔드 `openai-compatible`, 주소 "
        "`http://127.0.0.1:11434/v1`, 모델 `qwen2.5:7b`. 내 글이 내 컴퓨터 밖으로 나가지 않아요.\n"
        "여기 입력한 키는 이 브라우저 세션에만 있어요. 서버의 키는 `.env`에 넣어 주세요."),
    "settings.no_ffmpeg": ("ℹ️ ffmpeg is not installed on the server, so Anna's voice plays once her whole reply is "
                           "written. To hear her while she writes: `sudo apt-get install ffmpeg` (Debian/Ubuntu), "
                           "`brew install ffmpeg` (macOS) or `winget install ffmpeg` (Windows), then restart Haru.",
                           "ℹ️ 서버에 ffmpeg가 없어서 안나의 목소리는 답장이 다 쓰인 뒤에 나와요. 쓰는 동안 바로 들으려면 "
                           "`sudo apt-get install ffmpeg`(Debian/Ubuntu), `brew install ffmpeg`(macOS), "
                           "`winget install ffmpeg`(Windows)로 설치한 뒤 Haru를 다시 시작하세요."),
    "settings.saved": ("Settings saved.", "설정을 저장했어요."),
    "lang.ko": ("Korean", "한국어"),
    "lang.en": ("English", "영어"),

    "profile.name": ("Name", "이름"),
    "profile.intro": ("About me (Anna reads this)", "자기소개 (안나가 참고해요)"),
    "profile.save": ("Save profile", "프로필 저장"),
    "profile.saved": ("Profile saved.", "프로필을 저장했어요."),
    "profile.export": ("Export my data", "내 데이터 내보내기"),
    "profile.export_file": ("Your data (JSON and CSV)", "내 데이터 (JSON, CSV)"),
    "profile.delete_title": ("Delete my account and every entry", "계정과 모든 기록 삭제"),
    "profile.delete_password": ("Type your password to confirm", "확인을 위해 비밀번호를 입력하세요"),
    "profile.delete": ("Delete everything", "모두 삭제"),
    "profile.delete_warning": ("This removes your account and every diary entry at once. It cannot be undone: "
                               "export your data first if you want to keep it.",
                               "계정과 모든 일기가 한 번에 지워지고 되돌릴 수 없어요. 간직하고 싶다면 먼저 내보내기를 하세요."),
    "profile.deleted": ("Your account and diary were deleted.", "계정과 일기를 삭제했어요."),
}


def t(key: str, language: str, **values) -> str:
    """The text for ``key`` in ``language`` (``ko`` or anything else = English), formatted."""
    en, ko = STRINGS[key]
    text = ko if language == "ko" else en
    return text.format(**values) if values else text


def pick_language(preferred: str | None, fallback: str) -> str:
    """A browser locale such as ``ko-KR`` or ``en-US`` mapped to a UI language."""
    code = (preferred or "").strip().lower()[:2]
    return code if code in LANGUAGES else fallback
