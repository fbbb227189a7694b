"""Messages of the sync area: key -> (English, French)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # Bundle rejections (fieldkit/sync/bundle.py): one key per reason, no personal data.
    "bundle.too_large": (
        "bundle rejected: {size} bytes, more than the limit of {limit}",
        "paquet refusé : {size} octets, au-delà de la limite de {limit}",
    ),
    "bundle.malformed": (
        "bundle rejected: malformed or truncated",
        "paquet refusé : format invalide ou paquet tronqué",
    ),
    "bundle.bad_magic": (
        "bundle rejected: not a fieldkit bundle",
        "paquet refusé : ce n'est pas un paquet fieldkit",
    ),
    "bundle.unsupported_version": (
        "bundle rejected: format version {version} is not supported",
        "paquet refusé : la version de format {version} n'est pas prise en charge",
    ),
    "bundle.unsupported_suite": (
        "bundle rejected: cipher suite not supported",
        "paquet refusé : suite de chiffrement non prise en charge",
    ),
    "bundle.wrong_recipient": (
        "bundle rejected: addressed to another recipient",
        "paquet refusé : il est adressé à un autre destinataire",
    ),
    "bundle.recipient_key_mismatch": (
        "bundle rejected: encrypted for another key than this replica's",
        "paquet refusé : chiffré pour une autre clé que celle de ce poste",
    ),
    "bundle.unknown_sender": (
        "bundle rejected: unknown sender {sender}",
        "paquet refusé : expéditeur inconnu {sender}",
    ),
    "bundle.sender_key_mismatch": (
        "bundle rejected: the key of sender {sender} is not the key on record",
        "paquet refusé : la clé de l'expéditeur {sender} n'est pas la clé enregistrée",
    ),
    "bundle.bad_signature": (
        "bundle rejected: bad signature",
        "paquet refusé : signature invalide",
    ),
    "bundle.undecryptable": (
        "bundle rejected: it cannot be decrypted",
        "paquet refusé : déchiffrement impossible",
    ),
    "bundle.bad_compression": (
        "bundle rejected: damaged content",
        "paquet refusé : contenu endommagé",
    ),
    "bundle.payload_too_large": (
        "bundle rejected: content larger than the limit of {limit} bytes",
        "paquet refusé : contenu plus volumineux que la limite de {limit} octets",
    ),
}
