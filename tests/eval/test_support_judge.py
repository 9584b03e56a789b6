"""Support judges: the lexical-plus-embedding default (and what it cannot do), an NLI
cross-encoder built tiny from a config, and an LLM judge through a ChatModel."""

import pytest

from assistant.chat import ScriptedChatModel
from eval.support import (ChatModelJudge, CrossEncoderNLIJudge, LexicalEmbeddingJudge,
                          build_support_judge, numbers_in, word_recall)
from retrieval.embedders import HashEmbedder

EVIDENCE = ("If clinic blood pressure is 140/90 mmHg or higher, offer ambulatory blood pressure "
            "monitoring (ABPM) to confirm the diagnosis of hypertension. Hypertension is confirmed "
            "when the ABPM daytime average is 135/85 mmHg or higher.")


@pytest.fixture
def judge():
    return LexicalEmbeddingJudge(HashEmbedder(64))


def test_word_recall_and_numbers_by_hand():
    # Content words of the claim: offer, abpm, hypertension, 140, 90 → 5, all in the evidence.
    assert word_recall("Offer ABPM for hypertension at 140/90", EVIDENCE) == 1.0
    # amoxicillin, 500, mg → none of 3.
    assert word_recall("amoxicillin 500 mg", EVIDENCE) == 0.0
    assert numbers_in("135/85 mmHg, 2.50 mg") == {"135", "85", "2.5"}


def test_paraphrase_is_supported(judge):
    verdict = judge.judge("Offer ABPM to confirm hypertension when clinic blood pressure is "
                          "140/90 mmHg or more.", EVIDENCE)
    assert verdict.supported and verdict.score >= judge.threshold


def test_unrelated_claim_is_not_supported(judge):
    verdict = judge.judge("Start amoxicillin 500 mg three times a day.", EVIDENCE)
    assert not verdict.supported and verdict.score < 0.3


def test_a_changed_threshold_number_is_not_supported_whatever_the_similarity(judge):
    verdict = judge.judge("Hypertension is confirmed at a daytime ABPM average of 150/95 mmHg.", EVIDENCE)
    assert verdict.score >= judge.threshold  # similar text ...
    assert not verdict.supported             # ... but 150/95 is not in the evidence


def test_known_limitation_negation_passes_the_lexical_judge(judge):
    # Documented: a similarity check cannot see "do not". An NLI or LLM judge is needed for that.
    verdict = judge.judge("Do not offer ambulatory blood pressure monitoring to confirm hypertension.",
                          EVIDENCE)
    assert verdict.supported
    assert judge.name == "lexical+embedding"


def test_empty_claim_or_evidence_is_unsupported(judge):
    assert not judge.judge("", EVIDENCE).supported
    assert not judge.judge("Offer ABPM.", "  ").supported


def test_llm_judge_reads_yes_no_and_counts_unparsed():
    model = ScriptedChatModel(["Yes.", "no", "I think it might be"], model_id="grader")
    llm = ChatModelJudge(model)
    assert llm.judge("claim", "evidence").supported
    assert not llm.judge("claim", "evidence").supported
    assert not llm.judge("claim", "evidence").supported and llm.unparsed == 1
    assert "Claim: claim" in model.calls[0][0]["content"] and llm.name == "llm:grader"


def _tiny_cross_encoder(folder, labels):
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + "offer abpm confirm hypertension".split()
    (folder / "vocab.txt").write_text("\n".join(words))
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    config = BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=64,
                        id2label=dict(enumerate(labels)),
                        label2id={label: i for i, label in enumerate(labels)})
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def test_nli_cross_encoder_by_path(tmp_path):
    path = _tiny_cross_encoder(tmp_path, ["contradiction", "entailment", "neutral"])
    nli = CrossEncoderNLIJudge(path, threshold=0.5)
    verdict = nli.judge("offer abpm", "confirm hypertension")
    assert 0.0 <= verdict.score <= 1.0
    assert verdict.supported == (verdict.score >= 0.5)
    assert nli.name == f"nli:{path}"


def test_a_model_without_an_entailment_label_is_refused(tmp_path):
    path = _tiny_cross_encoder(tmp_path, ["LABEL_0", "LABEL_1"])
    with pytest.raises(ValueError, match="not an NLI model"):
        CrossEncoderNLIJudge(path).judge("a", "b")


def test_build_support_judge_specs():
    assert build_support_judge("lexical", embedder=HashEmbedder(8)).name == "lexical+embedding"
    assert isinstance(build_support_judge("nli:some/model"), CrossEncoderNLIJudge)
    assert isinstance(build_support_judge("llm", chat_model=ScriptedChatModel(["yes"])), ChatModelJudge)
    with pytest.raises(ValueError, match="judge must be one of"):
        build_support_judge("oracle")
    with pytest.raises(ValueError, match="needs a chat model"):
        build_support_judge("llm")
