"""Messages of the store: opening, passphrases, sessions, validation of what a worker writes."""

MESSAGES: dict[str, tuple[str, str]] = {
    "store.missing": (
        "no fieldkit store in {path} (run `fieldkit init` first, or pass --home)",
        "aucun coffre fieldkit dans {path} (lancez d'abord `fieldkit init`, ou indiquez --home)",
    ),
    "store.exists": (
        "a store already exists in {path}; nothing was changed",
        "un coffre existe déjà dans {path} ; rien n'a été modifié",
    ),
    "store.home_not_folder": (
        "{path} is a file, not a folder: --home (or FIELDKIT_HOME) names the folder that holds the store",
        "{path} est un fichier, pas un dossier : --home (ou FIELDKIT_HOME) désigne le dossier qui contient le coffre",
    ),
    "store.keyfile_damaged": (
        "the store's key file is damaged or is not a fieldkit key file; nothing was changed",
        "le fichier de clé du coffre est endommagé ou n'est pas un fichier fieldkit ; rien n'a été modifié",
    ),
    "store.damaged": (
        "the store file is damaged or was altered; restore it from a backup (nothing was changed)",
        "le fichier du coffre est endommagé ou a été modifié ; restaurez-le depuis une sauvegarde (rien n'a été modifié)",
    ),
    "store.disk_full": (
        "the disk is full or refused to write: this command saved nothing and nothing saved before was lost; free some space and run it again",
        "le disque est plein ou a refusé l'écriture : cette commande n'a rien enregistré et rien de ce qui l'était n'a été perdu ; libérez de la place et relancez-la",
    ),
    "audit.deferred.one": (
        "warning: the disk is full; {count} audit event kept aside beside the store, recorded at the next command once there is room",
        "attention : le disque est plein ; {count} événement du journal d'audit mis de côté à côté du coffre, enregistré à la prochaine commande quand il y aura de la place",
    ),
    "audit.deferred.other": (
        "warning: the disk is full; {count} audit events kept aside beside the store, recorded at the next command once there is room",
        "attention : le disque est plein ; {count} événements du journal d'audit mis de côté à côté du coffre, enregistrés à la prochaine commande quand il y aura de la place",
    ),
    "audit.held_in_memory.one": (
        "warning: the disk is full; {count} audit event held in memory until this command ends; free some space",
        "attention : le disque est plein ; {count} événement du journal d'audit gardé en mémoire jusqu'à la fin de cette commande ; libérez de la place",
    ),
    "audit.held_in_memory.other": (
        "warning: the disk is full; {count} audit events held in memory until this command ends; free some space",
        "attention : le disque est plein ; {count} événements du journal d'audit gardés en mémoire jusqu'à la fin de cette commande ; libérez de la place",
    ),
    "audit.not_recorded.one": (
        "warning: the disk is full; {count} audit event of this command could not be recorded anywhere; free some space",
        "attention : le disque est plein ; {count} événement du journal d'audit de cette commande n'a pu être enregistré nulle part ; libérez de la place",
    ),
    "audit.not_recorded.other": (
        "warning: the disk is full; {count} audit events of this command could not be recorded anywhere; free some space",
        "attention : le disque est plein ; {count} événements du journal d'audit de cette commande n'ont pu être enregistrés nulle part ; libérez de la place",
    ),
    "audit.failed_unlock_not_noted": (
        "warning: the disk is full; this failed unlock could not be noted for the audit trail",
        "attention : le disque est plein ; cet échec de déverrouillage n'a pu être noté pour le journal d'audit",
    ),
    "store.too_new": (
        "this store was written by a newer fieldkit (schema {version}); update fieldkit",
        "ce coffre vient d'une version plus récente de fieldkit (schéma {version}) ; mettez fieldkit à jour",
    ),
    "store.locked": (
        'the store is locked: run `eval "$(fieldkit unlock)"`, or set FIELDKIT_PASSPHRASE or --passphrase-file',
        'le coffre est verrouillé : lancez `eval "$(fieldkit unlock)"`, ou définissez FIELDKIT_PASSPHRASE ou --passphrase-file',
    ),
    "passphrase.wrong": (
        "wrong passphrase; nothing was changed",
        "phrase de passe incorrecte ; rien n'a été modifié",
    ),
    "passphrase.too_short": (
        "passphrase refused: it must have at least {min} characters (a few words make a good one)",
        "phrase de passe refusée : au moins {min} caractères (quelques mots font une bonne phrase)",
    ),
    "passphrase.common": (
        "passphrase refused: it is among the most common ones",
        "phrase de passe refusée : elle fait partie des plus courantes",
    ),
    "passphrase.too_simple": (
        "passphrase refused: too simple (repeated or consecutive characters)",
        "phrase de passe refusée : trop simple (caractères répétés ou qui se suivent)",
    ),
    "passphrase.mismatch": (
        "the two passphrases differ; nothing was changed",
        "les deux phrases de passe diffèrent ; rien n'a été modifié",
    ),
    "passphrase.none_given": (
        "no passphrase given: type it at a terminal, or set FIELDKIT_PASSPHRASE or --passphrase-file",
        "aucune phrase de passe : saisissez-la dans un terminal, ou définissez FIELDKIT_PASSPHRASE ou --passphrase-file",
    ),
    "passphrase.new_none_given": (
        "no new passphrase given: type it at a terminal, or use --new-passphrase-file or FIELDKIT_NEW_PASSPHRASE",
        "aucune nouvelle phrase de passe : saisissez-la dans un terminal, ou utilisez --new-passphrase-file ou FIELDKIT_NEW_PASSPHRASE",
    ),
    "passphrase.file_unreadable": (
        "cannot read the passphrase file",
        "impossible de lire le fichier de phrase de passe",
    ),
    "passphrase.file_too_open": (
        "passphrase file refused: its group or others may read or change it (mode {mode}); make it owner-only with `chmod 600` and try again",
        "fichier de phrase de passe refusé : son groupe ou d'autres peuvent le lire ou le modifier (mode {mode}) ; réservez-le à son propriétaire avec `chmod 600` et recommencez",
    ),
    "passphrase.changed.one": (
        "passphrase changed and the store re-encrypted under a new key: the old passphrase, an old copy of the key file and any session no longer open it ({count} session ended)",
        "phrase de passe changée et coffre rechiffré sous une nouvelle clé : l'ancienne phrase, une ancienne copie du fichier de clé et les sessions ne l'ouvrent plus ({count} session terminée)",
    ),
    "passphrase.changed.other": (
        "passphrase changed and the store re-encrypted under a new key: the old passphrase, an old copy of the key file and any session no longer open it ({count} sessions ended)",
        "phrase de passe changée et coffre rechiffré sous une nouvelle clé : l'ancienne phrase, une ancienne copie du fichier de clé et les sessions ne l'ouvrent plus ({count} sessions terminées)",
    ),
    "passphrase.change_completed": (
        "a passphrase change that was interrupted has been completed: from now on only the new passphrase opens the store",
        "un changement de phrase de passe interrompu a été mené à son terme : désormais seule la nouvelle phrase de passe ouvre le coffre",
    ),
    "passphrase.change_pending": (
        "warning: a passphrase change that was interrupted cannot be completed on this full disk; both passphrases open the store until there is room",
        "attention : un changement de phrase de passe interrompu ne peut être mené à son terme sur ce disque plein ; les deux phrases de passe ouvrent le coffre jusqu'à ce qu'il y ait de la place",
    ),
    "case.not_found": ("no case {ref} in this store", "aucun dossier {ref} dans ce coffre"),
    "case.ambiguous": (
        "{ref} matches several cases; give more characters or the reference",
        "{ref} correspond à plusieurs dossiers ; donnez plus de caractères ou la référence",
    ),
    "case.closed": (
        "case {ref} is closed; it can no longer be changed",
        "le dossier {ref} est clos ; il ne peut plus être modifié",
    ),
    "case.field_not_editable": (
        "{field} is set by the district, not on a worker's device",
        "{field} est défini par le district, pas sur le poste d'un intervenant",
    ),
    "case.nothing_to_update": (
        "nothing to update: give --situation, --next-review, --goal or --related",
        "rien à mettre à jour : indiquez --situation, --next-review, --goal ou --related",
    ),
    "followup.not_found": ("no follow-up {ref} in this store", "aucun suivi {ref} dans ce coffre"),
    "followup.ambiguous": (
        "{ref} matches several follow-ups; give more characters",
        "{ref} correspond à plusieurs suivis ; donnez plus de caractères",
    ),
    "followup.field_not_amendable": (
        "{field} cannot be amended",
        "{field} ne peut pas être rectifié",
    ),
    "followup.not_author": (
        "follow-up {ref} was recorded by a colleague: only its author amends it; record your own follow-up instead",
        "le suivi {ref} a été enregistré par un collègue : seul son auteur peut le rectifier ; enregistrez plutôt votre propre suivi",
    ),
    "value.too_long": (
        "{field}: at most {limit} characters",
        "{field} : {limit} caractères au plus",
    ),
    "value.too_many": (
        "{field}: at most {limit} items",
        "{field} : {limit} éléments au plus",
    ),
    "followup.nothing_to_amend": (
        "nothing to amend: the values given are those already recorded",
        "rien à rectifier : les valeurs données sont celles déjà enregistrées",
    ),
    "followup.summary_empty": (
        "{field}: the summary is empty",
        "{field} : le compte rendu est vide",
    ),
    "followup.date_in_future": (
        "{field}: a follow-up cannot happen in the future",
        "{field} : un suivi ne peut pas avoir lieu dans le futur",
    ),
    "followup.concern_needs_level": (
        "{field}: a concern needs a level (low, medium, high)",
        "{field} : une inquiétude demande un niveau (low, medium, high)",
    ),
    "followup.level_only_for_concern": (
        "{field}: only a follow-up of kind concern has a level",
        "{field} : seul un suivi de type concern a un niveau",
    ),
    "followup.referral_only_for_referral": (
        "{field}: only a partner referral has a destination",
        "{field} : seule une orientation partenaire a une destination",
    ),
    "followup.next_contact_before": (
        "{field}: the next contact comes before the follow-up itself",
        "{field} : le prochain contact précède le suivi lui-même",
    ),
    "conflict.not_found": ("no conflict {ref}", "aucun conflit {ref}"),
    "conflict.already_resolved": (
        "conflict {ref} is already resolved",
        "le conflit {ref} est déjà résolu",
    ),
    "conflict.text_not_for_lists": (
        "{field} is a list: choose --keep mine or --keep theirs, then edit with `case update`",
        "{field} est une liste : choisissez --keep mien ou --keep sien, puis modifiez avec `case update`",
    ),
    "conflict.keep_or_text": (
        "settle a conflict with either --keep mine|theirs or --text TEXT (one of them)",
        "arbitrez un conflit avec --keep mien|sien ou bien --text TEXTE (l'un des deux)",
    ),
    "conflict.bad_keep": (
        "{field}: '{value}' is neither mine nor theirs (for a new text, use --text)",
        "{field} : « {value} » n'est ni mien (le mien) ni sien (l'autre) (pour un nouveau texte, utilisez --text)",
    ),
    "change.unknown": (
        "a change of an unknown kind ({entity}/{op}) was refused; nothing was applied",
        "une modification de type inconnu ({entity}/{op}) a été refusée ; rien n'a été appliqué",
    ),
    "change.unknown_field": (
        "a change to an unknown field ({field}) was refused; nothing was applied",
        "une modification d'un champ inconnu ({field}) a été refusée ; rien n'a été appliqué",
    ),
    "change.malformed": (
        "change {id} is malformed; nothing was applied",
        "la modification {id} est mal formée ; rien n'a été appliqué",
    ),
    "value.bad_date": (
        "{field}: '{value}' is not a date (use 2026-11-29, 29/11/2026, today, +7d)",
        "{field} : « {value} » n'est pas une date (utilisez 2026-11-29, 29/11/2026, aujourd'hui, +7j)",
    ),
    "value.year_out_of_range": (
        "{field}: the year {year} is not between {earliest} and {latest} (29/11/26 means 2026)",
        "{field} : l'année {year} n'est pas comprise entre {earliest} et {latest} (29/11/26 se lit 2026)",
    ),
    "value.bad_choice": (
        "{field}: '{value}' is not one of: {choices}",
        "{field} : « {value} » ne fait pas partie de : {choices}",
    ),
    "value.bad_duration": (
        "{field}: '{value}' is not a duration (e.g. 8h, 30m, 90s)",
        "{field} : « {value} » n'est pas une durée (ex. 8h, 30m, 90s)",
    ),
    "session.ttl_too_long": (
        "{field}: a session lasts at most {days} days; unlock again when it ends",
        "{field} : une session dure au plus {days} jours ; déverrouillez de nouveau à son terme",
    ),
    "value.missing": ("{field} is required", "{field} est obligatoire"),
    "audit.broken": (
        "audit trail broken at event {seq}: events were edited or deleted",
        "journal d'audit rompu à l'événement {seq} : des événements ont été modifiés ou supprimés",
    ),
    "audit.ok.one": (
        "audit trail intact ({count} event)",
        "journal d'audit intact ({count} événement)",
    ),
    "audit.ok.other": (
        "audit trail intact ({count} events)",
        "journal d'audit intact ({count} événements)",
    ),
}
