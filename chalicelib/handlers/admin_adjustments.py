"""Admin: book an adjustment in a vendor's ledger (chalicelib/services/vendor_adjustments.py)."""

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import HeaderDoc, json_response, route
from chalicelib.domain.input_limits import ADJUSTMENT_MAX
from chalicelib.domain.input_limits import ADJUSTMENT_REASON_MAX as REASON_MAX
from chalicelib.domain.input_limits import ADJUSTMENT_REASON_MIN as REASON_MIN
from chalicelib.handlers.vendor_money import LedgerEntryOut
from chalicelib.schema import ApiModel, StrictInteger, Text

bp = Blueprint(__name__)
ADMIN = ("admin",)

IDEMPOTENCY_KEY = HeaderDoc(
    "Idempotency-Key", "Required, 8 to 128 characters: a new random value per adjustment, the same one when "
    "retrying it. The same key books the adjustment once and answers it again; another body with it is a 422.",
    required=True)


class AdjustmentIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    amount: StrictInteger = Field(description=f"Signed minor units, not 0, at most {ADJUSTMENT_MAX} either way: "
                                              "+ the platform owes the vendor more, - less")
    currency: str = Field(min_length=3, max_length=3, description="The platform's currency (ISO 4217)")
    reason: Text = Field(min_length=REASON_MIN, max_length=REASON_MAX,
                         description="Why: shown to the vendor in its ledger")
    order_id: Text | None = Field(None, max_length=80, description="One of this vendor's orders it concerns")


@route(bp, "/admin/vendors/{vendor_id}/adjustments", "POST", body=AdjustmentIn, response=LedgerEntryOut,
       roles=ADMIN, status=201, also=(200,), tags=("admin",), errors=(400, 401, 403, 404, 422),
       headers=(IDEMPOTENCY_KEY,),
       summary="Book an adjustment in a vendor's ledger, once per Idempotency-Key (201; 200 when repeated)")
def admin_book_adjustment(req):
    from chalicelib.services import vendor_adjustments

    entry, created = vendor_adjustments.book_adjustment(
        req.params["vendor_id"], amount=req.body.amount, currency=req.body.currency, reason=req.body.reason,
        order_id=req.body.order_id, idempotency_key=req.header("Idempotency-Key"), admin_id=req.principal.user_id)
    return json_response(LedgerEntryOut.model_validate(entry).model_dump(mode="json"), 201 if created else 200,
                         req.correlation_id)
