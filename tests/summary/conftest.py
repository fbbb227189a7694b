"""A deterministic case with a long, accented history, for the summary tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from fieldkit.model import (
    Amendment,
    Assignee,
    Attendance,
    Case,
    ConcernLevel,
    Conflict,
    FollowUp,
    FollowUpKind,
    Goal,
    GoalState,
    Participation,
    Priority,
    ReferralDomain,
)
from fieldkit.rules import CONTACT_KINDS
from fieldkit.summary.assemble import CaseSummary, assemble

PRINTED_AT = datetime(2026, 4, 15, 10, 30, tzinfo=UTC)
WORKERS = {
    "w-claire": "Claire Dubois",
    "w-mehdi": "Mehdi Benali",
    "w-francois": "François Lœuillet",
}
SENTENCES = (
    "Entretien au centre médico-social ; Émilie évoque ses difficultés au lycée "
    "et son envie de « repartir à zéro ».",
    "La mère, très inquiète, a été reçue : échanges apaisés — elle accepte l'idée "
    "d'un suivi psychologique.",
    "Visite à domicile : logement exigu, cœur du conflit familial ; le frère aîné était là.",
    "Point avec la Mission locale : une formation qualifiante est envisagée à la rentrée.",
    "Appel bref ; rendez-vous reporté à la demande d'Émilie, qui travaille le matin.",
    "Une médiation familiale est évoquée ; la famille reste réservée mais garde le contact.",
    "Elle a trouvé un emploi de serveuse à mi-temps, où elle se plaît ; les horaires "
    "sont compatibles avec le suivi.",
)
KINDS = list(FollowUpKind)
DOMAINS = list(ReferralDomain)
LEVELS = list(ConcernLevel)


@dataclass
class World:
    case: Case
    followups: list[FollowUp]
    conflicts: list[Conflict]


def marker(number: int) -> str:
    """The words every follow-up's text ends with, unique to it."""
    return f"Fin du compte rendu n° {number:04d}."


def followup_id(number: int) -> str:
    return f"FU-{number:04d}"


def _text(number: int) -> str:
    count = 9 if number % 37 == 0 else 1 + number % 4
    picked = [SENTENCES[(number + k) % len(SENTENCES)] for k in range(count)]
    return " ".join([*picked, marker(number)])


def _hlc(day: date, counter: int) -> str:
    millis = int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp() * 1000)
    return f"{millis:015d}-{counter:06d}"


def build_world(count: int = 230, start: date = date(2025, 1, 6)) -> World:
    case = Case(
        id="case-42",
        reference="CO-2026-0042",
        display_name="Émilie Lefèvre-Nguyễn",
        birth_year=2007,
        unit="UT Nord — Saint-Éloi",
        referral_date=date(2024, 12, 2),
        referral_source="Éducation nationale (lycée Jean-Moulin)",
        reason="Propos inquiétants relevés par l'équipe éducative ; repli sur soi.",
        priority=Priority.HIGH,
        goals=[
            Goal(text="Reprendre une scolarité ou une formation", state=GoalState.ACHIEVED),
            Goal(text="Apaiser les relations avec la famille", state=GoalState.OPEN),
            Goal(text="Accès à un logement autonome", state=GoalState.DROPPED),
        ],
        related=["Mère : Sophie Lefèvre", "Frère : Théo Lefèvre", "Tante : Ольга Петрова"],
        situation="Situation stable.",
        participation=Participation.ACCEPTED,
        cell_note="Adhère à l'accompagnement ; rendez-vous tenus ce trimestre.",
        next_review=date(2026, 5, 4),
        assignees=[
            Assignee(id="w-claire", name="C. Dubois", lead=True),
            Assignee(id="w-mehdi", name="M. Benali"),
            Assignee(id="w-nobody", name="Agent Sans Nom"),
        ],
    )
    followups = []
    for number in range(1, count + 1):
        day = start + timedelta(days=2 * (number - 1))
        kind = KINDS[number % len(KINDS)]
        fu = FollowUp(
            id=followup_id(number),
            case_id=case.id,
            occurred_on=day,
            recorded_by=("w-claire", "w-mehdi", "w-francois")[number % 3],
            kind=kind,
            summary=_text(number),
            partners=["Mission locale", "CMP Saint-Éloi"] if number % 5 == 0 else [],
            referral_to=DOMAINS[number % len(DOMAINS)]
            if kind == FollowUpKind.PARTNER_REFERRAL
            else None,
            next_steps="Préparer le dossier d'inscription ; rappeler la mère."
            if number % 3 == 0
            else None,
            next_contact=day + timedelta(days=20) if number % 6 == 0 else None,
            concern_level=LEVELS[number % len(LEVELS)] if kind == FollowUpKind.CONCERN else None,
            attendance=list(Attendance)[number % 3]
            if kind in CONTACT_KINDS and number % 2 == 0
            else None,
            for_cell=kind == FollowUpKind.CONCERN and number % 3 == 0,
            hlc=_hlc(day, 0),
        )
        if number % 17 == 0:
            fu.amendments.append(
                Amendment(
                    id=f"am-{number}-1",
                    hlc=_hlc(day + timedelta(days=3), 1),
                    author="w-claire",
                    fields={"summary": f"Texte corrigé : {_text(number)}"},
                )
            )
        if number % 51 == 0:
            fu.amendments.append(
                Amendment(
                    id=f"am-{number}-2",
                    hlc=_hlc(day + timedelta(days=5), 2),
                    author="w-mehdi",
                    fields={"next_steps": "Orienter vers la Maison des adolescents."},
                )
            )
        followups.append(fu)
    conflicts = [
        Conflict(
            id="cf-1",
            case_id=case.id,
            field="situation",
            winner_change="w-claire:10",
            loser_change="w-mehdi:7",
            winner_value="Situation stable, reprise d'une formation.",
            loser_value="Situation fragile : rupture avec la famille élargie.",
            winner_author="w-claire",
            loser_author="w-mehdi",
        ),
        Conflict(
            id="cf-2",
            case_id=case.id,
            field="next_review",
            winner_change="w-claire:11",
            loser_change="w-mehdi:8",
            winner_value="2026-05-04",
            loser_value="2026-04-20",
            winner_author="w-claire",
            loser_author="w-mehdi",
            resolved=True,
        ),
    ]
    return World(case, followups, conflicts)


def summarise(world: World, **options) -> CaseSummary:
    """The test case's summary as Claire Dubois prints it at PRINTED_AT."""
    options.setdefault("worker_names", WORKERS)
    return assemble(
        world.case,
        world.followups,
        world.conflicts,
        printed_by="Claire Dubois",
        printed_at=PRINTED_AT,
        **options,
    )


@pytest.fixture(scope="session")
def world() -> World:
    return build_world()
