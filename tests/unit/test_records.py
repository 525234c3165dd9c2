"""Record kinds and how customers write their ids."""

import pytest

from actions.records import ALL_KINDS, CLAIM, CUSTOMER, INVOICE, ORDER, TOPICS, strip_ids


@pytest.mark.parametrize(
    "raw",
    [
        "BW-100002",
        "bw 100002",
        "bw100002",
        "Bw-100002",
        "BW 100002",
        "bW100002",
        "my order is bw 100002, thanks",
        "order #BW-100002?",
        "(BW-100002)",
    ],
)
def test_order_ids_are_normalized(raw):
    assert ORDER.normalize(raw) == "BW-100002"


@pytest.mark.parametrize(
    "kind,raw,expected",
    [
        (CLAIM, "CLM-70001", "CLM-70001"),
        (CLAIM, "clm 70001", "CLM-70001"),
        (CLAIM, "claim clm70013 please", "CLM-70013"),
        (INVOICE, "INV-900001", "INV-900001"),
        (INVOICE, "inv 900001", "INV-900001"),
        (INVOICE, "Inv900132", "INV-900132"),
        (CUSTOMER, "C-1001", "C-1001"),
        (CUSTOMER, "c 1001", "C-1001"),
        (CUSTOMER, "my customer number is c1048", "C-1048"),
    ],
)
def test_other_kinds_are_normalized(kind, raw, expected):
    assert kind.normalize(raw) == expected


@pytest.mark.parametrize(
    "kind,raw",
    [
        (ORDER, "CLM-70001"),  # a claim id is no order id
        (ORDER, "INV-900001"),
        (ORDER, "BW-10002"),  # too few digits
        (ORDER, "BW-1000023"),  # too many digits
        (ORDER, "BW--100002"),
        (ORDER, "XBW-100002"),  # prefix inside a longer word
        (ORDER, "100002"),
        (ORDER, "BW_100002"),
        (ORDER, ""),
        (CLAIM, "BW-100002"),
        (CLAIM, "CLM-7000"),
        (INVOICE, "INV-90000"),
        (INVOICE, "CLM-70001"),
        (CUSTOMER, "BW-100002"),
        (CUSTOMER, "C-100"),
        (CUSTOMER, "C-10010"),
        (CUSTOMER, "CLM-70001"),
    ],
)
def test_ids_of_the_wrong_kind_or_shape_are_none(kind, raw):
    assert kind.normalize(raw) is None


@pytest.mark.parametrize("raw", [None, 100002, ["BW-100002"], {"id": "BW-100002"}, b"BW-100002"])
def test_non_strings_are_none(raw):
    assert ORDER.normalize(raw) is None


def test_first_id_in_the_text_wins():
    assert ORDER.normalize("BW-100003 or BW-100002") == "BW-100003"


def test_kinds_name_their_slot_collection_and_label():
    assert [(k.topic, k.slot, k.collection, k.label, k.prefix) for k in ALL_KINDS] == [
        ("order", "order_id", "orders", "order", "BW"),
        ("claim", "claim_id", "claims", "claim", "CLM"),
        ("invoice", "invoice_id", "invoices", "invoice", "INV"),
        ("customer", "customer_id", "customers", "customer number", "C"),
    ]
    assert TOPICS == {"order": ORDER, "claim": CLAIM, "invoice": INVOICE}


def test_fixture_ids_round_trip(crm):
    for kind, records in (
        (ORDER, crm["orders"]),
        (CLAIM, crm["claims"]),
        (INVOICE, crm["invoices"]),
        (CUSTOMER, crm["customers"]),
    ):
        for record in records:
            assert kind.normalize(record["id"]) == record["id"]
            assert kind.normalize(record["id"].lower().replace("-", " ")) == record["id"]


def test_strip_ids_removes_every_kind_of_id_and_keeps_the_rest():
    text = strip_ids(
        "order BW-100002, claim clm 70001, invoice INV900001, customer c-1001, postcode 98096"
    )
    for gone in ("100002", "70001", "900001", "1001", "BW", "clm", "INV", "c-"):
        assert gone not in text
    assert "98096" in text
    assert text.split() == [
        "order",
        ",",
        "claim",
        ",",
        "invoice",
        ",",
        "customer",
        ",",
        "postcode",
        "98096",
    ]


def test_strip_ids_leaves_text_without_ids_alone():
    text = "my postcode is SW1A 1AA and I was born 05/12/2000"
    assert strip_ids(text) == text
