"""The vocabularies of fieldkit, as plain StrEnums.

They live apart from the pydantic models so that the CLI can name the choices in its
help texts without importing pydantic; fieldkit.model re-exports them.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class FollowUpKind(StrEnum):
    INTERVIEW = "interview"
    HOME_VISIT = "home-visit"
    PHONE_CALL = "phone-call"
    FAMILY_CONTACT = "family-contact"
    PARTNER_REFERRAL = "partner-referral"
    PARTNER_MEETING = "partner-meeting"
    CASE_REVIEW = "case-review"
    CONCERN = "concern"


class ReferralDomain(StrEnum):
    """Where a partner referral sends the person."""

    HEALTH = "health"
    PSYCHOLOGICAL_CARE = "psychological-care"
    EDUCATION = "education"
    EMPLOYMENT = "employment-training"
    HOUSING = "housing"
    BENEFITS = "benefits"
    OTHER = "other"


class ReferralSource(StrEnum):
    """Who referred the person to the district (the managed list of issue 17); the case's
    `referral_detail` says more in the district's words. Cases opened before it may hold a
    free text instead: it is shown as it was typed."""

    HOTLINE = "hotline"
    EDUCATION = "education"
    FAMILY = "family"
    SECURITY_SERVICES = "security-services"
    SOCIAL_SERVICES = "social-services"
    HEALTH = "health"
    OTHER = "other"


class ConcernLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class GoalState(StrEnum):
    OPEN = "open"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class Attendance(StrEnum):
    """Whether the person came to an appointment (a contact follow-up): the cell reads it."""

    KEPT = "kept"
    MISSED = "missed"
    EXCUSED = "excused"


class Participation(StrEnum):
    """The person's free consent to the support (libre adhésion), as the team records it."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class MeasureState(StrEnum):
    """Where a measure the Prevention Group decided stands, as the case team records it."""

    PLANNED = "planned"
    UNDER_WAY = "under_way"
    DONE = "done"
    DROPPED = "dropped"


class WorkerStatus(StrEnum):
    PENDING = "pending"
    ENROLLED = "enrolled"
    REVOKED = "revoked"


class MeetingKind(StrEnum):
    """A session of the prevention group: every member, or a restricted circle (issue 17)."""

    PLENARY = "plenary"
    RESTRICTED = "restricted"


class AgendaReason(StrEnum):
    """Why a case is on a meeting's agenda (fieldkit/district/meetings.py)."""

    REVIEW_DUE = "review-due"  # its next review falls on or before the meeting
    OPENED = "opened"  # opened since the last meeting
    HIGH_CONCERN = "high-concern"  # a high concern since the last meeting
    PARTICIPATION = "participation"  # the person's participation changed since then
    NO_CONTACT = "no-contact"  # no contact with the person for N days
    ADDED = "added"  # added by the District Officer
