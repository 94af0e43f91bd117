"""The kefu command line: init, serve (config errors), user add, migrate, ivr publish,
recordings verify|archive|retain."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from kefu.cli import main
from kefu.config import Settings
from kefu.store import Store
from kefu.users.service import Users


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("KEFU_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "etc" / "kefu.toml"
    assert main(["init", "--config", str(path)]) == 0
    return path


def test_init_writes_private_starter_config(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "new" / "kefu.toml"
    assert main(["init", "--config", str(config)]) == 0
    assert f"wrote {config}" in capsys.readouterr().out
    assert 'number = "1001"' in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_init_refuses_to_overwrite(config: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config.write_text("# mine\n")
    assert main(["init", "--config", str(config)]) == 1
    assert "exists; use --force" in capsys.readouterr().err
    assert config.read_text() == "# mine\n"
    assert main(["init", "--config", str(config), "--force", "--demo"]) == 0
    assert 'password = "demo1001pw"' in config.read_text()


def test_init_default_path(tmp_path: Path) -> None:
    assert main(["init"]) == 0
    assert (tmp_path / "kefu.toml").exists()


def test_serve_config_error_exits_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text('[sip]\nport = "abc"\n')
    assert main(["serve", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "kefu: config error: sip.port: must be an integer 1-65535, got 'abc'"


def test_serve_refuses_an_unknown_strategy_before_starting(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text('[[queues]]\nname = "q"\nnumber = "8001"\nstrategy = "skils"\n')
    assert main(["serve", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kefu: config error: queues[0].strategy: unknown routing strategy "
                          "'skils' (known: ") and "longest_idle" in err


def test_serve_runs_app_with_settings(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Settings] = []
    fake = types.ModuleType("kefu.app")
    fake.run = seen.append
    monkeypatch.setitem(sys.modules, "kefu.app", fake)
    monkeypatch.setenv("KEFU_SIP_PORT", "5099")
    assert main(["serve", "--config", str(config)]) == 0
    assert len(seen) == 1 and seen[0].sip.port == 5099 and len(seen[0].extensions) == 5


def test_user_add_and_migrate(config: Path, capsys, fast_hasher) -> None:  # type: ignore[no-untyped-def]
    assert main(["migrate", "--config", str(config)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["user", "add", "root", "--role", "admin", "--password", "long-enough",
                 "--config", str(config)]) == 0
    assert "created user root (admin)" in capsys.readouterr().out
    db = config.parent / "data" / "kefu.db"
    store = Store(f"sqlite:///{db}")
    try:
        user = Users(store.db).authenticate("root", "long-enough")
        assert user is not None and user.role == "admin"
    finally:
        store.close()
    assert main(["user", "add", "root", "--role", "qa", "--password", "long-enough",
                 "--config", str(config)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["user", "add", "bob", "--role", "qa", "--password", "short",
                 "--config", str(config)]) == 2


def test_user_add_prompts(config: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    answers = iter(["typed-secret", "typed-secret", "one-secret", "other-secret"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["user", "add", "ann", "--role", "agent", "--config", str(config)]) == 0
    assert main(["user", "add", "ben", "--role", "agent", "--config", str(config)]) == 1
    assert "do not match" in capsys.readouterr().err


def test_user_add_bad_role_is_usage_error(config: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["user", "add", "x", "--role", "god", "--config", str(config)])
    assert info.value.code == 2


def test_console_script_reports_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[rtp]\nport_min = 5\nport_max = 4\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    proc = subprocess.run([sys.executable, "-m", "kefu.cli", "serve", "--config", str(bad)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("kefu: config error: rtp.port_min: must be less than")


def test_user_add_with_extensions_and_bind(config: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Before the first serve: the config's extensions are created to bind to them."""
    assert main(["user", "add", "agent1", "--role", "agent", "--password", "long-enough",
                 "--extension", "1001", "--config", str(config)]) == 0
    assert "created user agent1 (agent), extensions 1001" in capsys.readouterr().out
    assert main(["user", "bind", "agent1", "1002", "1001", "--config", str(config)]) == 0
    assert "agent1 may use extensions 1001, 1002" in capsys.readouterr().out
    store = Store(f"sqlite:///{config.parent / 'data' / 'kefu.db'}")
    try:
        assert Users(store.db).user_extensions("agent1") == ["1001", "1002"]
    finally:
        store.close()
    assert main(["user", "bind", "agent1", "1009", "--config", str(config)]) == 2
    assert "no extension 1009" in capsys.readouterr().err
    assert main(["user", "bind", "ghost", "1001", "--config", str(config)]) == 1
    assert main(["user", "add", "sue", "--role", "qa", "--password", "long-enough",
                 "--extension", "1001", "--config", str(config)]) == 2
    assert "takes no calls" in capsys.readouterr().err


DEMO_FLOW = Path(__file__).resolve().parents[1] / "src/kefu/ivr/demo/hotline.yaml"


def test_ivr_publish_publishes_a_flow_file_and_refuses_a_bad_one(  # type: ignore[no-untyped-def]
        config: Path, tmp_path: Path, capsys) -> None:
    from kefu.ivr.service import Flows

    assert main(["ivr", "publish", str(DEMO_FLOW), "--config", str(config)]) == 0
    assert "published flow hotline version 1" in capsys.readouterr().out
    assert main(["ivr", "publish", str(DEMO_FLOW), "--config", str(config)]) == 0
    assert "version 2" in capsys.readouterr().out      # the draft replaced, published again
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO_FLOW.read_text(encoding="utf-8").replace(
        '"0": bye}', '"0": nowhere}'), encoding="utf-8")
    assert main(["ivr", "publish", str(bad), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "flow hotline not published" in err and "`main`" in err and "nowhere" in err
    store = Store(f"sqlite:///{config.parent / 'data' / 'kefu.db'}")
    try:
        flows = Flows(store.db)
        (published, retired) = flows.versions("hotline")
        assert (published.number, published.status) == (2, "published")
        assert published.source == DEMO_FLOW.read_text(encoding="utf-8")
        assert retired.status == "retired"
    finally:
        store.close()


def test_ivr_publish_of_a_file_that_is_not_there_is_a_usage_error(  # type: ignore[no-untyped-def]
        config: Path, capsys) -> None:
    assert main(["ivr", "publish", "missing.yaml", "--config", str(config)]) == 2
    assert "cannot read missing.yaml" in capsys.readouterr().err
    assert main(["ivr"]) == 2


def test_the_demo_config_sends_internal_number_800_to_the_demo_flow(tmp_path: Path) -> None:
    from kefu.config import load_settings

    demo, plain = tmp_path / "demo.toml", tmp_path / "plain.toml"
    assert main(["init", "--demo", "--config", str(demo)]) == 0
    assert main(["init", "--config", str(plain)]) == 0
    assert [(n.number, n.destination) for n in load_settings(demo, {}).dialplan.numbers] == [
        ("800", "flow:hotline")]
    assert load_settings(plain, {}).dialplan.numbers == []


# --- kefu recordings verify | archive | retain ------------------------------------------

DAY = 86400.0


def _recorded_calls(config: Path, n: int, age_days: float, seconds: float = 2.0,
                    prefix: str = "call") -> list[int]:
    """``n`` closed recordings ``age_days`` old, finished as FLAC in the data directory."""
    import time

    import numpy as np
    import soundfile as sf

    from kefu.recordings.lifecycle import Lifecycle
    from kefu.recordings.service import Recording, Recordings

    settings = Settings(data_dir=config.parent / "data")
    live = settings.recordings_dir
    live.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * 8000)) / 8000
    noise = np.random.default_rng(7).normal(0, 0.1, (len(t), 2))   # compresses little
    audio = (8000 * (noise + np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1)))
    store = Store(settings.db_url)
    store.migrate()
    try:
        recordings = Recordings(store.db)
        life = Lifecycle(recordings, settings.recordings.model_copy(update={"codec": "flac"}),
                         live, settings.archive_dir)
        ids = []
        for i in range(n):
            wav = live / f"{prefix}{i:03d}.wav"
            sf.write(wav, audio.astype(np.int16), 8000, subtype="PCM_16")
            rec = recordings.save(Recording(
                id=0, call_id=f"{prefix}{i}", segment=1, journey=f"{prefix}{i}", caller="13800138000",
                callee="800", started_at=time.time() - age_days * DAY, duration=seconds,
                agent="ann", queue="sales", customer_id=None, direction="inbound",
                disposition="answered", policy="all", tier="live", path=str(wav), codec="wav",
                size=None, sha256=None, state="done"))
            ids.append(life.finish(rec).id)
        return ids
    finally:
        store.close()


def _rows(config: Path, ids: list[int]) -> tuple[list[Any], dict[int, list[Any]]]:
    """The recordings ``ids`` as they are now, and each one's audit trail."""
    from kefu.recordings.service import Recordings

    store = Store(Settings(data_dir=config.parent / "data").db_url)
    try:
        recordings = Recordings(store.db)
        rows = [recordings.get(i) for i in ids]
        return rows, {r.id: recordings.audit_log(recording_id=r.id) for r in rows}
    finally:
        store.close()


def test_recordings_verify_finds_a_flipped_byte(config: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _recorded_calls(config, 3, 1)
    assert main(["recordings", "verify", "--config", str(config)]) == 0
    assert "3 recordings checked, no problems" in capsys.readouterr().out
    victim = sorted((config.parent / "data" / "recordings").glob("*.flac"))[1]
    raw = bytearray(victim.read_bytes())
    raw[-100] ^= 0x40
    victim.write_bytes(bytes(raw))
    assert main(["recordings", "verify", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert f"hash mismatch: recording 2 {victim}" in out and "1 problems" in out


def test_recordings_archive_killed_halfway_finishes_on_the_next_run(config: Path) -> None:
    """``kill -9`` of ``kefu recordings archive`` while it moves the files; run again: every
    recording is in the archive tier once, hashes intact, each move audited once."""
    import signal
    import time

    with config.open("a") as f:
        f.write("\n[recordings]\narchive_after_days = 30\n")
    ids = _recorded_calls(config, 40, 40, seconds=30.0)
    archive = config.parent / "data" / "archive"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    proc = subprocess.Popen([sys.executable, "-m", "kefu.cli", "recordings", "archive",
                             "--config", str(config)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(list(archive.glob("*.flac"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL, "it finished before it could be killed"
    rows, _ = _rows(config, ids)
    assert 0 < sum(r.tier == "archive" for r in rows) < len(ids)

    assert main(["recordings", "archive", "--config", str(config)]) == 0
    rows, audits = _rows(config, ids)
    for r in rows:
        assert r.tier == "archive" and Path(r.path).parent == archive
        assert [(e.action, e.username) for e in audits[r.id]] == [("archive", "system")]
    assert not list((config.parent / "data" / "recordings").iterdir())
    assert sorted(p.name for p in archive.iterdir()) == [f"call{i:03d}.flac" for i in range(40)]
    assert main(["recordings", "verify", "--config", str(config)]) == 0


def test_recordings_retain_deletes_and_audits_as_the_cli_user(config: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    with config.open("a") as f:
        f.write("\n[recordings]\nretain_days = 30\n")
    old = _recorded_calls(config, 2, 40)
    young = _recorded_calls(config, 1, 5, prefix="young")
    assert main(["recordings", "retain", "--user", "sue", "--config", str(config)]) == 0
    assert "2 recordings deleted" in capsys.readouterr().out
    rows, audits = _rows(config, old + young)
    assert [r.state for r in rows] == ["deleted", "deleted", "done"]
    assert [(e.action, e.username) for e in audits[1]] == [("delete", "sue")]
    assert audits[young[0]] == []
    assert main(["recordings", "verify", "--config", str(config)]) == 0


DEMO_CUSTOMERS = Path(__file__).resolve().parents[1] / "src/kefu/crm/demo/customers.csv"


def test_customers_import_then_again_then_export(config: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The demo file (scripts/demo imports it): every row in; a second import updates
    instead of duplicating; a bad row is listed with its reason and exits 1; the export
    holds every customer."""
    assert main(["user", "add", "agent1", "--role", "agent", "--password", "long-enough",
                 "--config", str(config)]) == 0
    assert main(["user", "add", "agent2", "--role", "agent", "--password", "long-enough",
                 "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["customers", "import", str(DEMO_CUSTOMERS), "--config", str(config)]) == 0
    assert "8 created, 0 updated, 0 refused" in capsys.readouterr().out
    assert main(["customers", "import", str(DEMO_CUSTOMERS), "--config", str(config)]) == 0
    assert "0 created, 8 updated, 0 refused" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,电话\n新客户,13500135001\n坏号码,not-a-number\n", encoding="utf-8")
    assert main(["customers", "import", str(bad), "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "bad.csv: row 3" in out and "1 created, 0 updated, 1 refused" in out
    assert main(["customers", "import", str(tmp_path / "missing.csv"),
                 "--config", str(config)]) == 2
    assert main(["customers", "export", str(tmp_path / "all.csv"), "--config", str(config)]) == 0
    assert "9 customers written" in capsys.readouterr().out
    lines = (tmp_path / "all.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 10 and "王小明" in (tmp_path / "all.csv").read_text(encoding="utf-8-sig")
