"""The condition base: size, valid ICD-10-CM codes, features that exist, unique ids, checks."""

import textwrap

import pytest
import simple_icd_10_cm as cm

from knowledge.conditions import (GUIDELINE_TOPICS, SUPPORTING_KINDS, ConditionDataError,
                                  load_conditions)


@pytest.fixture(scope="module")
def base():
    return load_conditions()


def test_at_least_150_conditions_across_systems(base):
    assert len(base) >= 150
    assert len({c.system for c in base}) >= 10


def test_every_icd10_code_is_in_the_icd10cm_code_set(base):
    invalid = [(c.condition_id, code) for c in base for code in c.icd10 if not cm.is_valid_item(code)]
    assert invalid == []


def test_condition_ids_are_unique(base):
    ids = [c.condition_id for c in base]
    assert len(ids) == len(set(ids))


def test_every_referenced_feature_exists_and_implications_resolve(base):
    missing = [(c.condition_id, key) for c in base for key in c.referenced_features()
               if key not in base.features]
    assert missing == []
    assert all(parent in base.features for f in base.features.values() for parent in f.implies)


def test_every_condition_has_a_supporting_feature_steps_and_a_source(base):
    for c in base:
        keys = [*c.features, *(k for k, _ in c.features_for)]
        assert any(base.features[k].kind in SUPPORTING_KINDS for k in keys), c.condition_id
        steps = c.next_steps
        assert steps.questions or steps.examinations or steps.tests, c.condition_id
        assert c.source.url.startswith("https://") and c.source.publisher, c.condition_id
        assert c.guideline_topic == "" or c.guideline_topic in GUIDELINE_TOPICS


def test_many_must_not_miss_conditions_and_sex_specific_ones(base):
    assert sum(c.must_not_miss for c in base) >= 40
    assert base.get("testicular-torsion").sex == "male"
    assert base.get("ectopic-pregnancy").pregnancy == "required"


def test_ages_are_consistent(base):
    for c in base:
        low, high = c.age_limits_years
        typical_low, typical_high = c.typical_age_years
        assert 0 <= low <= typical_low <= typical_high <= high <= 120, c.condition_id


def test_features_carry_lay_words(base):
    assert "tummy ache" in base.features["abdominal-pain"].phrases
    assert "it burns when i wee" in base.features["dysuria"].phrases


def write_base(tmp_path, condition_yaml: str, features_yaml: str | None = None):
    (tmp_path / "features.yaml").write_text(features_yaml or textwrap.dedent("""
        cough: {label: cough, phrases: [cough]}
        smoker: {label: smoker, kind: risk, phrases: [smoker]}
    """))
    (tmp_path / "respiratory.yaml").write_text(textwrap.dedent(condition_yaml))
    return tmp_path


GOOD = """
    - id: test-cough
      name: Test cough
      icd10: [R05.9]
      features: [cough]
      next_steps:
        question: How long?
      source: {publisher: NICE, title: Cough, url: "https://www.nice.org.uk/guidance/ng120"}
"""


def test_a_minimal_valid_file_loads(tmp_path):
    base = load_conditions(write_base(tmp_path, GOOD))
    condition = base.get("test-cough")
    assert condition.system == "respiratory" and condition.next_steps.questions == ("How long?",)


@pytest.mark.parametrize("change, message", [
    (("features: [cough]", "features: [wheeze]"), "not in features.yaml"),
    (("icd10: [R05.9]", "icd10: [cough]"), "ICD-10-CM"),
    (("features: [cough]", "features: [smoker]"), "symptom, sign or test"),
    (("features: [cough]", "features: [cough]\n      against: {cough: 1}"), "both for and against"),
    (("icd10: [R05.9]", "icd10: [R05.9]\n      age: [50, 130]"), "age"),
    (("icd10: [R05.9]", "icd10: [R05.9]\n      sex: woman"), "sex"),
    (("icd10: [R05.9]", "icd10: [R05.9]\n      guideline: not-a-topic"), "corpus topic"),
])
def test_broken_files_are_rejected_with_the_reason(tmp_path, change, message):
    with pytest.raises(ConditionDataError, match=message):
        load_conditions(write_base(tmp_path, GOOD.replace(*change)))


def test_duplicate_ids_are_rejected(tmp_path):
    write_base(tmp_path, GOOD)
    (tmp_path / "other.yaml").write_text(textwrap.dedent(GOOD))
    with pytest.raises(ConditionDataError, match="duplicate condition id"):
        load_conditions(tmp_path)
