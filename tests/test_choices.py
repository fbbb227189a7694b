"""The words a person may type for a choice (fieldkit/choices.py)."""

from __future__ import annotations

import pytest

from fieldkit import choices
from fieldkit.enums import (
    Attendance,
    CaseStatus,
    ConcernLevel,
    FollowUpKind,
    Participation,
    Priority,
    ReferralDomain,
    ReferralSource,
)
from fieldkit.errors import InvalidValue

ENUMS = [
    FollowUpKind,
    Priority,
    CaseStatus,
    ReferralDomain,
    ConcernLevel,
    Attendance,
    Participation,
    ReferralSource,
]


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_code_and_every_word_reads_back_as_its_choice(enum):
    for member in enum:
        assert choices.parse(enum, member.value, "--x") is member
        for word in choices.WORDS[enum][member.value]:
            if word != "|":
                assert choices.parse(enum, word, "--x") is member, word
                assert choices.parse(enum, word.upper(), "--x") is member, word


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_no_word_means_two_choices(enum):
    seen: dict[str, str] = {}
    for member in enum:
        for word in (member.value, *choices.WORDS[enum][member.value]):
            if word == "|":
                continue
            folded = choices.fold(word)
            assert seen.setdefault(folded, member.value) == member.value, word


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Visite à domicile", FollowUpKind.HOME_VISIT),
        ("visite-a-domicile", FollowUpKind.HOME_VISIT),
        ("VISITE_A_DOMICILE", FollowUpKind.HOME_VISIT),
        ("  appel ", FollowUpKind.PHONE_CALL),
        ("contact-famille", FollowUpKind.FAMILY_CONTACT),
        ("réunion-partenaire", FollowUpKind.PARTNER_MEETING),
        ("point de situation", FollowUpKind.CASE_REVIEW),
        ("inquietude", FollowUpKind.CONCERN),
        ("Home Visit", FollowUpKind.HOME_VISIT),
    ],
)
def test_case_accents_and_separators_do_not_matter(typed, meant):
    assert choices.parse(FollowUpKind, typed, "--kind") is meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("honoré", Attendance.KEPT),
        ("HONORE", Attendance.KEPT),
        ("manqué", Attendance.MISSED),
        ("non honoré", Attendance.MISSED),
        ("Non-honore", Attendance.MISSED),
        ("absent", Attendance.MISSED),
        ("excusé", Attendance.EXCUSED),
        ("excused", Attendance.EXCUSED),
        ("proposée", Participation.PROPOSED),
        ("accepte", Participation.ACCEPTED),
        ("Acceptée", Participation.ACCEPTED),
        ("refusé", Participation.DECLINED),
        ("retirée", Participation.WITHDRAWN),
        ("withdrawn", Participation.WITHDRAWN),
    ],
)
def test_attendance_and_participation_take_french_words(typed, meant):
    assert choices.parse(type(meant), typed, "--x") is meant


def test_a_word_of_another_choice_is_refused_with_the_choices_of_the_screen(monkeypatch):
    from fieldkit import i18n

    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    i18n.reset()
    with pytest.raises(InvalidValue) as raised:
        choices.parse(FollowUpKind, "entretient", "--kind")
    assert "entretien, visite à domicile, appel" in raised.value.message
    assert "interview" not in raised.value.message
    monkeypatch.setenv("FIELDKIT_LANG", "en")
    i18n.reset()
    with pytest.raises(InvalidValue) as raised:
        choices.parse(Priority, "haute-ish", "--priority")
    assert "low, normal, high" in raised.value.message


def test_the_screen_word_is_french_in_french_and_the_code_in_english():
    assert choices.word(ConcernLevel.HIGH, "fr") == "élevé"
    assert choices.word(ConcernLevel.HIGH, "en") == "high"
    assert choices.listing(CaseStatus, "fr") == "actif, suspendu, clos"
    assert choices.listing(CaseStatus, "en") == "active, suspended, closed"
    assert choices.listing(Attendance, "fr") == "honoré, manqué, excusé"
    assert choices.listing(Participation, "fr") == "proposée, acceptée, refusée, retirée"
    assert choices.listing(Participation, "en") == "proposed, accepted, declined, withdrawn"


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("Mission locale", ReferralSource.SOCIAL_SERVICES),
        ("mission-locale", ReferralSource.SOCIAL_SERVICES),
        ("ASE", ReferralSource.SOCIAL_SERVICES),
        ("CMP", ReferralSource.HEALTH),
        ("lycée", ReferralSource.EDUCATION),
        ("college", ReferralSource.EDUCATION),
    ],
)
def test_a_referral_source_is_found_by_the_services_name(typed, meant):
    """The guides' own example (« Signalement de la mission locale ») reads as a source
    of the list; the case keeps the words in --referral-detail."""
    assert choices.parse(ReferralSource, typed, "--referral-source") is meant
