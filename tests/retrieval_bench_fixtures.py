"""Small benchmark files in the MedQuAD and PubMedQA formats, written by the tests (the real
data is never copied into the project)."""

from __future__ import annotations

import json
from pathlib import Path

MEDQUAD_RECORDS = [
    ("CancerGov", "d1", "Acute Gouty Arthritis", "information",
     "What is (are) Acute Gouty Arthritis ?",
     "Acute gouty arthritis is a sudden painful swelling of a joint caused by urate crystals."),
    ("CancerGov", "d1", "Acute Gouty Arthritis", "treatment",
     "What are the treatments for Acute Gouty Arthritis ?",
     "Colchicine or anti-inflammatory drugs ease   a flare;\n allopurinol lowers urate later."),
    ("GARD", "d2", "Holt-Oram syndrome", "information", "What is (are) Holt-Oram syndrome ?",
     "Holt-Oram syndrome affects the bones of the hands and arms and the heart."),
    ("GARD", "d2", "Holt-Oram syndrome", "inheritance", "Is Holt-Oram syndrome inherited ?",
     "This condition is inherited in an autosomal dominant pattern."),
    ("GHR", "d3", "Marfan syndrome", "inheritance", "Is Marfan syndrome inherited ?",
     "This condition is inherited in an autosomal dominant pattern."),  # same answer as above
    ("GHR", "d3", "Marfan syndrome", "symptoms", "What are the symptoms of Marfan syndrome ?",
     "Tall stature, long fingers, lens dislocation and aortic root dilatation."),
    ("NHLBI", "d4", "Asthma", "treatment", "How to treat Asthma ?",
     "Inhaled corticosteroids control asthma; a reliever inhaler treats symptoms."),
    ("NHLBI", "d4", "Asthma", "symptoms", "What are the symptoms of Asthma ?",
     "Wheeze, cough, chest tightness and breathlessness that vary over time."),
    ("NHLBI", "d4", "Asthma", "symptoms", "What are the signs of Asthma ?",
     "Wheeze,  cough, chest tightness and breathlessness that vary over time."),  # whitespace twin
]

PUBMEDQA = {
    "111": {"QUESTION": "Does colchicine reduce gout flares?",
            "CONTEXTS": ["Gout flares were counted in 200 patients.",
                         "Colchicine prophylaxis halved the flare rate."],
            "LABELS": ["BACKGROUND", "RESULTS"]},
    "222": {"QUESTION": "Is asthma control better with inhaled steroids?",
            "CONTEXTS": ["Children with asthma used inhaled corticosteroids daily."],
            "LABELS": ["METHODS"]},
    "333": {"QUESTION": "Does aortic dilatation progress in Marfan syndrome?",
            "CONTEXTS": ["Aortic root diameter was measured yearly in Marfan syndrome."],
            "LABELS": ["RESULTS"]},
}


def write_benchmarks(root: Path) -> Path:
    (root / "medquad").mkdir(parents=True)
    (root / "pubmedqa").mkdir(parents=True)
    with open(root / "medquad" / "medquad_answered.jsonl", "w", encoding="utf-8") as handle:
        for n, (source, doc, focus, qtype, question, answer) in enumerate(MEDQUAD_RECORDS):
            handle.write(json.dumps({
                "source": f"{n}_{source}_QA", "doc_id": doc, "url": f"https://example.org/{doc}",
                "focus": focus, "qid": f"{doc}-{n}", "qtype": qtype, "question": question,
                "answer": answer}) + "\n")
    (root / "pubmedqa" / "ori_pqal.json").write_text(json.dumps(PUBMEDQA), encoding="utf-8")
    return root
