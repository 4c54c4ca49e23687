"""Bulk offer imports: the CSV file a vendor uploads, checked as a whole, then row by row.

The file (documented in README.md, "Bulk CSV import"):
- UTF-8, with or without a byte order mark; comma- or semicolon-separated (read from the header
  line: whichever of the two it holds more of); at most MAX_ROWS data rows and MAX_FILE_BYTES.
- A header line naming the columns, in any order and case: `gtin` or `product_id` (at least one),
  `price`, `stock`, `min_days`, `max_days` (required), `condition`, `shipping_fee`, `currency`
  (optional: `new`, 0 and the platform currency). An unknown column is refused (a typo such as
  `stok` would otherwise be silently ignored).
- Amounts in major units as a spreadsheet writes them (`19.99` or `19,99`, at most the currency's
  decimals, no thousands separator); they become integer minor units here, never floats.

What makes the whole file unusable (not UTF-8, not CSV, a missing or unknown column, no rows, too
many rows) raises InvalidInput naming `file` (or the column) before anything is written. A row
that breaks an offer rule (the same `validate_offer` as the offer PUT) becomes a RowError naming
its row (the file's line: the header is row 1) and column; the other rows are imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from chalicelib.domain.catalog import CONDITIONS, is_valid_id, normalise_gtin, offer_id_for, validate_offer
from chalicelib.domain.errors import DomainError, InvalidInput
from chalicelib.domain.input_limits import IMPORT_MAX_FILE_BYTES as MAX_FILE_BYTES
from chalicelib.domain.money import CURRENCIES

MAX_ROWS = 10_000
CHUNK_ROWS = 200  # rows per queued chunk: one SQS message (well under 256 KB) and one progress update
MAX_FIELD_CHARS = 200

PRODUCT_COLUMNS = ("gtin", "product_id")
REQUIRED_COLUMNS = ("price", "stock", "min_days", "max_days")
OPTIONAL_COLUMNS = ("condition", "shipping_fee", "currency")
COLUMNS = PRODUCT_COLUMNS + REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# validate_offer's field names -> the CSV column a vendor fixes.
_COLUMN_OF_FIELD = {
    "price": "price", "price.amount": "price", "price.currency": "currency",
    "shipping_fee": "shipping_fee", "shipping_fee.amount": "shipping_fee", "shipping_fee.currency": "currency",
    "condition": "condition", "stock": "stock", "delivery": "min_days",
    "delivery.min_days": "min_days", "delivery.max_days": "max_days",
}
_AMOUNT = re.compile(r"^(\d{1,9})(?:[.,](\d{1,4}))?$")
_INTEGER = re.compile(r"^[+]?\d{1,9}$")


@dataclass(frozen=True)
class RowError:
    """A refused row of an offer import: its line, column and why."""

    row: int  # the file's line number (the header is row 1)
    column: str
    message: str

    def as_list(self) -> list:
        return [self.row, self.column, self.message]


@dataclass(frozen=True)
class ImportRow:
    """One valid row: the offer it declares, in the shape `validate_offer` (and the offer PUT) takes."""

    row: int
    product_id: str
    condition: str
    price: int  # minor units
    shipping_fee: int
    stock: int
    min_days: int
    max_days: int

    def offer_data(self, currency: str) -> dict:
        return {
            "price": {"amount": self.price, "currency": currency},
            "shipping_fee": {"amount": self.shipping_fee, "currency": currency},
            "condition": self.condition, "stock": self.stock,
            "delivery": {"min_days": self.min_days, "max_days": self.max_days},
        }

    def as_list(self) -> list:
        return [self.row, self.product_id, self.condition, self.price, self.shipping_fee, self.stock,
                self.min_days, self.max_days]

    @classmethod
    def from_list(cls, values: Sequence) -> ImportRow:
        row, product_id, condition, price, shipping_fee, stock, min_days, max_days = values
        return cls(int(row), str(product_id), str(condition), int(price), int(shipping_fee), int(stock),
                   int(min_days), int(max_days))


@dataclass(frozen=True)
class Chunk:
    """A slice of the file processed as one queued message: its valid rows and the rows already refused."""

    number: int
    rows: tuple[ImportRow, ...]
    errors: tuple[RowError, ...]

    @property
    def size(self) -> int:
        return len(self.rows) + len({e.row for e in self.errors})


@dataclass(frozen=True)
class ParsedImport:
    """An offer import file read: its rows and the rows refused."""

    content_hash: str
    rows_total: int
    rows: tuple[ImportRow, ...]
    errors: tuple[RowError, ...]

    def chunks(self, size: int = CHUNK_ROWS) -> list[Chunk]:
        """The rows in file order, `size` rows (valid or not) a chunk."""
        by_row: dict[int, tuple[list, list]] = {}
        for row in self.rows:
            by_row.setdefault(row.row, ([], []))[0].append(row)
        for error in self.errors:
            by_row.setdefault(error.row, ([], []))[1].append(error)
        numbers = sorted(by_row)
        chunks = []
        for index, start in enumerate(range(0, len(numbers), size)):
            rows, errors = [], []
            for number in numbers[start:start + size]:
                rows.extend(by_row[number][0])
                errors.extend(by_row[number][1])
            chunks.append(Chunk(index, tuple(rows), tuple(errors)))
        return chunks


def _file_error(message: str, detail: str, field: str = "file") -> InvalidInput:
    return InvalidInput(message, code="invalid_file", fields={field: detail})


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def decode(raw: bytes) -> str:
    """The file's text: UTF-8, a leading byte order mark dropped; anything else is a 400 naming `file`."""
    if not raw or not raw.strip():
        raise _file_error("The file is empty.", "empty: expected a header line and at least one row")
    if len(raw) > MAX_FILE_BYTES:
        raise _file_error(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.",
                          f"at most {MAX_FILE_BYTES} bytes")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_error("The file is UTF-16; save it as UTF-8 (\"CSV UTF-8\" in spreadsheets).",
                          "encoding: UTF-16, expected UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _file_error("The file is not UTF-8 text; save it as UTF-8 (\"CSV UTF-8\" in spreadsheets).",
                          f"encoding: invalid UTF-8 at byte {err.start}") from None
    if "\x00" in text:
        raise _file_error("The file is not a CSV text file (it holds NUL bytes).", "not CSV: binary content")
    return text


def delimiter_of(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _header(cells: list[str]) -> list[str]:
    names = [" ".join(c.split()).lower().replace(" ", "_") for c in cells]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        shown = ", ".join(repr(n[:40]) for n in unknown[:5])
        raise _file_error(f"Unknown column(s) {shown}. Columns: {', '.join(COLUMNS)}.",
                          f"unknown column(s): {shown}", field="header")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise _file_error(f"Column(s) {', '.join(duplicated)} appear more than once.",
                          f"duplicated column(s): {', '.join(duplicated)}", field="header")
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if not any(n in names for n in PRODUCT_COLUMNS):
        missing.insert(0, "gtin or product_id")
    if missing:
        raise _file_error(f"Missing column(s): {', '.join(missing)}.", f"missing column(s): {', '.join(missing)}",
                          field="header")
    return names


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for every non-blank record; the header is row 1."""
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(first_line), strict=True)
    number = 0
    try:
        for cells in reader:
            number += 1
            if any(c.strip() for c in cells):
                yield number, cells
    except csv.Error as err:
        raise _file_error(f"The file is not valid CSV near row {number + 1}: {err}.",
                          f"not CSV: {err} (row {number + 1})") from None


def amount_in_minor_units(text: str, currency: str) -> int:
    """`19.99` / `19,99` / `20` -> 1999 / 1999 / 2000 for a two-decimal currency; ValueError otherwise."""
    match = _AMOUNT.match(text.strip())
    if match is None:
        raise ValueError("an amount such as 19.99 (no currency sign, no thousands separator)")
    exponent = CURRENCIES[currency]
    fraction = match.group(2) or ""
    if len(fraction) > exponent:
        raise ValueError(f"at most {exponent} decimals")
    return int(match.group(1)) * 10**exponent + int(fraction.ljust(exponent, "0") or 0)


def _integer(text: str, what: str) -> int:
    if not _INTEGER.match(text.strip()):
        raise ValueError(what)
    return int(text.strip())


def parse_row(number: int, values: dict[str, str], platform_currency: str) -> ImportRow | list[RowError]:
    """One record -> the offer it declares, or every error it holds (one per column)."""
    errors: dict[str, str] = {}
    for column, value in values.items():
        if len(value) > MAX_FIELD_CHARS:
            errors[column] = f"at most {MAX_FIELD_CHARS} characters"
    currency = values.get("currency", "").strip().upper() or platform_currency
    if currency != platform_currency:
        errors.setdefault("currency", f"offers are priced in {platform_currency}")
    product_id = ""
    gtin, given_id = values.get("gtin", "").strip(), values.get("product_id", "").strip()
    if gtin:
        try:
            product_id = f"prd_{normalise_gtin(gtin)}"
        except InvalidInput as err:
            errors.setdefault("gtin", next(iter(err.fields.values()), "invalid GTIN"))
        if given_id and product_id and given_id != product_id:
            errors.setdefault("product_id", f"does not match the gtin's product ({product_id})")
    elif given_id:
        if is_valid_id(given_id):
            product_id = given_id
        else:
            errors.setdefault("product_id", "not a product id")
    else:
        errors.setdefault("gtin" if "gtin" in values else "product_id", "required: a gtin or a product_id")
    condition = values.get("condition", "").strip().lower() or "new"
    parsed: dict[str, int] = {}
    if currency == platform_currency:
        for column, required in (("price", True), ("shipping_fee", False)):
            text = values.get(column, "").strip()
            if not text:
                if required:
                    errors.setdefault(column, "required")
                else:
                    parsed[column] = 0
                continue
            try:
                parsed[column] = amount_in_minor_units(text, currency)
            except ValueError as err:
                errors.setdefault(column, str(err))
    for column in ("stock", "min_days", "max_days"):
        text = values.get(column, "").strip()
        if not text:
            errors.setdefault(column, "required")
            continue
        try:
            parsed[column] = _integer(text, "a whole number")
        except ValueError as err:
            errors.setdefault(column, str(err))
    row = ImportRow(number, product_id, condition, parsed.get("price"), parsed.get("shipping_fee", 0),
                    parsed.get("stock"), parsed.get("min_days"), parsed.get("max_days"))
    try:  # the offer PUT's own rules, so an imported offer is one the form would have accepted
        validate_offer(row.offer_data(platform_currency), platform_currency)
    except DomainError as err:
        for field, message in err.fields.items():
            errors.setdefault(_COLUMN_OF_FIELD.get(field, field), message)
    if not errors:
        return row
    if "condition" in errors and condition not in CONDITIONS:
        errors["condition"] = f"one of {', '.join(CONDITIONS)}"
    return [RowError(number, column, message) for column, message in errors.items()]


def parse_import(raw: bytes, vendor_id: str, platform_currency: str) -> ParsedImport:
    """The whole file checked (400 naming `file` or `header` when unusable), then each row.

    A second row for the same offer (product and condition) is refused naming the first: the
    file would otherwise say two things about one offer.
    """
    records = _records(decode(raw))
    try:
        _, header_cells = next(records)
    except StopIteration:
        raise _file_error("The file is empty.", "empty: expected a header line and at least one row") from None
    names = _header(header_cells)
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    first_row_of_offer: dict[str, int] = {}
    total = 0
    for number, cells in records:
        total += 1
        if total > MAX_ROWS:
            raise _file_error(f"The file has more than {MAX_ROWS} rows; split it into several imports.",
                              f"too many rows: at most {MAX_ROWS}")
        if len(cells) != len(names):
            errors.append(RowError(number, "row", f"{len(cells)} fields where the header has {len(names)}"))
            continue
        parsed = parse_row(number, dict(zip(names, cells)), platform_currency)
        if isinstance(parsed, list):
            errors.extend(parsed)
            continue
        offer_id = offer_id_for(vendor_id, parsed.product_id, parsed.condition)
        if offer_id in first_row_of_offer:
            errors.append(RowError(number, "product_id" if "product_id" in names else "gtin",
                                   f"the same offer (product and condition) as row {first_row_of_offer[offer_id]}"))
            continue
        first_row_of_offer[offer_id] = number
        rows.append(parsed)
    if total == 0:
        raise _file_error("The file has a header but no rows.", "no rows after the header")
    return ParsedImport(content_hash(raw), total, tuple(rows), tuple(errors))


def error_report_csv(errors: Sequence[RowError]) -> str:
    """The per-row error report a vendor downloads: row, column, message; in row order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", "column", "message"])
    for error in sorted(errors, key=lambda e: (e.row, e.column)):
        writer.writerow([error.row, error.column, _spreadsheet_safe(error.message)])
    return out.getvalue()


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (messages may quote the vendor's own input)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
