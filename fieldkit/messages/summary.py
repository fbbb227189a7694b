"""Messages of the summary area: key -> (English, French).

Also the labels of the model's enums (`kind.*`, `status.*`, `priority.*`, `referral.*`,
`concern.*`, `goal.*`, `worker-status.*`) and case fields (`field.*`), which every part
of the tool reuses: `t(f"kind.{followup.kind}")`.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # Follow-up kinds (model.FollowUpKind).
    "kind.interview": ("Interview", "Entretien"),
    "kind.home-visit": ("Home visit", "Visite à domicile"),
    "kind.phone-call": ("Phone call", "Appel téléphonique"),
    "kind.family-contact": ("Family contact", "Contact familial"),
    "kind.partner-referral": ("Partner referral", "Orientation partenaire"),
    "kind.partner-meeting": ("Partner meeting", "Réunion partenaire"),
    "kind.case-review": ("Case review", "Revue de situation"),
    "kind.concern": ("Concern", "Signalement / inquiétude"),
    # Case statuses (model.CaseStatus).
    "status.active": ("Active", "Actif"),
    "status.suspended": ("Suspended", "Suspendu"),
    "status.closed": ("Closed", "Clôturé"),
    # Priorities (model.Priority).
    "priority.low": ("Low", "Basse"),
    "priority.normal": ("Normal", "Normale"),
    "priority.high": ("High", "Haute"),
    # Partner referral domains (model.ReferralDomain).
    "referral.health": ("Health", "Santé"),
    "referral.psychological-care": ("Psychological care", "Soins psychologiques"),
    "referral.education": ("Education", "Scolarité et éducation"),
    "referral.employment-training": ("Employment and training", "Emploi et formation"),
    "referral.housing": ("Housing", "Logement"),
    "referral.benefits": ("Benefits and entitlements", "Accès aux droits et prestations"),
    "referral.other": ("Other", "Autre"),
    # Concern levels (model.ConcernLevel).
    "concern.low": ("Low", "Faible"),
    "concern.medium": ("Medium", "Moyen"),
    "concern.high": ("High", "Élevé"),
    # Support-plan goal states (model.GoalState).
    "goal.open": ("In progress", "En cours"),
    "goal.achieved": ("Achieved", "Atteint"),
    "goal.dropped": ("Dropped", "Abandonné"),
    # Worker statuses (model.WorkerStatus).
    "worker-status.pending": ("Awaiting enrolment", "Enrôlement en attente"),
    "worker-status.enrolled": ("Enrolled", "Enrôlé"),
    "worker-status.revoked": ("Revoked", "Révoqué"),
    # Case fields (model.CASE_FIELDS), as conflicts and updates name them.
    "field.reference": ("Reference", "Référence"),
    "field.summary": ("Summary", "Compte rendu"),
    "field.occurred_on": ("Date", "Date"),
    "field.partners": ("Partners", "Partenaires"),
    "field.referral_to": ("Referred to", "Orientation vers"),
    "field.next_steps": ("Next steps", "Suites à donner"),
    "field.next_contact": ("Next contact", "Prochain contact"),
    "field.concern_level": ("Concern level", "Niveau d'inquiétude"),
    "field.kind": ("Kind", "Type"),
    "field.recorded_by": ("Recorded by", "Saisi par"),
    "field.display_name": ("Name", "Nom"),
    "field.birth_year": ("Year of birth", "Année de naissance"),
    "field.unit": ("Territorial unit", "Unité territoriale"),
    "field.referral_date": ("Referral date", "Date d'orientation"),
    "field.referral_source": ("Referred by", "Orienté par"),
    "field.reason": ("Reason for referral", "Motif de l'orientation"),
    "field.status": ("Status", "Statut"),
    "field.priority": ("Priority", "Priorité"),
    "field.assignees": ("Assigned workers", "Intervenants désignés"),
    "field.closure_reason": ("Reason for closure", "Motif de clôture"),
    "field.situation": ("Situation", "Situation"),
    "field.next_review": ("Next review", "Prochaine revue"),
    "field.goals": ("Support-plan goals", "Objectifs du projet d'accompagnement"),
    "field.related": ("Related persons", "Personnes de l'entourage"),
    # The summary itself.
    "summary.marking": (
        "CONFIDENTIAL — restricted distribution",
        "CONFIDENTIEL — diffusion restreinte",
    ),
    "summary.title": ("Case summary", "Synthèse du suivi"),
    "summary.printed": ("Printed by {by} on {at}", "Imprimé par {by} le {at}"),
    "summary.page": ("page {n}/{total}", "page {n}/{total}"),
    "summary.date": ("{d:%Y-%m-%d}", "{d:%d/%m/%Y}"),
    "summary.datetime": ("{d:%Y-%m-%d %H:%M}", "{d:%d/%m/%Y à %H:%M}"),
    "summary.label": ("{label}: {value}", "{label} : {value}"),
    "summary.none": ("—", "—"),
    "summary.continued": ("(continued)", "(suite)"),
    "summary.section.case": ("Case", "Dossier"),
    "summary.section.referral": ("Referral", "Orientation"),
    "summary.section.goals": ("Support plan", "Projet d'accompagnement"),
    "summary.section.related": ("Related persons", "Personnes de l'entourage"),
    "summary.section.concerns": ("Concerns", "Signalements et inquiétudes"),
    "summary.section.conflicts": ("Open conflicts", "Conflits à résoudre"),
    "summary.section.history": ("Follow-up history", "Historique du suivi"),
    "summary.reference": ("Reference", "Référence"),
    "summary.name": ("Name", "Nom"),
    "summary.unit": ("Territorial unit", "Unité territoriale"),
    "summary.lead": ("Lead worker", "Référent"),
    "summary.co_workers": ("Co-workers", "Co-intervenants"),
    "summary.status": ("Status", "Statut"),
    "summary.priority": ("Priority", "Priorité"),
    "summary.referral_date": ("Referral date", "Date d'orientation"),
    "summary.referral_source": ("Referred by", "Orienté par"),
    "summary.reason": ("Reason", "Motif"),
    "summary.next_review": ("Next review", "Prochaine revue"),
    "summary.next_contact": ("Next contact", "Prochain contact"),
    "summary.overdue": ("{date} (overdue)", "{date} (en retard)"),
    "summary.goal": ("Goal", "Objectif"),
    "summary.goal_state": ("State", "État"),
    "summary.no_goals": ("No goal recorded.", "Aucun objectif enregistré."),
    "summary.no_related": ("No related person recorded.", "Aucune personne enregistrée."),
    "summary.no_concerns": ("No concern recorded.", "Aucun signalement enregistré."),
    "summary.no_conflicts": ("No open conflict.", "Aucun conflit en attente."),
    "summary.no_history": ("No follow-up recorded.", "Aucun suivi enregistré."),
    "summary.count.one": ("{count} follow-up in all.", "{count} suivi au total."),
    "summary.count.other": ("{count} follow-ups in all.", "{count} suivis au total."),
    "summary.since": (
        "Limited to follow-ups since {date}: {shown} of {total}.",
        "Limité aux suivis depuis le {date} : {shown} sur {total}.",
    ),
    "summary.concerns_since": (
        "Concerns since {date} only.",
        "Signalements depuis le {date} uniquement.",
    ),
    "summary.col.date": ("Date", "Date"),
    "summary.col.kind": ("Kind", "Type"),
    "summary.col.by": ("By", "Par"),
    "summary.col.details": ("Details", "Détails"),
    "summary.col.level": ("Level", "Niveau"),
    "summary.col.field": ("Field", "Champ"),
    "summary.col.kept": ("Value kept", "Valeur retenue"),
    "summary.col.other": ("Other value", "Autre valeur"),
    "summary.by": ("by {name}", "par {name}"),
    "summary.id": ("Ref.", "Réf."),
    "summary.partners": ("Partners", "Partenaires"),
    "summary.referred_to": ("Referred to", "Orientation vers"),
    "summary.next_steps": ("Next steps", "Suites à donner"),
    "summary.concern_level": ("Concern level", "Niveau d'inquiétude"),
    "summary.amended": ("Amended {count}×", "Rectifié {count} fois"),
    "summary.amended_list": ("Amended {count}×: {marks}", "Rectifié {count} fois : {marks}"),
    "summary.amended_by_on": ("by {name} on {date}", "par {name} le {date}"),
    "summary.amended_by": ("by {name}", "par {name}"),
    "summary.amended_on": (
        "Amended {count}× (latest {date})",
        "Rectifié {count} fois (dernière fois le {date})",
    ),
    "summary.missing_glyphs.one": (
        "{count} character has no glyph in the fonts available and prints as '?'.",
        "{count} caractère n'a pas de glyphe dans les polices disponibles et s'imprime « ? ».",
    ),
    "summary.missing_glyphs.other": (
        "{count} characters have no glyph in the fonts available and print as '?'.",
        "{count} caractères n'ont pas de glyphe dans les polices disponibles et s'impriment « ? ».",
    ),
    "summary.missing_glyphs.package": (
        "Install the pymupdf-fonts package for a font that covers most scripts.",
        "Installez le paquet pymupdf-fonts pour une police couvrant la plupart des écritures.",
    ),
    "summary.missing_glyphs.system": (
        "Install a system font that covers them (e.g. Noto Sans CJK, Debian package "
        "fonts-noto-cjk, for Chinese, Japanese or Korean).",
        "Installez une police système qui les couvre (par exemple Noto Sans CJK, paquet "
        "Debian fonts-noto-cjk, pour le chinois, le japonais ou le coréen).",
    ),
    # The commands that print summaries and reports.
    "help.case_summary": (
        "Print a case summary: on screen, in Markdown or as a PDF.",
        "Imprimer la synthèse d'un dossier : à l'écran, en Markdown ou en PDF.",
    ),
    "help.district_report": (
        "The prevention group's meeting report, per territorial unit.",
        "Le rapport de réunion du groupe de prévention, par unité territoriale.",
    ),
    "help.opt.format": (
        "text (screen), md (Markdown) or pdf.",
        "text (écran), md (Markdown) ou pdf.",
    ),
    "help.opt.output": (
        "Write to this file, readable by you only ('-': standard output).",
        "Écrire dans ce fichier, lisible par vous seul (« - » : sortie standard).",
    ),
    "help.opt.force": ("Replace the file if it exists.", "Remplacer le fichier s'il existe."),
    "help.opt.summary_since": (
        "Only the follow-ups since this day (e.g. 2026-03-01, 01/03/2026, -30d).",
        "Seulement les suivis depuis ce jour (ex. 2026-03-01, 01/03/2026, -30j).",
    ),
    "help.opt.summary_json": (
        "Print the summary as JSON for scripts.",
        "Afficher la synthèse en JSON pour les scripts.",
    ),
    "help.opt.report_since": (
        "Count the follow-ups since this day, the last meeting (default: 30 days ago).",
        "Compter les suivis depuis ce jour, la dernière réunion (par défaut : il y a 30 jours).",
    ),
    "help.opt.report_unit": ("Only this territorial unit.", "Seulement cette unité territoriale."),
    "help.opt.not_seen_days": (
        "A case with no follow-up for this many days is 'not seen'.",
        "Un dossier sans suivi depuis ce nombre de jours est « sans contact ».",
    ),
    "help.opt.with_cases": (
        "Add the per-case annex (it names people).",
        "Ajouter l'annexe par dossier (elle nomme les personnes).",
    ),
    "help.opt.report_json": (
        "Print the report as JSON for scripts.",
        "Afficher le rapport en JSON pour les scripts.",
    ),
    # Exports (fieldkit/summary/export.py).
    "export.json_or_format": (
        "Give --json or --format, not both.",
        "Indiquez --json ou --format, pas les deux.",
    ),
    "export.pdf_needs_file": (
        "A PDF is not shown on a terminal: give -o FILE.",
        "Un PDF ne s'affiche pas dans un terminal : indiquez -o FICHIER.",
    ),
    "export.exists": (
        "{path} already exists; nothing was written (--force replaces it).",
        "{path} existe déjà ; rien n'a été écrit (--force le remplace).",
    ),
    "export.is_directory": (
        "{path} is a directory; give a file name.",
        "{path} est un dossier ; indiquez un nom de fichier.",
    ),
    "export.no_directory": (
        "The directory {path} does not exist.",
        "Le dossier {path} n'existe pas.",
    ),
    "export.write_failed": (
        "Could not write {path}: {reason}.",
        "Impossible d'écrire {path} : {reason}.",
    ),
    "export.written": (
        "Written to {path}, readable by you only.",
        "Écrit dans {path}, lisible par vous seul.",
    ),
    "export.reminder_file": (
        "This file is no longer protected by the store: keep it safe, do not forward it, "
        "and delete it once it has served.",
        "Ce fichier n'est plus protégé par le coffre : gardez-le en lieu sûr, ne le "
        "transférez pas et supprimez-le dès qu'il a servi.",
    ),
    "export.reminder_stdout": (
        "The output went to a pipe or a file: it is no longer protected by the store, "
        "and a file made by the shell is not readable by you only.",
        "La sortie est partie vers un tube ou un fichier : elle n'est plus protégée par le "
        "coffre, et un fichier créé par le shell n'est pas lisible par vous seul.",
    ),
    # The district's meeting report (fieldkit/district/report.py).
    "report.title": ("Prevention group report", "Rapport au groupe de prévention"),
    "report.reference": ("Report of {date}", "Rapport du {date}"),
    "report.section.scope": ("What is counted", "Ce qui est compté"),
    "report.section.figures": ("Figures per territorial unit", "Chiffres par unité territoriale"),
    "report.section.annex": (
        "Annex — cases (personal data)",
        "Annexe — dossiers (données personnelles)",
    ),
    "report.scope": (
        "The figures count active cases only and name no one.",
        "Les chiffres ne portent que sur les dossiers actifs et ne nomment personne.",
    ),
    "report.period": (
        "Follow-ups and high concerns since {date} (the last meeting).",
        "Suivis et inquiétudes élevées depuis le {date} (la dernière réunion).",
    ),
    "report.not_seen_rule.one": (
        "Not seen: no follow-up in the last {count} day.",
        "Sans contact : aucun suivi depuis {count} jour.",
    ),
    "report.not_seen_rule.other": (
        "Not seen: no follow-up in the last {count} days.",
        "Sans contact : aucun suivi depuis {count} jours.",
    ),
    "report.overdue_rule": (
        "Review overdue: the next review date has passed.",
        "Revue en retard : la date de la prochaine revue est passée.",
    ),
    "report.unit_only": (
        "Territorial unit {unit} only.",
        "Unité territoriale {unit} uniquement.",
    ),
    "report.col.unit": ("Territorial unit", "Unité territoriale"),
    "report.col.active": ("Active cases", "Dossiers actifs"),
    "report.col.followups": ("Follow-ups since {date}", "Suivis depuis le {date}"),
    "report.col.overdue": ("Reviews overdue", "Revues en retard"),
    "report.col.high": ("High concerns", "Inquiétudes élevées"),
    "report.col.not_seen.one": ("Not seen for {count} day", "Sans contact depuis {count} jour"),
    "report.col.not_seen.other": ("Not seen for {count} days", "Sans contact depuis {count} jours"),
    "report.col.conflicts": ("Conflicts waiting", "Conflits en attente"),
    "report.col.last_followup": ("Last follow-up", "Dernier suivi"),
    "report.col.flags": ("Flags", "Alertes"),
    "report.total": ("Total", "Total"),
    "report.no_units": ("No territorial unit yet.", "Aucune unité territoriale pour l'instant."),
    "report.no_cases": ("No active case.", "Aucun dossier actif."),
    "report.flag.review-overdue": ("review overdue", "revue en retard"),
    "report.flag.high-concern": ("high concern", "inquiétude élevée"),
    "report.flag.not-seen": ("not seen", "sans contact"),
    "report.flag.conflict": ("conflict waiting", "conflit en attente"),
    "report.unknown_unit": (
        "No territorial unit is called {unit}; known units: {units}.",
        "Aucune unité territoriale ne s'appelle {unit} ; unités connues : {units}.",
    ),
}
