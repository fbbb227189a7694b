"""The words a person may type for each choice (kind, priority, status, referral, referral
source, concern, attendance, participation).

A choice is stored and sent as its stable English code (`interview`, `high`); a person
may type the code, the French word a worker uses (`entretien`, `visite à domicile`,
`haute`, `élevé`) or a common variant of either, whatever the case and accents. Help
texts and errors list the choices in the language of the screen; `--json` keeps codes.
"""

from __future__ import annotations

import functools
import unicodedata
from enum import StrEnum

from fieldkit.enums import (
    Attendance,
    CaseStatus,
    ConcernLevel,
    FollowUpKind,
    MeasureState,
    MeetingKind,
    Participation,
    Priority,
    ReferralDomain,
    ReferralSource,
)
from fieldkit.errors import InvalidValue

# For each code: the French word shown on screen first, then other words accepted. The
# English code itself, and the English words listed after "|", are always accepted too.
WORDS: dict[type[StrEnum], dict[str, tuple[str, ...]]] = {
    FollowUpKind: {
        "interview": ("entretien",),
        "home-visit": ("visite à domicile", "visite", "vad", "|", "visit"),
        "phone-call": ("appel", "appel téléphonique", "téléphone", "|", "call", "phone"),
        "family-contact": ("contact famille", "contact familial", "famille", "|", "family"),
        "partner-referral": ("orientation", "|", "referral"),
        "partner-meeting": ("réunion partenaire", "réunion", "|", "partner"),
        "case-review": ("revue", "point de situation", "revue de situation", "|", "review"),
        "concern": ("inquiétude", "préoccupation"),
    },
    Priority: {
        "low": ("basse", "faible"),
        "normal": ("normale", "moyenne"),
        "high": ("haute", "élevée", "urgente"),
    },
    CaseStatus: {
        "active": ("actif", "active", "en cours"),
        "suspended": ("suspendu", "suspendue"),
        "closed": ("clos", "close", "clôturé", "fermé"),
    },
    ReferralDomain: {
        "health": ("santé", "soins"),
        "psychological-care": ("soin psychologique", "psychologique", "psy"),
        "education": ("éducation", "scolarité", "école"),
        "employment-training": ("emploi/formation", "emploi", "formation", "insertion"),
        "housing": ("logement", "hébergement"),
        "benefits": ("droits", "prestations", "accès aux droits"),
        "other": ("autre",),
    },
    # Who referred the person: the numéro vert (CNAPR), a school, the family, the security
    # services' orientation through the GED, social services, health, or another source.
    ReferralSource: {
        "hotline": ("numéro vert / CNAPR", "numéro vert", "cnapr", "|", "national hotline"),
        "education": (
            "Éducation nationale",
            "éducation",
            "école",
            "collège",
            "lycée",
            "|",
            "school",
        ),
        "family": ("famille", "proches"),
        "security-services": (
            "services de sécurité (orientation du GED)",
            "services de sécurité",
            "sécurité",
            "ged",
            "orientation du ged",
            "|",
            "security",
        ),
        "social-services": (
            "services sociaux",
            "social",
            # the social and insertion services a referral comes from, as they are named
            "mission locale",
            "insertion",
            "ase",
            "aide sociale à l'enfance",
            "ccas",
            "|",
            "social services",
        ),
        "health": ("santé", "soins", "cmp", "hôpital", "médecin"),
        "other": ("autre",),
    },
    ConcernLevel: {
        "low": ("faible", "bas", "basse"),
        "medium": ("moyen", "moyenne", "modéré", "modérée"),
        "high": ("élevé", "élevée", "haut", "haute", "fort", "forte"),
    },
    # Rendez-vous honoré / non honoré / excusé, as WebRSA and the cell say it.
    Attendance: {
        "kept": ("honoré", "présent", "présente", "|", "attended"),
        "missed": ("manqué", "non honoré", "absent", "absente", "|", "no-show"),
        "excused": ("excusé", "excusée", "absence excusée"),
    },
    # The person's libre adhésion: the words agree with « adhésion » (feminine); the
    # masculine forms are accepted too.
    Participation: {
        "proposed": ("proposée", "proposé"),
        "accepted": ("acceptée", "accepté"),
        "declined": ("refusée", "refusé", "|", "refused"),
        "withdrawn": ("retirée", "retiré", "|", "withdrew"),
    },
    # A mesure d'accompagnement (feminine): prévue, en cours, réalisée, abandonnée.
    MeasureState: {
        "planned": ("prévue", "prévu", "planifiée", "à faire", "|", "todo"),
        "under_way": ("en cours", "commencée", "|", "in-progress", "started", "ongoing"),
        "done": ("réalisée", "réalisé", "faite", "terminée", "|", "completed", "finished"),
        "dropped": ("abandonnée", "abandonné", "|", "abandoned", "cancelled"),
    },
    # Réunion plénière / restreinte of the cell (issue 17).
    MeetingKind: {
        "plenary": ("plénière", "pleniere", "plénier", "|", "full"),
        "restricted": ("restreinte", "restreint"),
    },
}


def fold(text: str) -> str:
    """`text` as it is compared: no accents, lower case, words joined by one hyphen."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    for separator in (" ", "_", "'", "’", "/"):
        plain = plain.replace(separator, "-")
    return "-".join(part for part in plain.split("-") if part)


@functools.cache
def _accepted(enum: type[StrEnum]) -> dict[str, StrEnum]:
    """Every folded word or code of `enum` and its member (WORDS does not change: read
    once per enum, not at each answer)."""
    accepted: dict[str, StrEnum] = {}
    for member in enum:
        words = WORDS.get(enum, {}).get(member.value, ())
        for word in (member.value, *(w for w in words if w != "|")):
            accepted.setdefault(fold(word), member)
    return accepted


def word(member: StrEnum, language: str) -> str:
    """What a person reads for `member`: the French word in French, the code in English."""
    if language == "fr":
        words = WORDS.get(type(member), {}).get(member.value)
        if words:
            return words[0]
    return member.value


def shown_default(member: StrEnum) -> str:
    """An option's default as its help shows it: the word of the screen's language."""
    from fieldkit.i18n import current_language

    return word(member, current_language())


def listing(enum: type[StrEnum], language: str | None = None) -> str:
    """The choices of `enum`, in the language of the screen, for a help text or an error."""
    from fieldkit.i18n import current_language

    language = language or current_language()
    return ", ".join(word(member, language) for member in enum)


def parse(enum: type[StrEnum], text: str, field: str) -> StrEnum:
    """The member a person meant by `text` (code or word, either language), else one
    error that lists the choices in the language of the screen."""
    member = _accepted(enum).get(fold(text))
    if member is None:
        raise InvalidValue("value.bad_choice", field=field, value=text, choices=listing(enum))
    return member
