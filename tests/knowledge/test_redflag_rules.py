"""Every bundled red-flag rule is valid, cited, and the loader rejects bad rules clearly."""

import collections
import re

import pytest

from knowledge.redflag_rules import (LEVELS, RuleError, all_phrases, level_rank, load_rules,
                                     parse_rule)

RULES = load_rules()
SOURCES = {"ref1": {"publisher": "NICE", "code": "NG1", "title": "T", "version": "2020",
                    "url": "https://www.nice.org.uk/guidance/ng1"}}


def test_at_least_80_rules_and_every_level_present():
    assert len(RULES) >= 80
    counts = collections.Counter(rule.level for rule in RULES)
    assert set(counts) == set(LEVELS)
    assert counts["emergency"] >= 30


def test_ids_unique_and_well_formed():
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id) for rule_id in ids)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_rule_is_complete_and_cited(rule):
    assert rule.title and rule.action and rule.groups
    source = rule.source
    assert source.publisher and source.code and source.title and source.version
    assert source.section and source.url.startswith("https://")
    assert re.match(r"https://(www\.nice\.org\.uk/guidance/|cks\.nice\.org\.uk/topics/|"
                    r"www\.sign\.ac\.uk/|www\.resus\.org\.uk/|www\.triagenet\.net/|ukkidney\.org/|"
                    r"abcd\.care/|www\.gov\.uk/|www\.nhs\.uk/|www\.england\.nhs\.uk/|www\.rcem\.ac\.uk/|"
                    r"www\.brit-thoracic\.org\.uk/|www\.rcog\.org\.uk/|www\.rcpch\.ac\.uk/|"
                    r"www\.toxbase\.org/|www\.who\.int/|www\.rcophth\.ac\.uk/)", source.url), source.url


def test_required_presentations_are_covered():
    titles = " ".join(rule.title.lower() for rule in RULES)
    for topic in ("coronary", "stroke", "transient ischaemic", "sepsis", "meningitis",
                  "non-blanching", "anaphylaxis", "asthma", "pulmonary embolism",
                  "aortic dissection", "subarachnoid", "cauda equina", "ectopic",
                  "pre-eclampsia", "ketoacidosis", "hyperosmolar", "hypoglycaemia",
                  "gastrointestinal bleeding", "testicular torsion", "limb ischaemia",
                  "angle-closure", "suicid", "self-harm", "head injury", "infant under 3 months",
                  "bronchiolitis", "croup", "cancer"):
        assert topic in titles, topic


def test_phrases_compile():
    from assistant.clinical.context import compile_terms

    phrases = tuple(sorted(all_phrases(RULES)))
    assert len(phrases) > 500
    compile_terms((("all", phrases),))


def test_level_rank_orders_levels():
    assert [level_rank(level) for level in LEVELS] == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError):
        level_rank("whenever")


def good_rule(**changes):
    raw = {"id": "x-one", "title": "T", "level": "urgent", "patterns": ["chest pain"],
           "action": "Do it.", "source": {"ref": "ref1", "section": "1.1"}}
    raw.update(changes)
    return raw


def test_parse_valid_rule_with_vitals_and_groups():
    rule = parse_rule(good_rule(vitals=["hr_bpm > 130"], also=[["sweaty"],
                                {"phrases": ["fever"], "vitals": ["temp_c >= 38"]}],
                                age_years=[0, 0.25]), "test", SOURCES)
    assert len(rule.groups) == 3 and rule.groups[0].vitals[0].holds(140)
    assert rule.age_max_years == 0.25


@pytest.mark.parametrize("changes, message", [
    ({"level": "asap"}, "level must be one of"),
    ({"id": "Bad Id"}, "id must be"),
    ({"source": {"ref": "missing", "section": "1"}}, "not defined"),
    ({"source": {"ref": "ref1"}}, "section is required"),
    ({"vitals": ["pulse > 1"]}, "vital field 'pulse' unknown"),
    ({"patterns": [], "vitals": None}, "needs patterns or vitals"),
    ({"age_years": [5, 1]}, "minimum must be below"),
    ({"colour": "red"}, "unknown key"),
    ({"action": ""}, "action is required"),
])
def test_bad_rules_are_rejected_with_the_field_named(changes, message):
    with pytest.raises(RuleError, match=message):
        parse_rule(good_rule(**changes), "test", SOURCES, "file.yaml")


def test_missing_source_field_is_rejected(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "system: x\nsources:\n  r: {publisher: NICE, code: NG1, title: T, version: '1', url: ''}\n"
        "rules: []\n")
    with pytest.raises(RuleError, match="missing url"):
        load_rules(tmp_path)


def test_urgency_is_an_ordered_string_enum():
    import json

    from knowledge.redflag_rules import Urgency

    assert [u.rank for u in Urgency] == [0, 1, 2, 3, 4]
    assert Urgency.SELF_CARE == "self-care" and Urgency.EMERGENCY.em_ne_sc == "em"
    assert json.dumps({"level": Urgency.URGENT}) == '{"level": "urgent"}'
    assert all(isinstance(rule.level, Urgency) for rule in RULES)
    with pytest.raises(ValueError):
        Urgency("immediate")
