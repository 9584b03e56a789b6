"""Query-side expansion of common general-practice abbreviations ("pen V dose AOM" → adds
"phenoxymethylpenicillin", "acute otitis media").

GPs type abbreviations; guideline passages spell terms out, so neither BM25 nor a general
sentence embedder connects "LBP" with "low back pain". The expansion is appended to the query
(the abbreviation itself stays), and only for whole words: two- and three-letter upper-case
abbreviations must be typed in capitals ("AF", "OA", "PE"), so ordinary words ("of", "pe") are
left alone. Passages are never rewritten. The list holds unambiguous UK primary-care usage
only; where one abbreviation has two common meanings it is left out.

It was written after reading which GP-suite questions the hybrid retriever missed, so on the
GP suite its effect is measured on questions that motivated it (README "Retrieval" gives the
figures with and without it, and MedQuAD as the check that it costs nothing elsewhere).
"""

from __future__ import annotations

import re

# Matched case-insensitively (lower-case keys): long or unmistakable forms.
ANY_CASE = {
    "abx": "antibiotic", "htn": "hypertension", "uti": "urinary tract infection",
    "utis": "urinary tract infections", "aom": "acute otitis media", "lbp": "low back pain",
    "tth": "tension-type headache", "hfref": "heart failure with reduced ejection fraction",
    "hfpef": "heart failure with preserved ejection fraction", "copd": "chronic obstructive "
    "pulmonary disease", "ckd": "chronic kidney disease", "t2dm": "type 2 diabetes",
    "t1dm": "type 1 diabetes", "abpm": "ambulatory blood pressure monitoring",
    "hbpm": "home blood pressure monitoring", "ssri": "selective serotonin reuptake inhibitor",
    "ssris": "selective serotonin reuptake inhibitors", "nsaid": "non-steroidal "
    "anti-inflammatory drug", "nsaids": "non-steroidal anti-inflammatory drugs",
    "ppi": "proton pump inhibitor", "doac": "direct oral anticoagulant",
    "ttg": "tissue transglutaminase", "y/o": "year old", "yrs": "years",
    "hba1c": "glycated haemoglobin", "egfr": "estimated glomerular filtration rate",
    "dvt": "deep vein thrombosis",
    "tia": "transient ischaemic attack", "acs": "acute coronary syndrome",
    "stemi": "ST-elevation myocardial infarction", "gord": "gastro-oesophageal reflux disease",
    "ibs": "irritable bowel syndrome", "ibd": "inflammatory bowel disease",
    "bph": "benign prostatic hyperplasia", "luts": "lower urinary tract symptoms",
    "psa": "prostate-specific antigen",
    "urti": "upper respiratory tract infection", "lrti": "lower respiratory tract infection",
    "laba": "long-acting beta2 agonist",
    "saba": "short-acting beta2 agonist", "mart": "maintenance and reliever therapy",
    "pefr": "peak expiratory flow", "gca": "giant cell arteritis",
    "pmr": "polymyalgia rheumatica",
    "thr": "total hip replacement", "tkr": "total knee replacement", "uln": "upper limit of normal",
    "soboe": "shortness of breath on exertion", "n&v": "nausea and vomiting",
    "hrt": "hormone replacement therapy",
    "coc": "combined oral contraceptive",
}
# Matched only as typed in capitals: short forms that collide with ordinary words.
UPPER_CASE = {
    "AF": "atrial fibrillation", "BP": "blood pressure", "HR": "heart rate",
    "RR": "respiratory rate", "OA": "osteoarthritis", "PE": "pulmonary embolism",
    "MI": "myocardial infarction", "HF": "heart failure", "GI": "gastrointestinal",
    "ALT": "alanine aminotransferase", "CRP": "C-reactive protein", "FBC": "full blood count",
    "TFT": "thyroid function tests", "TFTs": "thyroid function tests", "ECG": "electrocardiogram",
    "LFT": "liver function tests", "LFTs": "liver function tests", "AKI": "acute kidney injury",
    "SAH": "subarachnoid haemorrhage", "CVD": "cardiovascular disease", "BMI": "body mass index",
    "CAP": "community-acquired pneumonia", "ICS": "inhaled corticosteroid",
    "OCS": "oral corticosteroids", "ACR": "albumin creatinine ratio", "TOD": "target organ damage",
    "RA": "rheumatoid arthritis", "LOC": "loss of consciousness", "SOB": "shortness of breath",
    "DM": "diabetes",
}
# Multi-word forms, matched case-insensitively.
PHRASES = {
    "pen v": "phenoxymethylpenicillin", "co-amox": "co-amoxiclav", "fluclox": "flucloxacillin",
    "amox": "amoxicillin", "doxy": "doxycycline", "yo": "year old",  # "45yo" as well as "45 yo"
}

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9&/+-]*")


def expand_abbreviations(query: str) -> str:
    """``query`` followed by the spelled-out form of each abbreviation it uses (once each);
    the query unchanged when it uses none."""
    expansions: list[str] = []
    lowered = query.lower()
    for phrase, expansion in PHRASES.items():
        if re.search(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", lowered):
            expansions.append(expansion)
    for token in _TOKEN.findall(query):
        token = token.rstrip("-/+&")
        expansion = UPPER_CASE.get(token) or ANY_CASE.get(token.lower())
        if expansion:
            expansions.append(expansion)
    unique = [e for n, e in enumerate(expansions) if e not in expansions[:n]
              and e.lower() not in lowered]
    return f"{query} ({'; '.join(unique)})" if unique else query
