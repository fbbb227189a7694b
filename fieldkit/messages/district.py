"""Messages of the district side: its commands, workers, cases, exchanges."""

MESSAGES: dict[str, tuple[str, str]] = {
    "help.district": (
        "The district side: store, workers, cases, server.",
        "Côté district : coffre, intervenants, dossiers, serveur.",
    ),
    "help.district_init": (
        "Create the district's encrypted store and keys.",
        "Créer le coffre chiffré et les clés du district.",
    ),
    "help.district_worker": ("Workers of the district.", "Les intervenants du district."),
    "help.district_worker_add": (
        "Add a worker and print a one-time enrolment code.",
        "Ajouter un intervenant et afficher un code d'inscription à usage unique.",
    ),
    "help.district_worker_list": ("List the workers.", "Lister les intervenants."),
    "help.district_worker_revoke": (
        "Revoke a worker (lost device, departure).",
        "Révoquer un intervenant (poste perdu, départ).",
    ),
    "help.district_case": ("Cases of the district.", "Les dossiers du district."),
    "help.district_refusals": (
        "Changes the district refused, kept whole: list, show, accept, dismiss.",
        "Les modifications refusées par le district, conservées entières : lister, afficher, accepter, écarter.",
    ),
    "help.district_refusals_list": (
        "List the refused changes, oldest first.",
        "Lister les modifications refusées, de la plus ancienne à la plus récente.",
    ),
    "help.district_refusals_show": (
        "Show one refused change.",
        "Afficher une modification refusée.",
    ),
    "help.district_refusals_accept": (
        "Apply a refused change once the rules allow it (e.g. after reassigning the case).",
        "Appliquer une modification refusée dès que les règles le permettent (par ex. après réaffectation du dossier).",
    ),
    "help.district_refusals_dismiss": (
        "Record that a refused change will not be applied, and why (- reads the reason from standard input).",
        "Consigner qu'une modification refusée ne sera pas appliquée, et pourquoi (- lit le motif sur l'entrée standard).",
    ),
    "help.arg.refusal": (
        "The refusal's number (district refusals list).",
        "Le numéro du refus (district refusals list).",
    ),
    "help.opt.refusal_status": (
        "Only those: pending, accepted or dismissed.",
        "Seulement ceux-ci : pending, accepted ou dismissed.",
    ),
    "help.opt.dismiss_reason": (
        "Why it is not applied (told to the worker).",
        "Pourquoi elle n'est pas appliquée (transmis à l'intervenant).",
    ),
    "refusals.title": ("Refused changes ({count})", "Modifications refusées ({count})"),
    "refusals.none": ("No refused change.", "Aucune modification refusée."),
    "refusals.accepted": (
        "Refused change #{ref} accepted and applied; the team receives it at its next sync.",
        "Modification refusée n° {ref} acceptée et appliquée ; l'équipe la reçoit à sa prochaine synchronisation.",
    ),
    "refusals.dismissed": (
        "Refused change #{ref} dismissed; the worker is told at their next sync.",
        "Modification refusée n° {ref} écartée ; l'intervenant en est informé à sa prochaine synchronisation.",
    ),
    "refusal.not_found": ("no refused change #{ref}", "aucune modification refusée n° {ref}"),
    "refusal.already_decided": (
        "refused change #{ref} was already decided ({status})",
        "la modification refusée n° {ref} a déjà fait l'objet d'une décision ({status})",
    ),
    "refusal.still_refused": (
        "refused change #{ref} still breaks the rules ({reason}): change what refused it first (e.g. assign the case again), then accept",
        "la modification refusée n° {ref} enfreint toujours les règles ({reason}) : corrigez d'abord ce qui l'a fait refuser (par ex. réaffectez le dossier), puis acceptez",
    ),
    "refusal.status.pending": ("awaiting a decision", "en attente de décision"),
    "refusal.status.accepted": ("accepted", "acceptée"),
    "refusal.status.dismissed": ("dismissed", "écartée"),
    "col.number": ("No.", "N°"),
    "col.worker": ("Worker", "Intervenant"),
    "col.at": ("Received", "Reçue le"),
    "col.case": ("Case", "Dossier"),
    "col.refusal_reason": ("Why refused", "Motif du refus"),
    "col.decided_at": ("Decided", "Décidée le"),
    "col.decision_reason": ("Decision's reason", "Motif de la décision"),
    "help.district_case_add": ("Open a case.", "Ouvrir un dossier."),
    "help.district_case_list": (
        "List cases (high concerns marked).",
        "Lister les dossiers (inquiétudes fortes signalées).",
    ),
    "help.district_case_show": (
        "Show a case and its follow-ups.",
        "Afficher un dossier et ses suivis.",
    ),
    "help.district_case_assign": (
        "Assign a case to a worker.",
        "Confier un dossier à un intervenant.",
    ),
    "help.district_case_unassign": (
        "Take a case away from a worker.",
        "Retirer un dossier à un intervenant.",
    ),
    "help.district_case_close": (
        "Close a case (devices purge it).",
        "Clore un dossier (les postes le purgent).",
    ),
    "help.district_purge": (
        "Purge closed cases past the district's retention period (administrator).",
        "Purger les dossiers clos au-delà de la durée de conservation du district (administrateur).",
    ),
    "help.opt.closed_before": (
        "Purge cases closed before this date (00:00 UTC).",
        "Purger les dossiers clos avant cette date (00 h 00 UTC).",
    ),
    "help.opt.older_than": (
        "Purge cases closed more than this many days ago (the period of the processing register).",
        "Purger les dossiers clos depuis plus de ce nombre de jours (la durée du registre des traitements).",
    ),
    "help.opt.dry_run": (
        "List what would be purged; change nothing.",
        "Lister ce qui serait purgé, sans rien modifier.",
    ),
    "help.opt.yes": (
        "Purge without asking (scripts, scheduled jobs).",
        "Purger sans demander (scripts, tâches planifiées).",
    ),
    "help.district_sync_file": (
        "Apply a worker's bundle file and write the reply file.",
        "Appliquer le paquet d'un intervenant et écrire le paquet de réponse.",
    ),
    "help.arg.worker": (
        "Worker id (or exact name).",
        "Identifiant de l'intervenant (ou nom exact).",
    ),
    "help.arg.bundle_in": ("The worker's bundle.", "Le paquet de l'intervenant."),
    "help.arg.bundle_out": ("Where to write the reply.", "Où écrire la réponse."),
    "help.opt.district_name": ("Name of the district.", "Nom du district."),
    "help.opt.district_url": (
        "Address of the district server, for enrolment codes (e.g. https://fieldkit.example:8443).",
        "Adresse du serveur du district, pour les codes d'inscription (ex. https://fieldkit.exemple:8443).",
    ),
    "help.opt.prefix": (
        "Prefix of case references (CO-2026-0001).",
        "Préfixe des références de dossier (CO-2026-0001).",
    ),
    "help.opt.worker_name": ("The worker's name.", "Nom de l'intervenant."),
    "help.opt.unit": ("Territorial Unit.", "Unité territoriale."),
    "help.opt.code_hours": (
        "Hours the enrolment code stays valid.",
        "Durée de validité du code d'inscription, en heures.",
    ),
    "help.opt.person_name": (
        "Name of the person as workers need it.",
        "Nom de la personne tel que les intervenants en ont besoin.",
    ),
    "help.opt.birth_year": ("Year of birth.", "Année de naissance."),
    "help.opt.referral_date": (
        "Date of referral (default: today).",
        "Date du signalement (par défaut : aujourd'hui).",
    ),
    "help.opt.referral_source": ("Who referred the person.", "Origine du signalement."),
    "help.opt.reason": ("Reason for referral (short).", "Motif du signalement (court)."),
    "help.opt.priority": ("low, normal or high.", "low (basse), normal ou high (haute)."),
    "help.opt.lead": ("Make this worker the lead.", "Désigner cet intervenant comme référent."),
    "help.opt.close_reason": ("Why the case is closed.", "Motif de la clôture."),
    "help.opt.accept_revoked": (
        "Import a revoked device's sealed handover file (a coordinator's decision).",
        "Importer le fichier de remise scellé d'un poste révoqué (décision d'un coordinateur).",
    ),
    "district.created": (
        "{name}: district store created in {path}.",
        "{name} : coffre du district créé dans {path}.",
    ),
    "district.fingerprint": (
        "District key fingerprint: {fingerprint}",
        "Empreinte de la clé du district : {fingerprint}",
    ),
    "district.worker_added": ("Worker {name} added ({id}).", "Intervenant {name} ajouté ({id})."),
    "district.code_intro": (
        "One-time enrolment code (valid {hours} h; hand it over in person):",
        "Code d'inscription à usage unique (valable {hours} h ; à remettre en main propre) :",
    ),
    "district.workers_title": ("Workers ({count})", "Intervenants ({count})"),
    "district.worker_revoked": ("Worker {id} revoked.", "Intervenant {id} révoqué."),
    "district.case_added": (
        "Case {reference} opened ({id}).",
        "Dossier {reference} ouvert ({id}).",
    ),
    "district.assigned": ("{reference} assigned to {worker}.", "{reference} confié à {worker}."),
    "district.unassigned": (
        "{reference} taken away from {worker}.",
        "{reference} retiré à {worker}.",
    ),
    "district.closed": ("{reference} closed.", "{reference} clos."),
    "purge.one_cutoff": (
        "give either --closed-before DATE or --older-than DAYS",
        "indiquez soit --closed-before DATE, soit --older-than JOURS",
    ),
    "purge.needs_yes": (
        "a purge cannot be undone: add --yes to run it without a terminal (or --dry-run to list)",
        "une purge est irréversible : ajoutez --yes pour la lancer sans terminal (ou --dry-run pour lister)",
    ),
    "purge.title.one": (
        "Closed before {cutoff}: {count} case",
        "Clos avant le {cutoff} : {count} dossier",
    ),
    "purge.title.other": (
        "Closed before {cutoff}: {count} cases",
        "Clos avant le {cutoff} : {count} dossiers",
    ),
    "purge.col_closed_on": ("Closed on", "Clos le"),
    "purge.col_followups": ("Follow-ups", "Suivis"),
    "purge.none": (
        "No case closed before {cutoff}: nothing to purge.",
        "Aucun dossier clos avant le {cutoff} : rien à purger.",
    ),
    "purge.confirm.one": (
        "Purge this case and its follow-ups for good?",
        "Purger définitivement ce dossier et ses suivis ?",
    ),
    "purge.confirm.other": (
        "Purge these {count} cases and their follow-ups for good?",
        "Purger définitivement ces {count} dossiers et leurs suivis ?",
    ),
    "purge.cancelled": ("Nothing was purged.", "Rien n'a été purgé."),
    "purge.dry_run.one": (
        "Dry run: {count} case would be purged; nothing was changed.",
        "Essai : {count} dossier serait purgé ; rien n'a été modifié.",
    ),
    "purge.dry_run.other": (
        "Dry run: {count} cases would be purged; nothing was changed.",
        "Essai : {count} dossiers seraient purgés ; rien n'a été modifié.",
    ),
    "purge.done.one": (
        "{count} case purged; its audit events stay.",
        "{count} dossier purgé ; ses événements d'audit sont conservés.",
    ),
    "purge.done.other": (
        "{count} cases purged; their audit events stay.",
        "{count} dossiers purgés ; leurs événements d'audit sont conservés.",
    ),
    "district.high_concerns.one": ("{count} high concern", "{count} inquiétude forte"),
    "district.high_concerns.other": ("{count} high concerns", "{count} inquiétudes fortes"),
    "district.conflicts.one": ("{count} conflict", "{count} conflit"),
    "district.conflicts.other": ("{count} conflicts", "{count} conflits"),
    "district.enrolled": (
        "Worker {worker} enrolled; reply written.",
        "Intervenant {worker} inscrit ; réponse écrite.",
    ),
    "district.worker_fingerprint": (
        "Worker key fingerprint (compare with the worker): {fingerprint}",
        "Empreinte de la clé de l'intervenant (à comparer avec lui) : {fingerprint}",
    ),
    # The counts are sync.count.* and district.count.*, each in its plural form.
    "district.sync_done": (
        "Worker {worker}: {received}, {applied}, {refused}, {sent}, {purge}.",
        "Intervenant {worker} : {received}, {applied}, {refused}, {sent}, {purge}.",
    ),
    "district.count.applied.one": ("{count} applied", "{count} appliquée"),
    "district.count.applied.other": ("{count} applied", "{count} appliquées"),
    "district.count.refused.one": ("{count} refused", "{count} refusée"),
    "district.count.refused.other": ("{count} refused", "{count} refusées"),
    "district.count.purge.one": ("{count} to purge", "{count} à purger"),
    "district.count.purge.other": ("{count} to purge", "{count} à purger"),
    "district.wipe_sent": (
        "Worker {worker} is revoked: its device was told to wipe.",
        "L'intervenant {worker} est révoqué : son poste a reçu l'ordre d'effacement.",
    ),
    "worker.not_found": ("no worker {ref}", "aucun intervenant {ref}"),
    "worker.is_revoked": ("worker {ref} is revoked", "l'intervenant {ref} est révoqué"),
    "worker.revoked": ("revoked", "révoqué"),
    "worker.pending": ("waiting for enrolment", "en attente d'inscription"),
    "worker.enrolled": ("enrolled", "inscrit"),
    "assignment.not_found": (
        "case {case} is not assigned to {worker}",
        "le dossier {case} n'est pas confié à {worker}",
    ),
    "value.bad_prefix": (
        "{field}: '{value}' must be letters or digits (at most 8)",
        "{field} : « {value} » doit être fait de lettres ou chiffres (8 au plus)",
    ),
    "value.bad_year": (
        "{field}: {value} is not a plausible year",
        "{field} : {value} n'est pas une année plausible",
    ),
    "case.referral_in_future": (
        "{field}: a referral cannot be dated in the future",
        "{field} : une orientation ne peut pas être datée dans le futur",
    ),
    "col.cases": ("Cases", "Dossiers"),
    "col.last_sync": ("Last sync", "Dernière synchro"),
    "col.assignees": ("Workers (* lead)", "Intervenants (* référent)"),
    "col.alerts": ("Alerts", "Alertes"),
    "help.district_serve": ("Run the district server.", "Lancer le serveur du district."),
    "help.opt.host": ("Address to listen on.", "Adresse d'écoute."),
    "help.opt.port": ("Port to listen on.", "Port d'écoute."),
    "help.opt.tls_cert": (
        "TLS certificate (PEM); default: the one made by init --self-signed.",
        "Certificat TLS (PEM) ; par défaut celui créé par init --self-signed.",
    ),
    "help.opt.tls_key": ("TLS private key (PEM).", "Clé privée TLS (PEM)."),
    "help.opt.insecure_http": (
        "Plain HTTP, loopback only (tests).",
        "HTTP en clair, boucle locale seulement (tests).",
    ),
    "help.opt.log_file": (
        "Write the access log to this file.",
        "Écrire le journal d'accès dans ce fichier.",
    ),
    "help.opt.self_signed": (
        "Make a self-signed TLS certificate; workers pin it at enrolment.",
        "Créer un certificat TLS auto-signé ; les intervenants l'épinglent à l'inscription.",
    ),
    "help.opt.tls_host": (
        "Host name or address the certificate is for (repeatable).",
        "Nom ou adresse couvert par le certificat (à répéter).",
    ),
    "district.tls_fingerprint": (
        "Server certificate fingerprint (SHA-256): {fingerprint}",
        "Empreinte du certificat du serveur (SHA-256) : {fingerprint}",
    ),
    "serve.disk_full": (
        "the district server's disk is full; nothing of this sync was applied, the changes stay queued on the device",
        "le disque du serveur du district est plein ; rien de cette synchronisation n'a été appliqué, les modifications restent en attente sur le poste",
    ),
    "serve.internal_error": (
        "the district server met an unexpected error; nothing of this sync was applied, the changes stay queued on the device",
        "le serveur du district a rencontré une erreur inattendue ; rien de cette synchronisation n'a été appliqué, les modifications restent en attente sur le poste",
    ),
    "serve.listening": (
        "District server listening on {url} (Ctrl-C to stop).",
        "Serveur du district à l'écoute sur {url} (Ctrl-C pour arrêter).",
    ),
    "serve.port_busy": (
        "port {port} on {host} is already in use (another district serve?); choose another with --port",
        "le port {port} sur {host} est déjà utilisé (un autre district serve ?) ; choisissez-en un autre avec --port",
    ),
    "serve.port_denied": (
        "port {port} needs administrator rights; choose one above 1024 with --port",
        "le port {port} demande des droits d'administrateur ; choisissez-en un au-dessus de 1024 avec --port",
    ),
    "serve.bad_host": (
        "cannot listen on {host}: not an address of this machine",
        "impossible d'écouter sur {host} : ce n'est pas une adresse de cette machine",
    ),
    "serve.not_started": (
        "the district server did not start; nothing was changed",
        "le serveur du district n'a pas démarré ; rien n'a été modifié",
    ),
    "serve.no_tls": (
        "no TLS certificate: run `district init --self-signed`, pass --tls-cert/--tls-key, or --insecure-http on loopback",
        "aucun certificat TLS : lancez `district init --self-signed`, indiquez --tls-cert/--tls-key, ou --insecure-http en boucle locale",
    ),
    "serve.insecure_not_loopback": (
        "--insecure-http is only allowed on a loopback address, not {host}",
        "--insecure-http n'est permis que sur une adresse de boucle locale, pas {host}",
    ),
    "help.opt.database": (
        "Keep the district's tables in this PostgreSQL database (postgresql://…) instead of the encrypted file.",
        "Conserver les tables du district dans cette base PostgreSQL (postgresql://…) au lieu du fichier chiffré.",
    ),
    "help.district_migrate": (
        "Move the district from its encrypted file to PostgreSQL, and check the copy.",
        "Déplacer le district de son fichier chiffré vers PostgreSQL, et vérifier la copie.",
    ),
    "help.opt.migrate_to": (
        "The PostgreSQL database to move to (postgresql://…), empty.",
        "La base PostgreSQL de destination (postgresql://…), vide.",
    ),
    "district.database": ("Database: {database}", "Base de données : {database}"),
    "district.migrated": (
        "District moved to {database}: {tables} tables, {rows} rows, digests equal. The old file {path} is kept; remove it once the new database is backed up.",
        "District déplacé vers {database} : {tables} tables, {rows} lignes, empreintes égales. L'ancien fichier {path} est conservé ; supprimez-le une fois la nouvelle base sauvegardée.",
    ),
    "database.unreachable": (
        "cannot reach the district database {database}",
        "impossible de joindre la base du district {database}",
    ),
    "database.bad_dsn": (
        "--database takes a PostgreSQL address (postgresql://…)",
        "--database attend une adresse PostgreSQL (postgresql://…)",
    ),
    "database.bad_config": (
        "the district's database settings in {path} are unreadable",
        "les réglages de base de données du district dans {path} sont illisibles",
    ),
    "database.other_district": (
        "this database holds another district than this key file's",
        "cette base contient un autre district que celui de ce fichier de clés",
    ),
    "database.not_file": (
        "this district is not on its encrypted file (already on {database})",
        "ce district n'est pas sur son fichier chiffré (déjà sur {database})",
    ),
    "database.not_empty": (
        "the target database is not empty; give an empty database",
        "la base de destination n'est pas vide ; indiquez une base vide",
    ),
    "database.copy_mismatch": (
        "the copy differs from the file ({what}); the district stays on its file",
        "la copie diffère du fichier ({what}) ; le district reste sur son fichier",
    ),
    "store.value_damaged": (
        "a value in the district database is damaged, was altered or moved (nothing was changed)",
        "une valeur de la base du district est endommagée, a été modifiée ou déplacée (rien n'a été modifié)",
    ),
}
