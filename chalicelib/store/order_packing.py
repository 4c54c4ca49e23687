"""How an order item is laid out in DynamoDB: the few attributes that are keys, index keys or
conditions stay attributes of their own; everything else is ONE zlib-compressed JSON document,
the Binary attribute `packed`.

Why: DynamoDB bills a write 1 WRU per KB of the whole item (an update: the larger of before and
after), an order is rewritten on every transition, and 2x inside a transaction. An order well into
its life is ~6 KB of JSON; zlib alone packs it into ~1.3 KB (2 WRU a write). Two things take it
under 1 KB (1 WRU):

- a preset dictionary (`DICTIONARIES`): the key names, labels and shapes every order repeats,
  so the compressed document only carries what is particular to this order (ids, names,
  amounts, times). zlib records the dictionary's Adler-32 in the stream's header, so a reader
  finds the one a document was written with; a document written without one (before this)
  reads as it always did. A dictionary is NEVER edited once released: add a new one and point
  `WRITE_WITH` at it (documents already stored keep naming the old one; dictionary 2 is dictionary 1
  followed by a whole order's life, which keeps a two-vendor order paid out under 1 KB). The dictionary a document
  is written with ends with the order's own immutable attributes (`PARTICULARS`: its id, its
  shopper's, its creation time), stored beside the document anyway: the document repeats them
  (ledger ids, events, times) and each first mention would otherwise cost its full length;
- the scalars nothing queries or conditions on (`order_number`, `payment_status`, `charge_id`,
  `client_secret`, `total`, `currency`, `country`) are in the document too, each attribute name
  no longer paid for on every write; `reserved_until`, the `by_status` index's range key, stays an
  attribute only while the order is `pending_payment` (that index is only ever read for orders
  pending payment, chalicelib/store/orders.py `list_expired_pending`): a paid order leaves the index
  (one index delete instead of a delete and a put) and stops carrying it outside the document.

Stays an attribute: `order_id` (key), `shopper_id` and `created_at` (`by_shopper`), `status`
(`by_status`), `payment_intent_id` (`by_payment_intent`, and set_payment_intent's condition),
`version` (every save's condition). `set_payment_intent` sets `client_secret` as an attribute of its
own (an update, no read): `unpacked` lets the document's copy win once a save has moved it in.
Items stored with each of those as attributes (before `packed`, or before a field moved into it)
read the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chalicelib.store import preset_zlib

PENDING_PAYMENT = "pending_payment"

# In the document. The first eleven were packed from the start; the scalars after them since 2026-11.
PACKED_FIELDS = ("quote", "lines", "timeline", "refunds", "disputes", "shipping_address", "attempts", "outbox",
                 "ledger_ids", "returns", "claims",
                 "order_number", "payment_status", "charge_id", "client_secret", "total", "currency", "country")
# An attribute of its own only while the order is pending payment (module docstring); else in the document.
PENDING_ONLY = ("reserved_until",)

# Dictionary 1 (2026-11): the JSON of an order with its particulars left out, keys sorted as `packed`
# writes them. Frozen: stored documents name it by its Adler-32 (module docstring).
_DICTIONARY_1 = (
    b'{"attempts":[{"at":"2026-","id":"pi_","outcome":"declined","reason":"card_declined"}],"claims":{},"d'
    b'isputes":{},"ledger_ids":["ord_:commission","ord_:payout_release","ord_:sale","ord_:transfer:tr_"],"'
    b'lines":[{"condition":"new","offer_id":"off_","product_id":"prd_","promotion_id":"","quantity":1,"shi'
    b'pping_fee":0,"title":"","unit_discount":0,"unit_price":0,"vendor_id":"","vendor_name":""}],"outbox":'
    b'[{"effect":"ClearCartLines","order_id":"ord_","quantities":[["off_",1]],"shopper_id":""},{"amount":0'
    b',"attempt":0,"currency":"EUR","effect":"TransferPayout","order_id":"ord_","top_up":0,"vendor_id":""}'
    b',{"data":{"accepted_at":"","carrier":"","charge_id":"ch_","confirmed_by":"shopper","delivered_at":""'
    b',"order_id":"ord_","order_number":"H-","paid_at":"","shipped_at":"","shopper_id":"","total":{"amount'
    b'":0,"currency":"EUR"},"tracking_number":"","tracking_url":"https://","vendor_id":"","vendor_ids":[],'
    b'"version":1},"dedup_key":"ord_","effect":"Publish","event":"order.paid"}],"quote":{"country":"DE","c'
    b'urrency":"EUR","discount":{"amount":0,"currency":"EUR"},"items":{"amount":0,"currency":"EUR"},"servi'
    b'ce_fee":{"amount":0,"currency":"EUR"},"shipping":{"amount":0,"currency":"EUR"},"total":{"amount":0,"'
    b'currency":"EUR"},"vat_included":{"amount":0,"currency":"EUR"},"vat_rate_bps":1900,"vendors":[{"disco'
    b'unt":{"amount":0,"currency":"EUR"},"items":{"amount":0,"currency":"EUR"},"lines":[{"offer_id":"off_"'
    b',"product_id":"prd_","promoted_unit_price":null,"promotion_id":null,"quantity":1,"subtotal":{"amount'
    b'":0,"currency":"EUR"},"title":"","unit_price":{"amount":0,"currency":"EUR"}}],"shipping":{"amount":0'
    b',"currency":"EUR"},"total":{"amount":0,"currency":"EUR"},"vendor_id":""}]},"refunds":{},"returns":{}'
    b',"shipping_address":{"city":"","country":"DE","line1":"","line2":"","name":"","phone":"","postal_cod'
    b'e":""},"timeline":[{"at":"2026-","audience":"shopper","id":"placed","label":"Order placed","status":'
    b'"pending_payment"},{"at":"2026-","audience":"internal","id":"stock:reserved","kind":"stock","label":'
    b'"Stock reserved"},{"at":"2026-","audience":"shopper","details":{"charge_id":"ch_"},"id":"paid","labe'
    b'l":"Payment received","status":"paid"},{"at":"2026-","audience":"internal","id":"stock:sold","kind":'
    b'"stock","label":"Stock sold"},{"at":"2026-","audience":"internal","details":{"vendor_id":""},"id":"a'
    b'ccepted:","kind":"fulfilment","label":"Accepted by "},{"at":"2026-","audience":"shopper","details":{'
    b'"carrier":"","tracking_number":"","tracking_url":"https://","vendor_id":""},"id":"shipped:","kind":"'
    b'shipment","label":"Shipped by  with "},{"at":"2026-","audience":"internal","details":{"by":"shopper"'
    b',"vendor_id":""},"id":"receipt:","kind":"delivery","label":"Receipt confirmed"},{"at":"2026-","audie'
    b'nce":"shopper","details":{"by":"shopper","vendor_id":""},"id":"delivered:","kind":"delivery","label"'
    b':"Delivered ("},{"at":"2026-","audience":"internal","details":{"amount":0,"transfer_id":"tr_","vendo'
    b'r_id":""},"id":"transfer:","kind":"transfer","label":"Vendor payout sent"}]}'
)
# Dictionary 2 (2026-11): dictionary 1 followed by the JSON of a whole order's life as the app writes it
# (two vendors' parts paid, shipped, received and paid out: the scalars, the full quote, every timeline
# entry, the ledger ids of both vendors), particulars left out. Orders late in their life compressed
# against dictionary 1 alone passed 1 KB (2 WRU a save, 4 in the transaction); against this one they stay
# under it. Frozen like dictionary 1.
_DICTIONARY_2 = _DICTIONARY_1 + (
    b'{"attempts":[],"charge_id":"ch_","client_secret":"pi__secret_","country":"DE","currency":"EUR","disp'
    b'utes":{},"ledger_ids":["ord_::commission","ord_::payout_release","ord_::sale","ord_::transfer:tr_","'
    b'ord_::commission","ord_::payout_release","ord_::sale","ord_::transfer:tr_"],"lines":[{"condition":"n'
    b'ew","offer_id":"off_","product_id":"prd_","promotion_id":"","quantity":1,"shipping_fee":0,"title":""'
    b',"unit_discount":0,"unit_price":0,"vendor_id":"","vendor_name":""},{"condition":"refurbished","offer'
    b'_id":"off_","product_id":"prd_","promotion_id":"","quantity":1,"shipping_fee":0,"title":"","unit_dis'
    b'count":0,"unit_price":0,"vendor_id":"","vendor_name":""}],"order_number":"H-","outbox":[],"payment_s'
    b'tatus":"paid","quote":{"country":"DE","currency":"EUR","discount":{"amount":0,"currency":"EUR"},"ite'
    b'ms":{"amount":0,"currency":"EUR"},"service_fee":{"amount":0,"currency":"EUR"},"shipping":{"amount":0'
    b',"currency":"EUR"},"total":{"amount":0,"currency":"EUR"},"vat_included":{"amount":0,"currency":"EUR"'
    b'},"vat_rate_bps":1900,"vendors":[{"discount":{"amount":0,"currency":"EUR"},"items":{"amount":0,"curr'
    b'ency":"EUR"},"lines":[{"offer_id":"off_","product_id":"prd_","promoted_unit_price":null,"promotion_i'
    b'd":null,"quantity":1,"subtotal":{"amount":0,"currency":"EUR"},"title":"","unit_price":{"amount":0,"c'
    b'urrency":"EUR"}}],"shipping":{"amount":0,"currency":"EUR"},"total":{"amount":0,"currency":"EUR"},"ve'
    b'ndor_id":""},{"discount":{"amount":0,"currency":"EUR"},"items":{"amount":0,"currency":"EUR"},"lines"'
    b':[{"offer_id":"off_","product_id":"prd_","promoted_unit_price":null,"promotion_id":null,"quantity":1'
    b',"subtotal":{"amount":0,"currency":"EUR"},"title":"","unit_price":{"amount":0,"currency":"EUR"}}],"s'
    b'hipping":{"amount":0,"currency":"EUR"},"total":{"amount":0,"currency":"EUR"},"vendor_id":""}]},"refu'
    b'nds":{},"reserved_until":"2026-","shipping_address":{"city":"","country":"DE","line1":"","line2":"",'
    b'"name":"","phone":"","postal_code":""},"timeline":[{"at":"2026-","audience":"shopper","id":"placed",'
    b'"label":"Order placed","status":"pending_payment"},{"at":"2026-","audience":"internal","id":"stock:r'
    b'eserved","kind":"stock","label":"Stock reserved"},{"at":"2026-","audience":"shopper","details":{"cha'
    b'rge_id":"ch_"},"id":"paid","label":"Payment received","status":"paid"},{"at":"2026-","audience":"int'
    b'ernal","id":"stock:sold","kind":"stock","label":"Stock sold"},{"at":"2026-","audience":"internal","d'
    b'etails":{"vendor_id":""},"id":"accepted:","kind":"fulfilment","label":"Accepted by "},{"at":"2026-",'
    b'"audience":"shopper","details":{"carrier":"","tracking_number":"","tracking_url":"https://","vendor_'
    b'id":""},"id":"shipped:","kind":"shipment","label":"Shipped by  with "},{"at":"2026-","audience":"int'
    b'ernal","details":{"vendor_id":""},"id":"accepted:","kind":"fulfilment","label":"Accepted by "},{"at"'
    b':"2026-","audience":"shopper","details":{"carrier":"","tracking_number":"","tracking_url":"https://"'
    b',"vendor_id":""},"id":"shipped:","kind":"shipment","label":"Shipped by  with "},{"at":"2026-","audie'
    b'nce":"internal","details":{"by":"shopper","vendor_id":""},"id":"receipt:","kind":"delivery","label":'
    b'"Receipt confirmed"},{"at":"2026-","audience":"shopper","details":{"by":"shopper","vendor_id":""},"i'
    b'd":"delivered:","kind":"delivery","label":"Delivered ("},{"at":"2026-","audience":"internal","detail'
    b's":{"amount":0,"transfer_id":"tr_","vendor_id":""},"id":"transfer:","kind":"transfer","label":"Vendo'
    b'r payout sent"},{"at":"2026-","audience":"internal","details":{"by":"shopper","vendor_id":""},"id":"'
    b'receipt:","kind":"delivery","label":"Receipt confirmed"},{"at":"2026-","audience":"shopper","details'
    b'":{"by":"shopper","vendor_id":""},"id":"delivered:","kind":"delivery","label":"Delivered ("},{"at":"'
    b'2026-","audience":"internal","details":{"amount":0,"transfer_id":"tr_","vendor_id":""},"id":"transfe'
    b'r:","kind":"transfer","label":"Vendor payout sent"}],"total":32800}'
)
DICTIONARIES = (_DICTIONARY_1, _DICTIONARY_2)
WRITE_WITH = _DICTIONARY_2
# Attributes of the item that never change once it is placed, stored apart from the document.
PARTICULARS = ("order_id", "shopper_id", "created_at")


def _particulars(item: Mapping[str, Any]) -> bytes:
    return "|".join(str(item.get(name) or "") for name in PARTICULARS).encode()


def _json_value(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def compress(document: bytes, item: Mapping[str, Any]) -> bytes:
    return preset_zlib.pack(document, WRITE_WITH + _particulars(item))


def decompress(blob: bytes, item: Mapping[str, Any]) -> bytes:
    """A document written with any of DICTIONARIES (followed by `item`'s particulars or not), or with
    none (documents stored before them)."""
    particulars = _particulars(item)
    return preset_zlib.unpack(blob, (candidate for base in DICTIONARIES for candidate in (base + particulars, base)),
                              what=f"order {item.get('order_id')}: its document")


def _in_document(name: str, item: Mapping[str, Any]) -> bool:
    if name in PACKED_FIELDS:
        return True
    return name in PENDING_ONLY and item.get("status") != PENDING_PAYMENT


def packed(item: Mapping[str, Any]) -> dict:
    """The order item as stored: what nothing queries nor conditions on moved into `packed`."""
    bulky = {name: value for name, value in item.items() if value is not None and _in_document(name, item)}
    stored = {name: value for name, value in item.items() if not _in_document(name, item)}
    document = json.dumps(bulky, separators=(",", ":"), sort_keys=True, default=_json_value)
    stored["packed"] = compress(document.encode(), item)
    return stored


def unpacked(data: dict) -> dict:
    """A stored item (plain values) with its document's fields back in place; an item stored before
    the packed layout is returned as it is."""
    blob = data.pop("packed", None)
    if blob is not None:
        data.update(json.loads(decompress(bytes(blob), data)))
    return data
