"""A dispute's history on the admin's case: the provider's status changes and the admin's evidence
saves and submission, in the order they happened, each saying who did what (pure domain)."""

from __future__ import annotations

from chalicelib.domain import claims
from chalicelib.domain.orders import Dispute
from tests.unit.test_claims import order


def test_a_disputes_history_tells_evidence_saves_from_the_providers_status_changes():
    o = order()
    opened = Dispute("dp_1", 2000, "EUR", "needs_response", "fraudulent", event_created=1, due_by="2026-12-07T00:00:00Z")
    o.record_dispute(opened, stage="created", at="2026-11-27T04:00:00Z")
    o.record_dispute(opened, stage="funds_withdrawn", at="2026-11-27T04:00:01Z")
    claims.note_evidence(o, "dp_1", submitted=False, status=None, at="2026-11-27T05:00:00Z", by="adm_1")
    claims.note_evidence(o, "dp_1", submitted=False, status=None, at="2026-11-27T05:10:00Z", by="adm_1")
    claims.note_evidence(o, "dp_1", submitted=True, status="under_review", at="2026-11-27T06:00:00Z", by="adm_1")
    o.record_dispute(Dispute("dp_1", 2000, "EUR", "won", "fraudulent", event_created=9), stage="closed",
                     at="2026-11-28T09:00:00Z")

    history = claims.dispute_summary(o, o.disputes["dp_1"])["history"]

    assert [(h["by"], h["note"], h["state"]) for h in history] == [
        ("provider", "created", "needs_response"),
        ("provider", "funds_withdrawn", "needs_response"),
        ("admin", "evidence_staged", "needs_response"),
        ("admin", "evidence_staged", "needs_response"),
        ("admin", "evidence_submitted", "under_review"),
        ("provider", "closed", "won"),
    ]
    assert history == sorted(history, key=lambda h: h["at"])
