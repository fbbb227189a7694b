"""The cost of a passphrase guess (docs/security.md, "The cost of a guess"): a new key
file's Argon2id costs more than Bitwarden's default (64 MiB, 3 passes, 4 lanes), and the
bounds a key file is read with let an older, cheaper store open."""

from __future__ import annotations

from fieldkit.crypto.keyfile import KDF_ALGORITHM, KDF_LIMITS, KDF_PARAMS

BITWARDEN_DEFAULT = {"memory_kib": 65536, "iterations": 3, "lanes": 4}


def test_a_new_key_file_costs_more_than_bitwardens_default():
    assert KDF_PARAMS["algorithm"] == KDF_ALGORITHM == "argon2id"
    assert KDF_PARAMS["memory_kib"] == 2 * BITWARDEN_DEFAULT["memory_kib"]  # 128 MiB
    assert KDF_PARAMS["iterations"] >= BITWARDEN_DEFAULT["iterations"]
    assert KDF_PARAMS["lanes"] == BITWARDEN_DEFAULT["lanes"]


def test_older_and_current_parameters_are_within_the_readers_bounds():
    for params in (BITWARDEN_DEFAULT, KDF_PARAMS):
        for name, (low, high) in KDF_LIMITS.items():
            assert low <= params[name] <= high
