"""The local provider's pages: the card form a shopper pays on, and Connect onboarding.

Plain server-rendered HTML (no script needed), every value escaped. Stable ids
(`card-number`, `card-expiry`, `card-cvc`, `pay-button`, `payment-error`, `cancel-link`,
`complete-authentication`, `fail-authentication`) for browser tests.
"""

from __future__ import annotations

from html import escape

from devstack.localpay.cards import HINTS
from devstack.localpay.ids import format_money

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0;padding:2rem}
main{max-width:26rem;margin:auto;background:#fff;border-radius:8px;box-shadow:0 2px 8px #0002;padding:1.5rem}
h1{font-size:1.1rem;margin:0 0 .25rem} .amount{font-size:1.8rem;font-weight:600;margin:.25rem 0 1rem}
label{display:block;font-size:.85rem;margin:.75rem 0 .25rem;color:#3c4257}
input{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #cfd7df;border-radius:4px;font-size:1rem}
.row{display:flex;gap:.75rem} .row>div{flex:1}
button{margin-top:1.25rem;width:100%;padding:.75rem;border:0;border-radius:4px;background:#635bff;color:#fff;
font-size:1rem;font-weight:600;cursor:pointer}
.error{background:#fde8e8;color:#9b1c1c;padding:.6rem;border-radius:4px;margin:.75rem 0}
.ok{background:#e6f6ec;color:#14532d;padding:.6rem;border-radius:4px;margin:.75rem 0}
.note{font-size:.8rem;color:#697386} table{font-size:.8rem;color:#697386;margin-top:1rem;border-collapse:collapse}
td{padding:.1rem .5rem .1rem 0} code{font-size:.8rem}
"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>")


def payment_form(intent: dict, *, client_secret: str, return_url: str | None, error: str | None = None,
                 number: str = "", expiry: str = "", leave_url: str | None = None,
                 challenge_url: str | None = None) -> str:
    amount = format_money(intent["amount"], intent["currency"])
    hints = "".join(f"<tr><td><code>{escape(n)}</code></td><td>{escape(what)}</td></tr>" for n, what in HINTS)
    saved = ("<p class=\"note\">This card will be saved for your next purchases.</p>"
             if intent.get("setup_future_usage") and intent.get("customer") else "")
    hidden = f"<input type=\"hidden\" name=\"client_secret\" value=\"{escape(client_secret)}\">"
    if return_url:
        hidden += f"<input type=\"hidden\" name=\"return_url\" value=\"{escape(return_url)}\">"
    error_html = f"<p class=\"error\" role=\"alert\" id=\"payment-error\">{escape(error)}</p>" if error else ""
    if challenge_url:
        error_html += (f"<p class=\"note\">Your bank asks you to confirm this payment. "
                       f"<a id=\"authenticate-link\" href=\"{escape(challenge_url)}\">Confirm it with your bank"
                       f"</a>, or pay with another card below.</p>")
    leave = (f"<p><a id=\"cancel-link\" href=\"{escape(leave_url)}\">Cancel and go back to the shop</a></p>"
             if leave_url else "")
    return _page(f"Pay {amount}", f"""
<h1>Halles &middot; local test payments</h1>
<div class="amount" id="amount">{escape(amount)}</div>
{error_html}
<form method="post" action="/pay/{escape(intent['id'])}/confirm" autocomplete="off">
  {hidden}
  <label for="card-number">Card number</label>
  <input id="card-number" name="card_number" inputmode="numeric" placeholder="4242 4242 4242 4242"
         value="{escape(number)}" required>
  <div class="row">
    <div><label for="card-expiry">Expiry (MM/YY)</label>
      <input id="card-expiry" name="expiry" placeholder="12/34" value="{escape(expiry)}" required></div>
    <div><label for="card-cvc">CVC</label>
      <input id="card-cvc" name="cvc" inputmode="numeric" placeholder="123" required></div>
  </div>
  {saved}
  <button id="pay-button" type="submit">Pay {escape(amount)}</button>
</form>
{leave}
<table aria-label="Test cards">{hints}</table>
<p class="note">Test mode: no real money moves. Any future expiry date and any 3-digit CVC work.</p>
""")


def payment_result(intent: dict, return_url: str | None, message: str, *, ok: bool) -> str:
    link = f"<p><a id=\"return-link\" href=\"{escape(return_url)}\">Back to the shop</a></p>" if return_url else ""
    css = "ok" if ok else "error"
    return _page("Payment", f"""
<h1>Halles &middot; local test payments</h1>
<div class="amount">{escape(format_money(intent['amount'], intent['currency']))}</div>
<p class="{css}" id="payment-status">{escape(message)}</p>{link}
""")


def challenge_form(token: str, intent: dict, *, back: str | None = None) -> str:
    """The bank's 3-D Secure challenge, as Stripe's test mode shows it: pass or fail on request."""
    amount = format_money(intent["amount"], intent["currency"])
    action = f"/3ds/{escape(token)}"
    kept = f"<input type=\"hidden\" name=\"back\" value=\"{escape(back)}\">" if back else ""
    return _page("Authenticate your payment", f"""
<h1>Halles &middot; local 3-D Secure test</h1>
<div class="amount">{escape(amount)}</div>
<p>Your bank asks you to confirm this payment.</p>
<p class="note">Test mode: choose how the authentication ends.</p>
<form method="post" action="{action}">
  <input type="hidden" name="outcome" value="complete">{kept}
  <button id="complete-authentication" type="submit">Complete authentication</button>
</form>
<form method="post" action="{action}">
  <input type="hidden" name="outcome" value="fail">{kept}
  <button id="fail-authentication" type="submit" style="background:#9b1c1c">Fail authentication</button>
</form>
""")


def invalid_link(message: str) -> str:
    return _page("Invalid link", f"<h1>Halles &middot; local test payments</h1><p class=\"error\">{escape(message)}</p>")


def onboarding_form(token: str, account: dict) -> str:
    return _page("Set up payouts", f"""
<h1>Halles &middot; local Connect onboarding</h1>
<p>Account <code>{escape(account['id'])}</code>{' (' + escape(account['email']) + ')' if account.get('email') else ''}</p>
<p class="note">Test mode: "Complete onboarding" activates the account for card payments, transfers and
payouts; "Leave requirements due" submits it with the person's date of birth and ID document still due.</p>
<form method="post" action="/connect/onboarding/{escape(token)}">
  <button id="complete-onboarding" type="submit" name="action" value="complete">Complete onboarding</button>
  <button id="leave-requirements-due" type="submit" name="action" value="leave_due"
          style="background:#6b7280">Leave requirements due</button>
</form>
""")
