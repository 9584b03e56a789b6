"""The real offline models: SmolLM2 through the GGUF conversion cache, MiniLM retrieval over
the bundled corpus. Loaded once per session (conftest)."""

import pytest

from assistant.transformers_backend import TransformersChatModel, default_model_spec

pytestmark = pytest.mark.slow

MESSAGES = [{"role": "system", "content": "Answer in one short sentence."},
            {"role": "user", "content": "What organ pumps blood?"}]


def test_gguf_is_converted_once_and_reloaded_from_the_copy(real_assistant, real_data_dir):
    copies = [p for p in (real_data_dir / "models").iterdir() if (p / "config.json").exists()]
    assert len(copies) == 1 and (copies[0] / "model.safetensors").exists()
    stamp = (copies[0] / "model.safetensors").stat().st_mtime_ns
    second = TransformersChatModel(default_model_spec(), real_data_dir / "models").load()
    assert (copies[0] / "model.safetensors").stat().st_mtime_ns == stamp
    assert second.generate(MESSAGES, max_new_tokens=8)


def test_greedy_generation_is_reproducible_and_stream_equals_generate(real_assistant):
    model = real_assistant.chat_model
    first = model.generate(MESSAGES, max_new_tokens=12)
    assert first.strip() and first == model.generate(MESSAGES, max_new_tokens=12)
    assert "".join(model.stream(MESSAGES, max_new_tokens=12)) == first


def test_a_gp_question_gets_a_cited_answer_from_the_right_guideline(real_assistant):
    answer = real_assistant.answer("clinic blood pressure 152/96, how do I confirm hypertension?")
    assert not answer.abstained and answer.error is None
    assert answer.passages[0].passage.topic == "hypertension"
    assert answer.text.strip()
    assert all(c.passage_id in {sp.passage.passage_id for sp in answer.passages}
               for c in answer.citations)


def test_a_plainly_out_of_scope_question_is_abstained_on(real_assistant):
    answer = real_assistant.answer("What is the offside rule in football?")
    assert answer.abstained and answer.citations == []
    assert answer.passages  # the nearest passages are still shown


@pytest.mark.parametrize("quantization", ["nf4", "int8"])
def test_bitsandbytes_quantization_loads_smaller_and_generates(real_assistant, real_data_dir,
                                                               quantization):
    from assistant.transformers_backend import model_spec_for

    def weight_bytes(model):
        return sum(p.numel() * p.element_size() for p in model._model.parameters())

    quantized = TransformersChatModel(model_spec_for(None, quantization),
                                      real_data_dir / "models").load()
    assert quantized.quantization == quantization
    assert weight_bytes(quantized) < 0.5 * weight_bytes(real_assistant.chat_model)
    assert quantized.generate(MESSAGES, max_new_tokens=6).strip()


def test_an_unknown_quantization_is_refused_with_the_choices():
    from assistant.transformers_backend import model_spec_for

    with pytest.raises(ValueError, match="none, nf4, int8"):
        model_spec_for(None, "fp3")
