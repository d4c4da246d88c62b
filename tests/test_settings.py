"""Settings (issue 16, item 1): pydantic-settings with env `RAG_*` over `.env` over defaults, a `ConfigError`
naming the variable and the expected type on a bad value, a cached `get_settings()`, and `rag config`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag import cli
from rag.errors import ConfigError
from rag.settings import Settings, get_settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory with a `.env`, no `RAG_*` from the developer's environment, a fresh cache."""
    import os

    for key in [k for k in os.environ if k.upper().startswith("RAG_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("# comment\nRAG_TOP_K=7\nRAG_RRF_K='20'\nRAG_API_KEY=secret-value\n"
                                   "RAG_CHUNK_SIZE=\nRAG_NOT_A_SETTING=1\nOTHER=x\n", encoding="utf-8")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_env_beats_dotenv_beats_default_in_the_process_settings(workdir: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_RRF_K", "30")
    monkeypatch.setenv("RAG_TOP_K", "")  # empty = unset: the .env value applies
    s = get_settings()
    assert (s.rrf_k, s.top_k, s.chunk_size, s.api_key) == (30, 7, 250, "secret-value")
    origins = Settings.origins()
    assert (origins["rrf_k"], origins["top_k"], origins["chunk_size"]) == ("env", ".env", "default")
    assert get_settings() is s  # cached: read once per process
    monkeypatch.setenv("RAG_RRF_K", "40")
    assert get_settings().rrf_k == 30
    get_settings.cache_clear()  # how a test (or a reload) makes it read again
    assert get_settings().rrf_k == 40


def test_explicit_environ_and_env_file_and_overrides() -> None:
    env = {"RAG_INDEX_DIR": "~/idx", "RAG_LLM_TIMEOUT": "2.5", "RAG_ENCODER_BACKEND": "torch", "RAG_API_KEY": ""}
    s = Settings.from_env(environ=env, env_file=None, port=9000, host=None)  # None = not given (the CLI's flags)
    assert s.index_dir == Path("~/idx").expanduser() and isinstance(s.index_dir, Path)
    assert (s.llm_timeout, s.encoder_backend, s.api_key, s.port, s.host) == (2.5, "torch", None, 9000, "127.0.0.1")
    assert Settings.from_env(environ={}, env_file=Path("missing.env")) == Settings()


def test_the_constructor_reads_no_environment(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "9")
    assert Settings().top_k == 5 and Settings(top_k=3).top_k == 3  # tests build settings this way
    assert Settings().replace(top_k=4).top_k == 4


@pytest.mark.parametrize(("env", "expected"), [
    ({"RAG_TOP_K": "abc"}, "RAG_TOP_K='abc': .*integer.*(expected int)"),
    ({"RAG_TOP_K": "0"}, "RAG_TOP_K='0': .*greater than or equal to 1"),
    ({"RAG_LLM_TIMEOUT": "soon"}, "RAG_LLM_TIMEOUT='soon': .*(expected float)"),
    ({"RAG_ENCODER_BACKEND": "gpu"}, "RAG_ENCODER_BACKEND='gpu': .*(expected one of 'onnx', 'torch')"),
    ({"RAG_CHUNK_OVERLAP": "900"}, "RAG_CHUNK_OVERLAP='900': must be >= 0 and smaller than RAG_CHUNK_SIZE"),
    ({"RAG_CHUNK_SIZE": "10"}, "RAG_CHUNK_SIZE='10': .*greater than or equal to 20"),
])
def test_a_bad_value_is_a_config_error_naming_the_variable_and_type(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(environ=env, env_file=None)


def test_replace_and_the_constructor_validate_too() -> None:
    with pytest.raises(ConfigError, match="RAG_TOP_K"):
        Settings().replace(top_k="many")
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings().replace(top_kk=3)
    with pytest.raises(ConfigError, match="RAG_PORT"):
        Settings(port=70000)


def test_rag_config_json_reports_value_source_and_description(workdir: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RAG_RRF_K", "30")
    assert cli.main(["config", "--json"]) == 0
    out = capsys.readouterr().out
    rows = json.loads(out)
    assert set(rows) == set(Settings.model_fields)
    assert rows["rrf_k"] == {"value": "30", "from": "env", "env": "RAG_RRF_K",
                             "description": Settings.model_fields["rrf_k"].description}
    assert rows["top_k"]["value"] == "7" and rows["top_k"]["from"] == ".env"
    assert rows["chunk_size"] == {**rows["chunk_size"], "value": "250", "from": "default"}  # empty in .env
    assert rows["llm_model"]["value"] is None
    assert rows["api_key"]["value"] == "(set)" and "secret-value" not in out
    assert all(r["description"] and "\n" not in r["description"] for r in rows.values())


def test_rag_config_table_and_a_bad_value_give_a_message_not_a_traceback(
        workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["config"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("RAG_TOP_K "))
    assert "7" in line and "(.env)" in line and "passages retrieved per question" in line
    monkeypatch.setenv("RAG_TOP_K", "abc")
    assert cli.main(["config"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: invalid setting RAG_TOP_K='abc'") and "expected int" in err
    assert "Traceback" not in err and "pydantic" not in err


def test_the_app_takes_the_process_settings_unless_given_its_own(workdir: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.api.app import create_app

    monkeypatch.setenv("RAG_MAX_QUESTION_CHARS", "123")
    assert create_app().state.settings is get_settings()
    assert get_settings().max_question_chars == 123
    own = Settings(max_question_chars=50)
    assert create_app(own).state.settings is own
