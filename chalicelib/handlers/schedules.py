"""Scheduled jobs of the checkout area."""

from chalice import Blueprint, Rate

bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.MINUTES), name="expire_reservations")
def expire_reservations(event):
    """Cancel orders left unpaid past their reservation, releasing their stock exactly once."""
    from chalicelib.services import reservation_sweeper

    return reservation_sweeper.expire_reservations()


@bp.schedule(Rate(15, unit=Rate.MINUTES), name="retry_payouts")
def retry_payouts(event):
    """Pay vendor payouts left due (provider outage, vendor onboarded since): same idempotent release;
    then try refused transfer reversals and top-ups again (what is still due, a new key)."""
    from chalicelib.services import payouts, refund_admin

    return {**payouts.retry_payouts(), **refund_admin.retry_refused_transfers()}


@bp.schedule(Rate(1, unit=Rate.HOURS), name="auto_confirm_receipts")
def auto_confirm_receipts(event):
    """Confirm receipt of parcels shipped HALLES_AUTO_CONFIRM_DAYS ago and never confirmed: the payout follows."""
    from chalicelib.services import payouts

    return payouts.auto_confirm_receipts()
