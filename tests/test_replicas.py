"""Two app replicas on one PostgreSQL and one model server, as docs/deploy.md describes them.

Both are real ``python app.py`` processes started at the same moment on a fresh, empty schema, with the
same HARU_SESSION_SECRET, their own data dirs and one shared models folder; the model server is the
loopback fake OpenAI-compatible server. Accounts made on one replica work on the other, entries written
through both at once all arrive exactly once, and each person only ever sees their own.
"""

from __future__ import annotations

import re
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from sqlalchemy import create_engine, text

from testkit import require
from testkit.app_server import PASSWORD, exported_json, outside_temp_dir, start_app, wait_for_models
from testkit.fake_llm_server import FakeLLMServer, Reply
from testkit.media import face_photo
from testkit.postgres import PG_URL, postgres_schema

pytestmark = pytest.mark.postgres

MIGRATIONS = Path(__file__).resolve().parents[1] / "diary" / "migrations" / "versions"
USERS = 3
ENTRIES_PER_REPLICA = 3      # per user: this many through A and as many through B, all at once
TURN_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def schema_url():
    require(PG_URL.startswith("postgresql"), "DATABASE_URL does not point at PostgreSQL (see .ci/postgres.sh)")
    with postgres_schema("replicas") as (url, schema):
        yield url, schema


def shared_models() -> Path:
    """One models folder for every replica, holding the already joined files of this machine if any, so
    the replicas' warm-up neither joins 1.3 GB again nor races on the join (core.model_files locks it)."""
    folder = outside_temp_dir("replica-models-")
    joined = Path.home() / ".haru" / "models"
    for item in joined.iterdir() if joined.is_dir() else ():
        if not item.name.endswith(".lock"):
            (folder / item.name).symlink_to(item, target_is_directory=item.is_dir())
    return folder


@pytest.fixture(scope="module")
def replicas(schema_url):
    url, _ = schema_url
    reply = Reply(chunks=("A calm", " reply", " from", " the shared", " model server."), first_delay_s=0.05)
    env = {"DATABASE_URL": url, "HARU_SESSION_SECRET": secrets.token_hex(32), "HARU_LLM": "openai-compatible",
           "HARU_LLM_MODEL": "fake-model", "HARU_VOICE": "false"}
    models = shared_models()
    with FakeLLMServer(default=reply) as llm:
        dirs = []
        for name in ("a", "b"):
            data_dir = outside_temp_dir(f"replica-{name}-")
            (data_dir / "models").symlink_to(models, target_is_directory=True)
            dirs.append(data_dir)
        # Started at the same moment on an empty schema: both try to migrate it at once.
        with ThreadPoolExecutor(2) as pool:
            servers = list(pool.map(lambda d: start_app(d, OPENAI_BASE_URL=llm.openai_url, **env), dirs))
        try:
            # Two warm-ups at once keep both cores busy; requests sent meanwhile may time out.
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda s: wait_for_models(s.url, timeout_s=300), servers))
            yield servers
        finally:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda server: server.stop(), servers))


def client(server) -> Client:
    return Client(server.url, verbose=False)


def test_two_replicas_started_together_migrate_the_schema_once(replicas, schema_url):
    url, _ = schema_url
    revisions = sorted(p.stem.split("_")[0] for p in MIGRATIONS.glob("[0-9]*.py"))
    engine = create_engine(url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert len(versions) == 1 and versions[0].startswith(revisions[-1])
    # Alembic logs each step it runs: across both replicas every revision ran exactly once.
    ran = [line for server in replicas for line in server.log_tail(10**7).splitlines() if "Running upgrade" in line]
    assert len(ran) == len(revisions), ran
    for server in replicas:
        assert "Traceback" not in server.log_tail(10**7)


def test_an_account_made_on_one_replica_logs_in_on_the_other(replicas):
    a, b = replicas
    username = f"rep-{uuid.uuid4().hex[:8]}"
    hello, *_ = client(a).predict(username, PASSWORD, "Mina", api_name="/signup")
    assert "Mina" in hello
    hello, *_ = client(b).predict(username, PASSWORD, api_name="/login")
    assert "Mina" in hello
    with pytest.raises(AppError, match="taken|already|사용"):
        client(b).predict(username, PASSWORD, "Other", api_name="/signup")
    with pytest.raises(AppError, match="Wrong username or password"):
        client(b).predict(username, "not the password", api_name="/login")


def test_failed_logins_count_across_replicas(replicas):
    a, b = replicas
    username = f"rep-{uuid.uuid4().hex[:8]}"
    client(a).predict(username, PASSWORD, "Jun", api_name="/signup")
    for server in (a, b, a, b, a):
        with pytest.raises(AppError, match="Wrong username or password"):
            client(server).predict(username, "a wrong guess", api_name="/login")
    with pytest.raises(AppError, match="Too many failed logins"):
        client(b).predict(username, PASSWORD, api_name="/login")


def test_a_photo_goes_to_the_replica_that_reads_it_and_its_entry_to_both(replicas, tmp_path):
    """Uploads land in the receiving replica's own data dir; only the entry they produce is shared."""
    a, b = replicas
    username = f"rep-{uuid.uuid4().hex[:8]}"
    writer = client(a)
    writer.predict(username, PASSWORD, "Hana", api_name="/signup")
    photo = face_photo(tmp_path / "face.png")
    writer.submit("A photo from today.", handle_file(str(photo)), api_name="/diary_write").result(
        timeout=TURN_TIMEOUT_S)
    assert any((a.data_dir / "uploads").rglob("*.png")) and not any((b.data_dir / "uploads").rglob("*.png"))
    reader = client(b)
    reader.predict(username, PASSWORD, api_name="/login")
    [row] = exported_json(reader)["entries"]
    assert row["text"] == "A photo from today." and row["face_label"]


def _write(server, username: str, texts: list[str]) -> list[int]:
    """Log in on ``server`` and write ``texts`` one after another; the entry ids the banners report."""
    session = client(server)
    session.predict(username, PASSWORD, api_name="/login")
    ids = []
    for line in texts:
        _comment, banner, *_ = session.submit(line, None, api_name="/diary_write").result(timeout=TURN_TIMEOUT_S)
        saved = re.search(r"#(\d+)", banner or "")
        assert saved, f"not saved: {banner}"
        ids.append(int(saved.group(1)))
    return ids


def _month_count(calendar_html: str) -> int:
    return sum(int(n) for n in re.findall(r"class='haru-count'>(\d+)<", calendar_html))


def test_entries_written_through_both_at_once_arrive_exactly_once_and_stay_private(replicas):
    users = [f"rep-w{i}-{uuid.uuid4().hex[:6]}" for i in range(USERS)]
    for i, username in enumerate(users):
        client(replicas[i % 2]).predict(username, PASSWORD, f"Writer {i}", api_name="/signup")
    sent = {u: {r: [f"Entry {k} by {u} through {r}" for k in range(ENTRIES_PER_REPLICA)] for r in "ab"}
            for u in users}
    with ThreadPoolExecutor(2 * USERS) as pool:
        jobs = {(u, r): pool.submit(_write, server, u, sent[u][r]) for u in users for r, server in zip("ab", replicas)}
        saved = {key: job.result(timeout=TURN_TIMEOUT_S * ENTRIES_PER_REPLICA * 2) for key, job in jobs.items()}

    month = date.today().strftime("%Y-%m")
    for u in users:
        mine = set(sent[u]["a"] + sent[u]["b"])
        ids = set(saved[(u, "a")] + saved[(u, "b")])
        assert len(ids) == len(mine)                      # no two writes shared a row
        for server in replicas:                           # the same diary read through either replica
            reader = client(server)
            reader.predict(u, PASSWORD, api_name="/login")
            rows = exported_json(reader)["entries"]
            assert sorted(row["text"] for row in rows) == sorted(mine)       # none lost, none doubled, none foreign
            assert {row["id"] for row in rows} == ids
            assert _month_count(reader.predict(month, "", api_name="/calendar")) == len(mine)
