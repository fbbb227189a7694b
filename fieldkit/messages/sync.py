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

MESSAGES.update(
    {
        "bundle.bad_payload": (
            "bundle rejected: its content is malformed; nothing was applied",
            "paquet refusé : son contenu est mal formé ; rien n'a été appliqué",
        ),
        "bundle.replayed": (
            "bundle rejected: already received or older than the last one (counter {counter}); nothing was applied",
            "paquet refusé : déjà reçu ou plus ancien que le dernier (compteur {counter}) ; rien n'a été appliqué",
        ),
        "bundle.unexpected_kind": (
            "bundle rejected: a '{kind}' bundle is not expected here; nothing was applied",
            "paquet refusé : un paquet « {kind} » n'est pas attendu ici ; rien n'a été appliqué",
        ),
        "enrol.bad_code": (
            "this enrolment code is not valid (check that it was copied whole)",
            "ce code d'inscription n'est pas valide (vérifiez qu'il a été copié en entier)",
        ),
        "enrol.bad_request": (
            "enrolment request rejected: malformed",
            "demande d'inscription refusée : mal formée",
        ),
        "enrol.bad_proof": (
            "enrolment refused: the code does not match this worker",
            "inscription refusée : le code ne correspond pas à cet intervenant",
        ),
        "enrol.code_expired": (
            "enrolment refused: the code has expired; ask the district for a new one",
            "inscription refusée : le code a expiré ; demandez-en un nouveau au district",
        ),
        "enrol.code_used": (
            "enrolment refused: this code was already used",
            "inscription refusée : ce code a déjà été utilisé",
        ),
        "enrol.revoked": (
            "enrolment refused: this worker was revoked",
            "inscription refusée : cet intervenant a été révoqué",
        ),
        "enrol.unknown_worker": (
            "enrolment refused: unknown worker",
            "inscription refusée : intervenant inconnu",
        ),
        "enrol.replica_taken": (
            "enrolment refused: this device is already enrolled",
            "inscription refusée : ce poste est déjà inscrit",
        ),
        "enrol.already": (
            "this store is already enrolled (worker {worker})",
            "ce coffre est déjà inscrit (intervenant {worker})",
        ),
        "enrol.not_pending": (
            "no enrolment in progress: run `fieldkit enrol CODE --to-file F` first",
            "aucune inscription en cours : lancez d'abord `fieldkit enrol CODE --to-file F`",
        ),
        "enrol.no_url": (
            "this code has no server address: enrol by file (--to-file)",
            "ce code ne contient pas d'adresse de serveur : inscrivez-vous par fichier (--to-file)",
        ),
        "enrol.offline": (
            "the district server cannot be reached; enrol by file: `fieldkit enrol CODE --to-file request.fkb`, hand it to the district, then `fieldkit enrol --from-file reply.fkb`",
            "le serveur du district est injoignable ; inscrivez-vous par fichier : `fieldkit enrol CODE --to-file demande.fkb`, remettez-le au district, puis `fieldkit enrol --from-file reponse.fkb`",
        ),
        "enrol.request_written": (
            "Enrolment request written to {path}; hand it to the district, then run `fieldkit enrol --from-file REPLY`.",
            "Demande d'inscription écrite dans {path} ; remettez-la au district, puis lancez `fieldkit enrol --from-file REPONSE`.",
        ),
        "enrol.district_fingerprint": (
            "District key fingerprint (compare with the district): {fingerprint}",
            "Empreinte de la clé du district (à comparer avec le district) : {fingerprint}",
        ),
        "enrol.done": (
            "Enrolled as {worker} with {district}.",
            "Inscrit comme {worker} auprès de {district}.",
        ),
        "file.not_found": ("file not found: {path}", "fichier introuvable : {path}"),
        "file.folder_missing": (
            "the folder {path} does not exist (is the USB key plugged in?); nothing was written",
            "le dossier {path} n'existe pas (la clé USB est-elle branchée ?) ; rien n'a été écrit",
        ),
        "file.is_folder": (
            "{path} is a folder: give the name of the bundle file to write in it",
            "{path} est un dossier : indiquez le nom du fichier de paquet à y écrire",
        ),
        "file.not_writable": (
            "cannot write in the folder {path} (permission denied); nothing was written",
            "impossible d'écrire dans le dossier {path} (permission refusée) ; rien n'a été écrit",
        ),
        "sync.not_enrolled": (
            "this store is not enrolled with a district yet: run `fieldkit enrol CODE`",
            "ce coffre n'est inscrit auprès d'aucun district : lancez `fieldkit enrol CODE`",
        ),
        "sync.no_url": (
            "no server address for this district: sync by file (--to-file / --from-file)",
            "aucune adresse de serveur pour ce district : synchronisez par fichier (--to-file / --from-file)",
        ),
        "sync.offline.one": (
            "offline, {count} change queued",
            "hors ligne, {count} modification en attente",
        ),
        "sync.offline.other": (
            "offline, {count} changes queued",
            "hors ligne, {count} modifications en attente",
        ),
        "sync.offline_plain": (
            "the district server cannot be reached",
            "le serveur du district est injoignable",
        ),
        "sync.retrying.one": (
            "offline, {count} change queued; next try in {seconds} s (Ctrl-C to stop)",
            "hors ligne, {count} modification en attente ; nouvel essai dans {seconds} s (Ctrl-C pour arrêter)",
        ),
        "sync.retrying.other": (
            "offline, {count} changes queued; next try in {seconds} s (Ctrl-C to stop)",
            "hors ligne, {count} modifications en attente ; nouvel essai dans {seconds} s (Ctrl-C pour arrêter)",
        ),
        "sync.refused": ("refused by the district", "refusé par le district"),
        "sync.server_refused": (
            "refused by the district: {reason}",
            "refusé par le district : {reason}",
        ),
        "sync.revoked": (
            "this device was revoked by the district; its case data was wiped",
            "ce poste a été révoqué par le district ; ses données de dossiers ont été effacées",
        ),
        "sync.worker_revoked": (
            "worker {worker} is revoked: bundle refused, wipe notice written",
            "l'intervenant {worker} est révoqué : paquet refusé, avis d'effacement écrit",
        ),
        "sync.unknown_worker": (
            "refused: this worker is not enrolled with the district",
            "refusé : cet intervenant n'est pas inscrit auprès du district",
        ),
        "sync.server_error": (
            "the district server answered {status}: {reason}",
            "le serveur du district a répondu {status} : {reason}",
        ),
        "sync.server_rejected": (
            "the district rejected the bundle: {reason}",
            "le district a refusé le paquet : {reason}",
        ),
        "sync.tls_pin_mismatch": (
            "the server's certificate is not the one pinned at enrolment; nothing was sent or applied",
            "le certificat du serveur n'est pas celui épinglé à l'inscription ; rien n'a été envoyé ni appliqué",
        ),
        "sync.progress": ("Sending", "Envoi"),
        "sync.progress_applying": ("Sent; applying", "Envoyé ; application en cours"),
        "sync.server_unavailable": (
            "the district server could not take the sync (HTTP {status})",
            "le serveur du district n'a pas pu prendre la synchronisation (HTTP {status})",
        ),
        "sync.server_unavailable_queued.one": (
            "the district server could not take the sync (HTTP {status}); {count} change queued, try again later",
            "le serveur du district n'a pas pu prendre la synchronisation (HTTP {status}) ; {count} modification en attente, réessayez plus tard",
        ),
        "sync.server_unavailable_queued.other": (
            "the district server could not take the sync (HTTP {status}); {count} changes queued, try again later",
            "le serveur du district n'a pas pu prendre la synchronisation (HTTP {status}) ; {count} modifications en attente, réessayez plus tard",
        ),
        "sync.bad_url": (
            "the district's server address is not an http(s) address",
            "l'adresse du serveur du district n'est pas une adresse http(s)",
        ),
        "sync.busy": (
            "another sync of this store is running; try again when it has finished",
            "une autre synchronisation de ce poste est en cours ; réessayez quand elle sera terminée",
        ),
        # The counts of a sync's report: each a part of sync.done.* in its plural form.
        "sync.done.ok": (
            "Synced: {sent}, {received}, {conflicts}, {purged}.",
            "Synchronisé : {sent}, {received}, {conflicts}, {purged}.",
        ),
        "sync.done.written": (
            "Bundle written: {sent}. Hand it to the district.",
            "Paquet écrit : {sent}. Remettez-le au district.",
        ),
        "sync.done.revoked": (
            "This device was revoked: {purged}.",
            "Ce poste a été révoqué : {purged}.",
        ),
        "sync.refused_header": (
            "The district refused {count} of your changes. Your copy stays on this device until a coordinator decides (fieldkit followup list --refused):",
            "Le district a refusé {count} de vos modifications. Votre copie reste sur ce poste jusqu'à la décision d'un coordinateur (fieldkit followup list --refused) :",
        ),
        "sync.refused_item": (
            "  {reference}: {what}: {reason}",
            "  {reference} : {what} : {reason}",
        ),
        "sync.decisions.one": (
            "{count} decision of the district on your refused changes received (fieldkit followup list --refused --all).",
            "{count} décision du district sur vos modifications refusées reçue (fieldkit followup list --refused --all).",
        ),
        "sync.decisions.other": (
            "{count} decisions of the district on your refused changes received (fieldkit followup list --refused --all).",
            "{count} décisions du district sur vos modifications refusées reçues (fieldkit followup list --refused --all).",
        ),
        "sync.clock_ahead.one": (
            "This computer's clock is {duration} ahead of the district's: fix its date and time, then sync again. {count} change stays queued here; nothing is lost.",
            "L'horloge de cet ordinateur est en avance de {duration} sur celle du district : corrigez sa date et son heure, puis synchronisez de nouveau. {count} modification reste en attente ici ; rien n'est perdu.",
        ),
        "sync.clock_ahead.other": (
            "This computer's clock is {duration} ahead of the district's: fix its date and time, then sync again. {count} changes stay queued here; nothing is lost.",
            "L'horloge de cet ordinateur est en avance de {duration} sur celle du district : corrigez sa date et son heure, puis synchronisez de nouveau. {count} modifications restent en attente ici ; rien n'est perdu.",
        ),
        "sync.district_clock_ahead": (
            "the district's changes are dated {duration} ahead of this computer's clock: check this computer's date and time and sync again; if they are right, tell the district that its clock is ahead (nothing was applied; your changes are safe)",
            "les modifications du district sont datées de {duration} en avance sur l'horloge de cet ordinateur : vérifiez la date et l'heure de cet ordinateur puis synchronisez de nouveau ; si elles sont justes, signalez au district que son horloge est en avance (rien n'a été appliqué ; vos modifications sont en sécurité)",
        ),
        "duration.day.one": ("{count} day", "{count} jour"),
        "duration.day.other": ("{count} days", "{count} jours"),
        "duration.hour.one": ("{count} hour", "{count} heure"),
        "duration.hour.other": ("{count} hours", "{count} heures"),
        "duration.minute.one": ("{count} minute", "{count} minute"),
        "duration.minute.other": ("{count} minutes", "{count} minutes"),
        "refused.what.followup.add": (
            "follow-up of {date} ({kind})",
            "suivi du {date} ({kind})",
        ),
        "refused.what.followup.amend": (
            "amendment of follow-up {ref}",
            "rectification du suivi {ref}",
        ),
        "refused.what.case.update": ("update of {fields}", "mise à jour de : {fields}"),
        "refused.what.conflict.resolve": ("resolution of a conflict", "résolution d'un conflit"),
        "refused.what.other": ("change {op} of {entity}", "modification {op} de {entity}"),
        "refusal.reason.not-assigned": (
            "the case is not assigned to you (any more)",
            "le dossier ne vous est pas (ou plus) confié",
        ),
        "refusal.reason.not-author": (
            "only the worker who recorded a follow-up amends it: add your own follow-up instead",
            "seul l'auteur d'un suivi peut le rectifier : ajoutez plutôt votre propre suivi",
        ),
        "refusal.reason.author": (
            "the change names another author",
            "la modification désigne un autre auteur",
        ),
        "refusal.reason.origin": (
            "the change does not come from this device",
            "la modification ne vient pas de ce poste",
        ),
        "refusal.reason.invalid": ("a value is not valid", "une valeur n'est pas valide"),
        "refusal.reason.operation": (
            "an operation a worker's device does not make",
            "une opération que le poste d'un intervenant ne fait pas",
        ),
        "refusal.reason.district-field": (
            "a field only the district sets",
            "un champ que seul le district définit",
        ),
        "refusal.reason.duplicate-id": (
            "a follow-up with the same id already exists",
            "un suivi de même identifiant existe déjà",
        ),
        "refusal.reason.unknown-followup": (
            "the follow-up is unknown to the district",
            "le suivi est inconnu du district",
        ),
        "refusal.reason.not-amendable": (
            "a field that cannot be amended",
            "un champ qui ne peut pas être rectifié",
        ),
        "refusal.reason.unknown-conflict": (
            "the conflict is unknown to the district",
            "le conflit est inconnu du district",
        ),
        "refusal.reason.clock-ahead": (
            "stamped ahead of the district's clock",
            "daté en avance sur l'horloge du district",
        ),
        "sync.done.already-applied": (
            "This reply was already applied: nothing to do.",
            "Cette réponse a déjà été appliquée : rien à faire.",
        ),
        "sync.count.sent.one": ("{count} sent", "{count} envoyée"),
        "sync.count.sent.other": ("{count} sent", "{count} envoyées"),
        "sync.count.received.one": ("{count} received", "{count} reçue"),
        "sync.count.received.other": ("{count} received", "{count} reçues"),
        "sync.count.conflicts.one": ("{count} conflict", "{count} conflit"),
        "sync.count.conflicts.other": ("{count} conflicts", "{count} conflits"),
        "sync.count.purged.one": ("{count} purged", "{count} purgé"),
        "sync.count.purged.other": ("{count} purged", "{count} purgés"),
        "sync.count.changes.one": ("{count} change", "{count} modification"),
        "sync.count.changes.other": ("{count} changes", "{count} modifications"),
        "sync.count.wiped.one": ("{count} case wiped", "{count} dossier effacé"),
        "sync.count.wiped.other": ("{count} cases wiped", "{count} dossiers effacés"),
        "sync.more": (
            "More changes remain: run sync again.",
            "Il reste des modifications : relancez la synchronisation.",
        ),
        "sync.handover_many": (
            "Unsynced work was sealed for the district in {count} files, to be imported in this order: {paths}. Hand them all to your coordinator.",
            "Le travail non synchronisé a été scellé pour le district dans {count} fichiers, à importer dans cet ordre : {paths}. Remettez-les tous à votre coordinateur.",
        ),
        "sync.handover": (
            "Unsynced work was sealed for the district in {path}: hand this file to your coordinator.",
            "Le travail non synchronisé a été scellé pour le district dans {path} : remettez ce fichier à votre coordinateur.",
        ),
        "help.enrol": (
            "Join your district with the code it gave you.",
            "Rejoindre votre district avec le code qu'il vous a remis.",
        ),
        "help.sync": (
            "Exchange changes with the district (server, or files).",
            "Échanger les modifications avec le district (serveur ou fichiers).",
        ),
        "help.arg.code": (
            "The enrolment code (or @file containing it).",
            "Le code d'inscription (ou @fichier qui le contient).",
        ),
        "help.opt.enrol_to_file": (
            "Write the enrolment request to this file instead of sending it.",
            "Écrire la demande d'inscription dans ce fichier au lieu de l'envoyer.",
        ),
        "help.opt.enrol_from_file": (
            "Finish enrolment with the district's reply file.",
            "Terminer l'inscription avec le fichier de réponse du district.",
        ),
        "help.opt.sync_to_file": (
            "Write the outgoing bundle to this file (no network).",
            "Écrire le paquet sortant dans ce fichier (sans réseau).",
        ),
        "help.opt.sync_from_file": (
            "Apply the district's reply from this file.",
            "Appliquer la réponse du district depuis ce fichier.",
        ),
        "help.opt.watch": (
            "Keep trying until the district is reached.",
            "Réessayer jusqu'à joindre le district.",
        ),
    }
)
