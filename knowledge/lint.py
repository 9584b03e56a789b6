"""Quality checks for guideline Markdown files (the bundled corpus or a user's folder).

Each problem names the file, the passage id (when there is one), the rule and what is wrong.
Rules:

- ``parse``: the file does not follow ``markdown_format`` at all.
- ``metadata``: a required front-matter key is missing or empty (``REQUIRED_METADATA``).
- ``doc-id``: the document id is not a lowercase slug equal to the file name.
- ``url``: the url is not a web address of the form ``https://host/...``.
- ``sections``: a required ``##`` section is missing, has no passage, or is out of order.
- ``passage-id``: a passage has no explicit ``<!-- id: ... -->`` or the id is not
  lowercase ``[a-z0-9-]``.
- ``annotation``: a passage's strength is not one of ``STRENGTHS``.
- ``unique-id``: a passage or document id is used more than once across the files.
- ``duplicate``: a passage repeats another exactly or nearly (``ingest.dedup``).
- ``length``: a passage (tables excepted) has fewer than ``MIN_PASSAGE_WORDS`` or more than
  ``MAX_PASSAGE_WORDS`` words.
- ``dose-units``: a number right after a drug name or "dose" has no unit (mg, g,
  micrograms, mL, units, % ...). A heuristic: it knows common drug names and stems.
- ``gold-id``/``gold-file``: a question of an evaluation suite cites a passage id that does not
  exist, or a suite line cannot be read.

This module checks; it does not fix anything or decide which files are the corpus.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from knowledge.corpus import CORPUS_DIR
from knowledge.ingest.dedup import DEFAULT_NEAR_THRESHOLD, DuplicateFinder
from knowledge.ingest.tokens import count_tokens
from knowledge.markdown_format import GuidelineDocument, GuidelineFormatError, load_guideline_file
from knowledge.passage import derived_passage_id

REQUIRED_METADATA = ("id", "title", "publisher", "source_title", "url", "reviewed")
REQUIRED_SECTIONS = ("Recognition and diagnosis", "Assessment",
                     "Red flags and when to refer or admit", "Management",
                     "Safety-netting and follow-up")
STRENGTHS = ("strong", "conditional", "consensus", "not stated")
MIN_PASSAGE_WORDS, MAX_PASSAGE_WORDS = 25, 220

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_URL = re.compile(r"^https://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:/\S*)?$")
_SECTION_HEADING = re.compile(r"^##\s+(.*?)\s*#*\s*$", re.M)

# Drug names a GP corpus uses often, and stems that mark most other drug names.
_DRUG_NAMES = (
    "paracetamol", "ibuprofen", "naproxen", "aspirin", "codeine", "morphine", "tramadol",
    "colchicine", "allopurinol", "febuxostat", "metformin", "insulin", "gliclazide",
    "levothyroxine", "liothyronine", "salbutamol", "terbutaline", "beclometasone", "budesonide",
    "fluticasone", "montelukast", "prednisolone", "hydrocortisone", "betamethasone",
    "clobetasone", "clobetasol", "mometasone", "nitrofurantoin", "trimethoprim", "fosfomycin",
    "cefalexin", "co-amoxiclav", "loperamide", "lactulose", "macrogol", "senna", "bisacodyl",
    "docusate", "ferrous sulfate", "ferrous fumarate", "ferrous gluconate", "folic acid",
    "colecalciferol", "vitamin d", "vitamin b12", "hydroxocobalamin", "sertraline", "fluoxetine",
    "citalopram", "mirtazapine", "zopiclone", "melatonin", "adrenaline", "epinephrine",
    "chlorphenamine", "cetirizine", "loratadine", "fexofenadine", "furosemide", "digoxin",
    "warfarin", "glyceryl trinitrate", "amitriptyline", "nortriptyline", "gabapentin",
    "pregabalin", "propranolol", "sumatriptan", "metoclopramide", "domperidone", "ondansetron",
    "permethrin", "aciclovir", "valaciclovir", "oseltamivir", "nicotine", "varenicline",
    "methotrexate", "sulfasalazine", "mesalazine", "spironolactone", "indapamide",
    "bendroflumethiazide", "tamsulosin", "finasteride", "oxybutynin", "mirabegron",
    "chloramphenicol", "fusidic acid", "mupirocin", "benzoyl peroxide", "adapalene",
    "tretinoin", "isotretinoin", "miconazole", "terbinafine", "nystatin", "ivermectin",
    "oral rehydration salts", "dexamethasone", "budesonide/formoterol", "emollient",
)
_DRUG_STEMS = ("cillin", "mycin", "micin", "cycline", "oxacin", "floxacin", "azole", "prazole",
               "pril", "sartan", "olol", "alol", "dipine", "statin", "gliptin", "gliflozin",
               "glutide", "tide", "parin", "xaban", "gatran", "triptan", "tidine", "oxetine",
               "opram", "traline", "azepam", "zolam", "olone", "isone", "asone", "sonide",
               "terol", "tropium", "profen", "fenac", "coxib", "thiazide", "semide", "dronate",
               "thyroxine", "formin", "lukast")
_DOSE_CONTEXT = (r"(?:" + "|".join(re.escape(n) for n in sorted(_DRUG_NAMES, key=len, reverse=True))
                 + r"|[a-z-]+(?:" + "|".join(_DRUG_STEMS) + r")|doses?|dosage)")
_NUMBER = r"\d+(?:[.,]\d+)?(?:/\d+(?:[.,]\d+)?)?"  # 500/125 mg: combined strengths
_DOSE = re.compile(
    rf"\b(?P<context>{_DOSE_CONTEXT})\s+(?:(?:of|up to|is|at|from|between)\s+)?"
    rf"(?P<number>{_NUMBER}(?:\s*(?:to|-|–|or|and)\s*{_NUMBER})?)(?P<after>\s*[^\s,;:)]*)",
    re.I)
_UNIT = re.compile(
    r"^\s*(?:mg|g|kg|micrograms?|microgram|mcg|µg|μg|nanograms?|ng|ml|l|litres?|units?|iu|%|"
    r"mmol|puffs?|doses?|tablets?|capsules?|sachets?|drops?|sprays?|applications?|"
    r"minutes?|hours?|days?|weeks?|months?|years?|times?|x)\b|^\s*%", re.I)


@dataclass(frozen=True)
class LintProblem:
    file: str
    passage_id: str
    rule: str
    message: str

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}" + (f" [{self.passage_id}]" if self.passage_id else "")
        return f"{where} {self.rule}: {self.message}"


def dose_problems(text: str) -> list[str]:
    """Phrases such as "amoxicillin 500 three times a day" whose number has no unit."""
    problems = []
    for match in _DOSE.finditer(text):
        if not _UNIT.match(match.group("after")):
            problems.append(f"'{match.group('context')} {match.group('number')}' has no unit "
                            "(mg, g, micrograms, mL, units or %)")
    return problems


def _guideline_files(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is neither a guideline file nor a folder of them")
    return sorted(path.glob("*.md"))


def _metadata_problems(path: Path, doc: GuidelineDocument) -> list[LintProblem]:
    file = str(path)
    problems = [LintProblem(file, "", "metadata", f"front matter lacks {key!r} (or it is empty)")
                for key in REQUIRED_METADATA if not str(doc.metadata.get(key, "")).strip()]
    if not _SLUG.match(doc.doc_id) or doc.doc_id != path.stem:
        problems.append(LintProblem(file, "", "doc-id", f"id {doc.doc_id!r} should be a lowercase "
                                    f"slug equal to the file name {path.stem!r}"))
    url = str(doc.metadata.get("url", "")).strip()
    if url and not _URL.match(url):
        problems.append(LintProblem(file, "", "url", f"url {url!r} is not of the form "
                                    "https://host/path"))
    return problems


def _section_problems(path: Path, text: str, doc: GuidelineDocument) -> list[LintProblem]:
    file = str(path)
    headings = _SECTION_HEADING.findall(text)
    with_passages = {p.section_path[1] for p in doc.passages if len(p.section_path) > 1}
    problems = []
    for section in REQUIRED_SECTIONS:
        if section not in headings:
            problems.append(LintProblem(file, "", "sections", f"no '## {section}' section"))
        elif section not in with_passages:
            problems.append(LintProblem(file, "", "sections", f"'## {section}' has no passage"))
    present = [h for h in headings if h in REQUIRED_SECTIONS]
    if present == sorted(set(present), key=REQUIRED_SECTIONS.index) and len(present) == len(
            set(present)):
        return problems
    problems.append(LintProblem(file, "", "sections", "the required sections should appear "
                                f"once each, in the order: {'; '.join(REQUIRED_SECTIONS)}"))
    return problems


def _passage_problems(path: Path, doc: GuidelineDocument) -> list[LintProblem]:
    file = str(path)
    problems = []
    for passage in doc.passages:
        pid = passage.passage_id
        if pid == derived_passage_id(doc.doc_id, passage.section_path, passage.text):
            problems.append(LintProblem(file, pid, "passage-id", "passage has no explicit id; "
                                        "add <!-- id: ...; section: ...; strength: ... --> "
                                        f"before the paragraph starting {passage.text[:40]!r}"))
        elif not _SLUG.match(pid):
            problems.append(LintProblem(file, pid, "passage-id",
                                        "id should be lowercase letters, digits and hyphens"))
        if passage.strength and passage.strength.lower() not in STRENGTHS:
            problems.append(LintProblem(file, pid, "annotation", f"strength {passage.strength!r}"
                                        f" is not one of: {', '.join(STRENGTHS)}"))
        if not passage.text.lstrip().startswith("|"):
            words = count_tokens(passage.text)
            if not MIN_PASSAGE_WORDS <= words <= MAX_PASSAGE_WORDS:
                problems.append(LintProblem(file, pid, "length", f"{words} words; keep passages "
                                            f"{MIN_PASSAGE_WORDS}–{MAX_PASSAGE_WORDS} words"))
        problems.extend(LintProblem(file, pid, "dose-units", message)
                        for message in dose_problems(passage.text))
    return problems


def gold_id_problems(gold_files: Sequence[Path], known_ids: set[str]) -> list[LintProblem]:
    """Every ``gold_passages`` id of every question in ``gold_files`` must be in ``known_ids``."""
    problems = []
    for path in gold_files:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            problems.append(LintProblem(str(path), "", "gold-file", f"cannot be read ({e})"))
            continue
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                question = json.loads(line)
                gold = question.get("gold_passages", [])
                if not isinstance(gold, list):
                    raise ValueError("gold_passages must be a list")
            except (ValueError, AttributeError) as e:
                problems.append(LintProblem(str(path), "", "gold-file", f"line {number}: {e}"))
                continue
            for gold_id in gold:
                if gold_id not in known_ids:
                    problems.append(LintProblem(
                        str(path), str(gold_id), "gold-id",
                        f"line {number} ({question.get('id', '?')}) cites unknown passage "
                        f"{gold_id!r}"))
    return problems


def lint_corpus(path: Path = CORPUS_DIR, gold_files: Sequence[Path] = (),
                near_duplicate_threshold: float = DEFAULT_NEAR_THRESHOLD) -> list[LintProblem]:
    """Every problem in the guideline file or folder ``path``, and in the gold ids of
    ``gold_files`` checked against it; an empty list means clean."""
    problems: list[LintProblem] = []
    documents: list[tuple[Path, GuidelineDocument]] = []
    for file in _guideline_files(path):
        try:
            document = load_guideline_file(file)
        except GuidelineFormatError as e:
            problems.append(LintProblem(str(file), "", "parse", str(e).removeprefix(f"{file}: ")))
            continue
        text = file.read_text(encoding="utf-8")
        problems += _metadata_problems(file, document)
        problems += _section_problems(file, text, document)
        problems += _passage_problems(file, document)
        documents.append((file, document))

    owners: dict[str, list[str]] = defaultdict(list)
    doc_owners: dict[str, list[str]] = defaultdict(list)
    finder = DuplicateFinder(near_duplicate_threshold)
    for file, document in documents:
        doc_owners[document.doc_id].append(file.name)
        for passage in document.passages:
            owners[passage.passage_id].append(file.name)
            match = finder.check(passage.passage_id, passage.text)
            if match and match.duplicate_of != passage.passage_id:
                problems.append(LintProblem(str(file), passage.passage_id, "duplicate",
                                            f"{match.kind} duplicate of {match.duplicate_of!r} "
                                            f"(similarity {match.similarity:.2f})"))
    for pid, files in owners.items():
        if len(files) > 1:
            problems.append(LintProblem(files[0], pid, "unique-id", f"passage id used "
                                        f"{len(files)} times (in {', '.join(sorted(set(files)))})"))
    for doc_id, files in doc_owners.items():
        if len(files) > 1:
            problems.append(LintProblem(files[0], "", "unique-id", f"document id {doc_id!r} used "
                                        f"by {', '.join(files)}"))
    problems += gold_id_problems(gold_files, set(owners))
    return problems
