"""Recall of identifier redaction on synthetic clinical notes with planted identifiers.

``synthetic_notes(n, seed)`` writes ``n`` short notes in GP, nurse and patient styles, each
with a few identifiers planted at known places: person names (bare, after a title, or after
a cue word; English, South Asian, Chinese and other names), phone numbers, NHS numbers,
dates of birth, e-mail addresses, postcodes and street addresses. Each note also carries
clinical words that must survive (eponyms such as "Crohn's disease", medicines, findings).

``score_redaction(notes, redact)`` runs a redaction function and counts, per identifier
kind, how many planted identifiers no longer appear in its output (recall), and how many of
the clinical words were lost (over-redaction). The notes are invented from word lists; no
real person's data is used. The function under test is passed in, so this module imports
nothing of ``assistant``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

FIRST = ["John", "Margaret", "Ayesha", "Ravi", "Wei", "Mei", "Oluwaseun", "Siobhan", "Tomasz",
         "Fatima", "Graham", "Priya", "Li", "Aleksandra", "Kwame", "Eleanor", "Mohammed",
         "Hannah", "Jun", "Bridget", "Arjun", "Chloe", "Dmitri", "Nia", "Yusuf", "Grace"]
LAST = ["Smith", "Patel", "Khan", "Zhang", "Wong", "Okafor", "O'Brien", "Kowalski", "Jones",
        "Ahmed", "Thompson", "Singh", "Chen", "Nowak", "Mensah", "Hughes", "Ali", "Evans",
        "Liu", "Murphy", "Sharma", "Taylor", "Ivanov", "Williams", "Hassan", "Campbell"]
TITLES = ["Mr", "Mrs", "Ms", "Dr", "Miss"]
STREETS = ["Baker Street", "Mill Lane", "Station Road", "Church Close", "Park Avenue",
           "Victoria Terrace", "Oak Drive", "Queens Crescent"]
POSTCODES = ["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "LS1 4AP", "EH1 1YZ", "BS1 5TR",
             "NE1 7RU"]
CLINICAL = [("known Crohn's disease", "Crohn's disease"), ("Murphy's sign positive",
            "Murphy's sign"), ("on levodopa for Parkinson's disease", "Parkinson's disease"),
            ("takes Ventolin and Clenil", "Ventolin"), ("had Bell's palsy last year",
            "Bell's palsy"), ("on metformin 500 mg bd", "metformin 500 mg"),
            ("Addison's disease on hydrocortisone", "Addison's disease"),
            ("BP 150/95, HR 96", "150/95"), ("sats 94% on air", "94%"),
            ("history of Barrett's oesophagus", "Barrett's oesophagus"),
            ("Wells score 4", "Wells score"), ("chest pain radiating to the left arm",
            "chest pain")]
KINDS = ("NAME", "PHONE", "NHS_NUMBER", "DOB", "EMAIL", "POSTCODE", "ADDRESS")


@dataclass(frozen=True)
class SyntheticNote:
    text: str
    planted: tuple[tuple[str, str], ...]   # (kind, the identifier as written)
    clinical: tuple[str, ...]              # words that must survive redaction


@dataclass
class RedactionScore:
    planted: dict[str, int] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    clinical_total: int = 0
    clinical_lost: int = 0
    missed: list[tuple[str, str]] = field(default_factory=list)

    def recall(self, kind: str | None = None) -> float:
        planted = sum(self.planted.values()) if kind is None else self.planted.get(kind, 0)
        found = sum(self.found.values()) if kind is None else self.found.get(kind, 0)
        return found / planted if planted else 1.0

    def to_dict(self) -> dict:
        return {"notes_identifiers": sum(self.planted.values()),
                "recall": round(self.recall(), 4),
                "by_kind": {k: {"planted": self.planted.get(k, 0), "found": self.found.get(k, 0),
                                "recall": round(self.recall(k), 4)} for k in KINDS},
                "clinical_words": self.clinical_total, "clinical_words_lost": self.clinical_lost,
                "missed_examples": [list(m) for m in self.missed[:20]]}


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.7 else rng.choice(FIRST)


def _phone(rng: random.Random) -> str:
    return rng.choice([f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                       f"0{rng.randint(113, 199)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                       f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}"])


def _nhs(rng: random.Random) -> str:
    return f"{rng.randint(400, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _dob(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1930, 2020)}",
                       f"{rng.randint(1, 28)} March {rng.randint(1930, 2020)}"])


def synthetic_notes(n: int = 200, seed: int = 7) -> list[SyntheticNote]:
    """``n`` notes, the same for the same seed."""
    rng = random.Random(seed)
    notes = []
    for number in range(n):
        name = _name(rng)
        clinical, keep = rng.choice(CLINICAL)
        style = number % 4
        if style == 0:    # GP shorthand with a bare name
            text = f"Saw {name} today, {rng.randint(20, 89)}y, {clinical}. Call back on {{phone}}."
        elif style == 1:  # nurse note with a title
            title = rng.choice(TITLES)
            surname = name.split()[-1]
            name = f"{title} {surname}"
            text = f"{name} DOB {{dob}}, NHS no {{nhs}}, {clinical}; lives at {{address}}."
        elif style == 2:  # patient's words
            text = (f"Hi it's {name}, my email is {{email}}, I'm worried, {clinical}. "
                    f"Postcode {{postcode}}.")
        else:             # a relative named mid-sentence
            text = f"{name} brought in by her son, {clinical}, contact {{phone}}."
        values = {"phone": _phone(rng), "dob": _dob(rng), "nhs": _nhs(rng),
                  "email": f"{name.split()[-1].lower().replace(chr(39), '')}{number}@example.org",
                  "postcode": rng.choice(POSTCODES),
                  "address": f"{rng.randint(1, 200)} {rng.choice(STREETS)}"}
        planted = [("NAME", name)]
        for key, kind in (("phone", "PHONE"), ("dob", "DOB"), ("nhs", "NHS_NUMBER"),
                          ("email", "EMAIL"), ("postcode", "POSTCODE"), ("address", "ADDRESS")):
            if "{" + key + "}" in text:
                planted.append((kind, values[key]))
        notes.append(SyntheticNote(text.format(**values), tuple(planted), (keep,)))
    return notes


def score_redaction(notes: list[SyntheticNote], redact: Callable[[str], str]) -> RedactionScore:
    score = RedactionScore()
    for note in notes:
        output = redact(note.text)
        for kind, value in note.planted:
            score.planted[kind] = score.planted.get(kind, 0) + 1
            # Found when no word of the identifier of 3+ characters is left in the output
            # (a name is leaked if its surname survives, even when the title was removed).
            words = [w for w in value.replace(",", " ").split() if len(w) >= 3 and
                     w not in ("Mrs", "Miss")]
            if all(w not in output for w in words):
                score.found[kind] = score.found.get(kind, 0) + 1
            else:
                score.missed.append((kind, value))
        for word in note.clinical:
            score.clinical_total += 1
            if word not in output:
                score.clinical_lost += 1
    return score
