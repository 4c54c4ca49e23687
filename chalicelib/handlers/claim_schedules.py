"""The claims' escalation schedule: claims whose vendor did not answer in time go to the platform."""

from chalice import Blueprint, Rate

bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.HOURS), name="escalate_overdue_claims")
def escalate_overdue_claims(event):
    """Escalate claims left unanswered past HALLES_CLAIM_ANSWER_DAYS (read from a sparse due index)."""
    from chalicelib.domain.timestamps import scheduled_time
    from chalicelib.services import claims

    return claims.escalate_overdue_claims(now=scheduled_time(event))
