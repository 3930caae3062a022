"""Simulated identity proofing [sandbox].

Real HARP has Experian ask five "out-of-wallet" questions built from credit records. The sandbox
builds five multiple-choice questions from what the user typed in the profile, each with
"None of the above"; 4 right of 5 passes; 2 attempts, then the manual-proofing path. Questions are
derived from a stored seed and the attempt number, so the same attempt shows the same questions
after a restart, and nothing about the user's choices is stored.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from wizard.catalogue import proofing_decoys
from wizard.models import HarpProfile

QUESTIONS_PER_ATTEMPT = 5
PASS_MARK = 4
MAX_ATTEMPTS = 2
NONE_OF_THE_ABOVE = "None of the above"


@dataclass(frozen=True)
class ProofingQuestion:
    prompt: str
    options: tuple[str, ...]  # the last one is always "None of the above"
    correct: int


def _question(rng: random.Random, prompt: str, truth: str | None, decoys: list[str]) -> ProofingQuestion:
    pool = [d for d in dict.fromkeys(decoys) if d.casefold() != (truth or "").casefold()]
    picked = rng.sample(pool, 3 if truth else 4)
    options = picked + ([truth] if truth else [])
    rng.shuffle(options)
    options.append(NONE_OF_THE_ABOVE)
    correct = options.index(truth) if truth else len(options) - 1
    return ProofingQuestion(prompt, tuple(options), correct)


def _street_name(street: str) -> str:
    words = street.split()
    return " ".join(w for w in words if not any(c.isdigit() for c in w)) or street


def generate_questions(profile: HarpProfile, seed: str, attempt: int) -> list[ProofingQuestion]:
    rng = random.Random(f"{seed}:{attempt}")
    decoys = proofing_decoys()
    city = f"{profile.city}, {profile.state}"
    zip5 = profile.zip_code[:5]
    zip_decoys = [f"{zip5[0]}{rng.randrange(10000):04d}" for _ in range(8)]
    born = profile.date_of_birth.year
    year_decoys = [str(born + d) for d in (-4, -3, -2, -1, 1, 2, 3, 4)]
    last4 = profile.phone[-4:]
    phone_decoys = [f"{rng.randrange(10000):04d}" for _ in range(8)]
    candidates = [
        _question(rng, "Which of these cities have you lived in?", city, decoys["cities"]),
        _question(
            rng, "Which of these streets have you lived on?", _street_name(profile.street),
            decoys["streets"],
        ),
        _question(rng, "Which of these ZIP codes have you been associated with?", zip5, zip_decoys),
        _question(rng, "In which of these years were you born?", str(born), year_decoys),
        _question(
            rng, "A phone number of yours ends in which four digits?", last4, phone_decoys
        ),
        # Fictional lenders and vehicles: the honest answer is always "None of the above".
        _question(rng, "With which of these lenders have you had a loan?", None, decoys["lenders"]),
        _question(rng, "Which of these vehicles have you financed through one of these lenders?",
                  None, decoys["vehicles"]),
    ]
    rng.shuffle(candidates)
    # Always at least one "None of the above" question, as real quizzes have them.
    chosen = candidates[:QUESTIONS_PER_ATTEMPT]
    if all(q.correct != len(q.options) - 1 for q in chosen):
        chosen[-1] = next(q for q in candidates if q.correct == len(q.options) - 1)
    return chosen


def grade(questions: list[ProofingQuestion], answers: list[int | None]) -> int:
    return sum(1 for q, a in zip(questions, answers) if a == q.correct)


def passed(questions: list[ProofingQuestion], answers: list[int | None]) -> bool:
    return grade(questions, answers) >= PASS_MARK
