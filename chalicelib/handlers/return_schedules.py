"""The returns' schedule: escalate to the platform the return requests a vendor left unanswered."""

from chalice import Blueprint, Rate

bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.HOURS), name="escalate_overdue_returns")
def escalate_overdue_returns(event):
    """Requested returns past their answer deadline (HALLES_RETURN_ANSWER_DAYS) go to the admin's queue, once."""
    from chalicelib.domain.timestamps import scheduled_time
    from chalicelib.services import returns

    return returns.escalate_overdue_returns(scheduled_time(event))
