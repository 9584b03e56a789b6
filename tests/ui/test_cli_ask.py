import json

import pytest
from typer.testing import CliRunner

from ui.cli import app

runner = CliRunner()


@pytest.mark.parametrize("question, fragment", [
    ("   ", "empty"), ("x" * 4001, "limit is 4000"), ("chest\x07pain", "control characters"),
])
def test_bad_questions_exit_2_with_a_message_and_no_traceback(tmp_path, question, fragment):
    result = runner.invoke(app, ["ask", question, "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert fragment in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_ask_json_end_to_end(real_assistant, real_data_dir):
    result = runner.invoke(app, ["ask", "first-line antibiotic for sore throat, adult, FeverPAIN 4",
                                 "--json", "--data-dir", str(real_data_dir)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"answer", "abstained", "citations", "passages", "model", "timings_ms"}
    assert data["abstained"] is False and data["passages"]
    assert "SmolLM2" in data["model"]
    for citation in data["citations"]:
        assert set(citation) >= {"n", "passage_id", "guideline_id", "section", "url"}
        assert citation["url"].startswith("https://")
    assert any(p["guideline_id"] == "sore-throat" for p in data["passages"])


@pytest.mark.slow
def test_a_corrupt_index_exits_2_with_the_fix(real_assistant, real_data_dir, minilm, tmp_path):
    import shutil

    from assistant.factory import build_retriever

    home = tmp_path / "home"
    # The session's cached embeddings make this build a copy, not a re-embedding.
    shutil.copytree(real_data_dir / "embedding_cache", home / "embedding_cache")
    build_retriever(home, embedder=minilm)
    current = (home / "index" / "CURRENT").read_text().strip()
    (home / "index" / "builds" / current / "index.faiss").write_bytes(b"garbage")
    result = runner.invoke(app, ["ask", "sore throat antibiotics", "--data-dir", str(home)])
    assert result.exit_code == 2 and "ruiyi kb rebuild" in result.output


def test_red_flag_banner_prints_above_the_answer_with_its_source(hash_retriever, monkeypatch):
    from assistant.chat import ScriptedChatModel
    from assistant.core import Assistant, AssistantConfig
    from assistant.factory import default_red_flag_checker
    from ui.commands import ask as ask_module

    assistant = Assistant(ScriptedChatModel(["Offer ambulatory monitoring [1]."]), hash_retriever,
                          AssistantConfig(abstain_below=-1.0), default_red_flag_checker())
    monkeypatch.setattr("assistant.factory.build_assistant", lambda *a, **k: assistant)
    result = runner.invoke(app, ["ask", "crushing chest pain spreading to my arm, sweaty"])
    assert result.exit_code == 0, result.output
    banner, answer = result.output.index("RED FLAG: EMERGENCY"), result.output.index("Answer")
    assert banner < answer and "NICE" in result.output and "999" in result.output


def test_ask_prints_calculations_and_the_differential(hash_retriever, monkeypatch):
    from assistant.chat import ScriptedChatModel
    from assistant.chat_aids import DifferentialPanel, find_calculations
    from assistant.core import Assistant, AssistantConfig

    assistant = Assistant(ScriptedChatModel(["Treat as pneumonia [1]."]), hash_retriever,
                          AssistantConfig(abstain_below=-1.0), calculation_finder=find_calculations,
                          differential_builder=DifferentialPanel())
    monkeypatch.setattr("assistant.factory.build_assistant", lambda *a, **k: assistant)
    result = runner.invoke(app, ["ask", "CURB-65? 72yo man, fever, productive cough, crackles at "
                                 "the right base, confused, urea 8.2, RR 31, BP 88/50"])
    assert result.exit_code == 0, result.output
    assert "CURB65 = 5" in result.output and "thorax" in result.output.lower()
    assert "Differential diagnosis" in result.output and "pneumonia" in result.output.lower()


def test_filter_and_embedder_options_reach_the_assistant(monkeypatch):
    from assistant.chat import ScriptedChatModel
    from assistant.core import Assistant

    seen = {}

    def fake_build_assistant(data_dir, model, quantization, config, progress=None, embedder=None):
        seen.update(filters=config.filters, embedder=embedder)
        return Assistant(ScriptedChatModel(["unused"]), _EmptyRetriever(), config)

    monkeypatch.setattr("assistant.factory.build_assistant", fake_build_assistant)
    result = runner.invoke(app, ["ask", "inhaler step-up", "--topic", "asthma", "--publisher",
                                 "NICE", "--publisher", "BTS", "--embedder", "minilm-onnx",
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert seen == {"filters": {"topic": ["asthma"], "publisher": ["NICE", "BTS"]},
                    "embedder": "minilm-onnx"}


class _EmptyRetriever:
    def search(self, query, top_k=5, filters=None):
        return []


@pytest.mark.parametrize("args, fragment", [
    (["--embedder", "bert"], "--embedder must be one of minilm, minilm-onnx, use"),
    (["--topic", " "], "--topic needs a value"),
    (["--model", "/nonexistent/model"], "no such file or folder"),
])
def test_bad_retrieval_options_exit_2_before_anything_loads(tmp_path, args, fragment):
    result = runner.invoke(app, ["ask", "sore throat", "--data-dir", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    assert fragment in result.output and "Traceback" not in result.output
    assert not (tmp_path / "index").exists()


@pytest.mark.slow
def test_ask_with_a_topic_filter_cites_only_that_topic(real_assistant, real_data_dir):
    result = runner.invoke(app, ["ask", "how do I confirm the diagnosis?", "--topic",
                                 "asthma-adults", "--json", "--data-dir", str(real_data_dir)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["passages"]
    assert {p["guideline_id"] for p in data["passages"]} == {"asthma-adults"}


def test_a_model_that_fails_still_prints_the_passages_and_exits_1(hash_retriever, monkeypatch):
    from assistant.chat import FailingChatModel
    from assistant.core import Assistant, AssistantConfig

    assistant = Assistant(FailingChatModel(), hash_retriever, AssistantConfig(abstain_below=-1.0))
    monkeypatch.setattr("assistant.factory.build_assistant", lambda *a, **k: assistant)
    result = runner.invoke(app, ["ask", "how do I confirm hypertension", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["error"] and data["passages"]
