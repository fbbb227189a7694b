"""The passphrase policy: zxcvbn's estimate with French words and the person's own names,
a refusal that says why, and random suggestions that the policy accepts."""

from __future__ import annotations

import math

import pytest

from fieldkit import i18n
from fieldkit.errors import InvalidValue
from fieldkit.store import strength, words
from fieldkit.store.keys import check_passphrase
from fieldkit.store.suggest import MAX_WORDS, MIN_WORDS, suggest

# The issue's list: each is refused, each with a reason.
WEAK = {
    "P@ssw0rd2024": "a very common password followed by a year",
    "Azerty123456": "a very common password",
    "qwerty123456": "a very common password",
    "motdepasse2024": "a very common password followed by a year",
    "fieldkit2026": "a name close to you followed by a year",
    "Marseille2024": "a very common password followed by a year",
    "123456789abc": "a very common password",
}


@pytest.mark.parametrize(("passphrase", "why"), WEAK.items())
def test_the_issues_weak_passphrases_are_refused_with_their_reason(passphrase, why):
    with pytest.raises(InvalidValue) as refused:
        check_passphrase(passphrase)
    assert refused.value.key == "passphrase.weak"
    message = refused.value.message
    assert f"it is {why};" in message
    assert "fieldkit passphrase suggest" in message  # how to do better
    assert passphrase not in message  # the secret is never in an error


def test_the_refusal_reads_in_french(monkeypatch):
    monkeypatch.setenv("FIELDKIT_LANG", "fr")
    i18n.reset()
    with pytest.raises(InvalidValue) as refused:
        check_passphrase("Couchant1987")
    message = refused.value.message
    assert "c'est un mot du dictionnaire suivi d'une année" in message
    assert "plusieurs mots tirés au hasard" in message
    with pytest.raises(InvalidValue) as refused:
        check_passphrase("P@ssw0rd2024")
    assert "Remplacer des lettres par des symboles" in refused.value.message


def test_french_words_count_as_words_with_or_without_their_accents():
    # Long French words that zxcvbn's English lists do not hold.
    for passphrase in ("Réglementation1987", "reglementation1987", "Ensoleillement!!"):
        judged = strength.estimate(passphrase)
        assert not judged.strong, passphrase
        assert strength.WORD in judged.patterns


@pytest.mark.parametrize("passphrase", ["azertyuiopqsdf", "qsdfghjklm1234", "wxcvbn&é\"'(-"])
def test_azerty_rows_are_keyboard_patterns(passphrase):
    judged = strength.estimate(passphrase)
    assert not judged.strong
    assert {strength.KEYBOARD, strength.COMMON} & set(judged.patterns)


def test_the_azerty_graph_knows_its_neighbours():
    graph = strength.keyboard_graph(strength.AZERTY_LAYOUT)
    assert "zZ" in graph["a"] and "qQ" in graph["a"]
    assert "mM" in graph["l"] and "ù%" in graph["m"]


def test_a_passphrase_of_the_persons_own_names_is_refused():
    # Strong for anyone else, weak for the person whose district and name these are.
    district, name = "Pontcharraud-Lavoûte", "Ysolde Quenardel"
    for passphrase, own in (
        ("PontcharraudLavoute2026", district),
        ("pontcharraud-lavoûte 2026", district),
        ("YsoldeQuenardel1987", name),
    ):
        check_passphrase(passphrase)
        with pytest.raises(InvalidValue) as refused:
            check_passphrase(passphrase, [own])
        assert "a name close to you" in refused.value.message


def test_the_minimum_length_still_holds():
    with pytest.raises(InvalidValue) as refused:
        check_passphrase("Kq7#vZ!e")
    assert refused.value.key == "passphrase.too_short"


def test_a_long_passphrase_is_judged_on_what_zxcvbn_reads():
    check_passphrase("une phrase de passe très longue " * 4)  # over zxcvbn's 72 characters


@pytest.mark.parametrize("count", [MIN_WORDS, 6, MAX_WORDS])
def test_every_suggestion_is_accepted_by_the_policy(count):
    for _ in range(25):
        drawn = suggest(count)
        check_passphrase(drawn.passphrase)
        assert len(drawn.passphrase.split(" ")) == count


def test_a_suggestion_is_drawn_from_the_packaged_french_list():
    listed = set(words.suggestion_words())
    assert len(listed) > 10_000  # xkcdpass's common French words, filtered
    assert listed <= {word.lower() for word in words.common_words()}
    drawn = suggest()
    assert set(drawn.passphrase.split(" ")) <= listed
    assert drawn.bits == pytest.approx(6 * math.log2(len(listed)))
    assert drawn.bits > 80  # the CNIL's figure for a password alone
    assert len({suggest().passphrase for _ in range(20)}) == 20


@pytest.mark.parametrize("count", [MIN_WORDS - 1, MAX_WORDS + 1])
def test_a_word_count_out_of_bounds_is_refused(count):
    with pytest.raises(InvalidValue) as refused:
        suggest(count)
    assert refused.value.key == "value.bad_word_count"
