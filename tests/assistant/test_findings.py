"""The shared findings reader: concepts with assertions in English and Chinese, vitals from the
text merged with the form, the patient from the text, and notes on what could not be read."""

import pytest

from assistant.clinical.chinese import find_chinese_mentions
from assistant.clinical.findings import clean_text, read_findings
from assistant.clinical.news2 import Vitals
from assistant.clinical.patient import PatientContext, complete_patient, patient_from_text
from knowledge.vocabulary import VocabularyError, load_vocabulary


def assertions(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in read_findings(text).concept_findings():
        found.setdefault(finding.concept, set()).add(finding.assertion)
    return found


def test_vocabulary_concepts_are_bilingual_and_cite_a_source():
    vocabulary = load_vocabulary()
    assert len(vocabulary.concepts) >= 200
    for concept_id in ("severe-breathlessness", "altered-consciousness", "chest-pain", "fever",
                       "non-blanching-rash", "melaena", "floppy"):
        concept = vocabulary[concept_id]
        assert concept.en and concept.en_lay and concept.zh, concept_id
        assert concept.source
    with pytest.raises(KeyError, match="unknown concept"):
        vocabulary["no-such-thing"]


def test_a_malformed_vocabulary_file_names_the_concept_and_field(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "sources: {s: {publisher: P, title: T, url: 'https://x.org'}}\n"
        "concepts:\n  - {id: Bad_Id, term: X, kind: symptom, en: [x], source: s}\n",
        encoding="utf-8")
    with pytest.raises(VocabularyError, match="bad.yaml.*Bad_Id"):
        load_vocabulary(tmp_path)


@pytest.mark.parametrize("text, concept", [
    ("I can't catch my breath", "severe-breathlessness"),
    ("my poo is black and sticky", "melaena"),
    ("he's gone floppy", "floppy"),
    ("acutely disoriented and increasingly somnolent", "altered-consciousness"),
    ("O/E guarding and rebound in the RIF", "guarding"),
    ("flapping tremor on examination", "asterixis"),
    ("喘不上气", "severe-breathlessness"),
    ("大便发黑", "melaena"),
    ("怎么叫都叫不醒", "unresponsive"),
])
def test_lay_clinical_and_chinese_words_find_their_concept(text, concept):
    assert "present" in assertions(text).get(concept, set()), assertions(text)


def test_assertions_in_english():
    found = assertions("No chest pain. Mother had a stroke. Call back if you get a rash. "
                       "?meningitis. Had a seizure in 2015.")
    assert found["chest-pain"] == {"absent"}
    assert found["stroke"] == {"family"}
    assert found["rash"] == {"hypothetical"}
    assert found["seizure"] == {"historical"}


@pytest.mark.parametrize("text, negated, possible, historical, family", [
    ("无发热、咳嗽", True, False, False, False),
    ("否认胸痛", True, False, False, False),
    ("不发烧", True, False, False, False),
    ("怀疑胸痛", False, True, False, False),
    ("既往高血压史", False, False, True, False),
    ("父亲死于高血压", False, False, False, True),
    ("我爸高血压犯了", False, False, False, False),  # a relative is often the patient
])
def test_chinese_cues(text, negated, possible, historical, family):
    terms = {"fever": ["发热"], "chest-pain": ["胸痛"], "hypertension": ["高血压"],
             "fever2": ["发烧"], "cough": ["咳嗽"]}
    mention = find_chinese_mentions(text, terms)[0]
    assert (mention.negated, mention.possible, mention.historical, mention.family) == \
        (negated, possible, historical, family)


def test_chinese_findings_are_not_negations():
    # "无力" (weakness) and "叫不醒" (won't wake) contain negation characters but are findings.
    terms = {"weak": ["无力"], "unrousable": ["叫不醒"], "back-pain": ["腰*痛"]}
    assert not find_chinese_mentions("四肢无力", terms)[0].negated
    assert not find_chinese_mentions("孩子叫不醒", terms)[0].negated
    assert find_chinese_mentions("腰不痛", terms) == []  # a wildcard never spans a negation


def test_mixed_chinese_and_english_text_is_read_by_both():
    findings = read_findings("怀疑 ACS，BP 85/50，HR 130，出冷汗")
    assert findings.languages == {"en", "zh"}
    assert findings.vitals.sbp_mmhg == 85 and findings.vitals.hr_bpm == 130
    assert findings.has("diaphoresis")


def test_form_vitals_override_the_text_and_a_conflict_is_reported():
    findings = read_findings("HR 150, RR 40", vitals=Vitals(hr_bpm=90))
    assert findings.vitals.hr_bpm == 90 and findings.vitals.rr_per_min == 40
    assert any("hr_bpm" in conflict and "form" in conflict for conflict in findings.conflicts)


def test_gcs_in_the_text_sets_consciousness():
    assert read_findings("GCS 12").vitals.consciousness == "V"
    assert read_findings("GCS 14").vitals.consciousness == "C"


def test_contradictions_are_noted_and_read_as_present():
    findings = read_findings("no chest pain this morning. Chest pain since noon.")
    assert findings.has("chest-pain")
    assert any("contradictory" in note for note in findings.notes)


def test_control_characters_and_emoji_are_dropped_and_named():
    cleaned, notes = clean_text("chest\x01pain 😀")
    assert cleaned == "chest pain  " and "GRINNING FACE" in notes[0] and "U+0001" in notes[0]
    assert read_findings("chest\x01pain").has("chest-pain")


@pytest.mark.parametrize("text, age, sex, pregnant", [
    ("54 year old man", 54, "male", None),
    ("62M", 62, "male", None),
    ("6/52 M, T 38.3", 6 * 7 / 365.25, "male", None),
    ("my 8 month old girl", 8 / 12, "female", None),
    ("72岁女性", 72, "female", None),
    ("出生10天", 10 / 365.25, None, None),
    ("28 weeks pregnant", None, "female", True),
    ("Urine beta-hCG positive", None, "female", True),
    ("孕32周，头痛", None, "female", True),
])
def test_patient_from_text(text, age, sex, pregnant):
    patient = patient_from_text(text)
    if age is None:
        assert patient.age_years is None
    else:
        assert patient.age_years == pytest.approx(age, abs=0.01)
    assert patient.sex == sex and patient.pregnant == pregnant


def test_the_form_wins_over_the_text_and_the_conflict_is_reported():
    patient, conflicts = complete_patient(PatientContext(age_years=30, sex="female"),
                                          "58 year old man")
    assert patient.age_years == 30 and patient.sex == "female"
    assert len(conflicts) == 2


def test_pregnancy_is_refused_for_a_small_child_or_a_man():
    with pytest.raises(ValueError, match="pregnant"):
        PatientContext(age_years=2, pregnant=True)
    with pytest.raises(ValueError, match="pregnant"):
        PatientContext(sex="male", pregnant=True)
    assert patient_from_text("5 year old boy, pregnant sister").pregnant is None


def test_a_chinese_ampersand_phrase_finds_both_parts_in_a_clause():
    terms = {"nappy-rash": ["& 尿布 红"]}
    assert find_chinese_mentions("屁股上尿布盖住的地方红了一片", terms)
    assert find_chinese_mentions("红了一片，尿布换过了", terms) == []


# ---- age from words when no number is given -------------------------------------------------

@pytest.mark.parametrize("text, band", [
    ("my baby has a temperature and is floppy", (0.0, 2.0)),
    ("newborn not feeding since this morning", (0.0, 28 / 365.25)),
    ("my toddler has a rash", (1.0, 4.0)),
    ("宝宝发烧39度，没精神", (0.0, 2.0)),
    ("新生儿黄疸", (0.0, 28 / 365.25)),
])
def test_a_word_places_the_patient_in_an_age_band(text, band):
    patient = read_findings(text).patient
    assert patient.age_years is None and patient.age_band_years == pytest.approx(band)
    assert patient.is_child


@pytest.mark.parametrize("text, age", [("女，76，上腹不适伴恶心", 76.0), ("老太太80了，摔了一跤", 80.0),
                                       ("my son is 34 and has chest pain", 34.0)])
def test_chinese_shorthand_and_colloquial_ages(text, age):
    patient = read_findings(text).patient
    assert patient.age_years == age and patient.age_band_years is None


def test_a_number_wins_over_a_word_and_a_fetus_is_not_the_patient():
    assert read_findings("my baby is 9 months old").patient.age_band_years is None
    pregnant = read_findings("38 weeks pregnant, baby moving less").patient
    assert pregnant.pregnant and pregnant.age_band_years is None


def test_age_limited_rules_use_the_band():
    from assistant.clinical.triage import triage

    # Children's rules fire for "my baby"; NEWS2 (adults only) is not applied to a baby.
    result = triage("my baby is floppy and not feeding, breathing fast, RR 60, HR 180")
    assert result.news2 is None or not result.news2.applicable
    assert result.level == "emergency"


# ---- a wildcard or a word bag never reads across a negation --------------------------------

@pytest.mark.parametrize("text, concept", [
    ("lips not blue", "cyanosis"),
    ("stool is not black", "melaena"),
    ("rash fades when pressed with a glass", "non-blanching-rash"),
    ("嘴唇不紫", "cyanosis"),
])
def test_a_negation_inside_a_phrase_gap_is_not_read_as_present(text, concept):
    present = {f.concept for f in read_findings(text).concept_findings() if f.affirmed}
    assert concept not in present


def test_no_vomiting_after_a_comma_is_not_blood_in_vomit():
    findings = {f.concept: f.assertion for f in
                read_findings("no blood in stool, no vomiting").concept_findings()}
    assert findings.get("vomiting") == "absent" and "haematemesis" not in findings


@pytest.mark.parametrize("text, concept", [
    ("rash does not fade under a glass", "non-blanching-rash"),
    ("嘴唇发紫", "cyanosis"), ("pain in my chest", "chest-pain"),
])
def test_the_same_phrases_still_read_when_meant(text, concept):
    present = {f.concept for f in read_findings(text).concept_findings() if f.affirmed}
    assert concept in present


@pytest.mark.parametrize("text", ["女，66，双膝关节疼痛5年，上下楼梯加重", "腰痛，久坐加重，活动后缓解"])
def test_an_aggravating_factor_is_not_a_worsening_course(text):
    assert "not-improving" not in {f.concept for f in read_findings(text).concept_findings()}


def test_a_worsening_course_is_still_read_in_chinese():
    assert "not-improving" in {f.concept for f in
                               read_findings("咳嗽两周，逐渐加重").concept_findings()}
