"""Record format and varints (engine/storage/record.py), checked against sqlite3."""

from __future__ import annotations

import math
import struct

import pytest

from engine.errors import CorruptError
from engine.storage.btree import TableCursor, create_table
from engine.storage.pager import Pager
from engine.storage.record import (
    decode_record,
    decode_record_prefix,
    encode_record,
    get_varint,
    put_varint,
    serial_type_of,
    varint_len,
)
from engine.storage.vfs import OSVFS

from storage_helpers import requires_sqlite3, sqlite, sqlite_out


VARINT_CASES = [0, 1, 127, 128, 240, 2287, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28,
                2 ** 35, 2 ** 42, 2 ** 49, 2 ** 56 - 1, 2 ** 56, 2 ** 63 - 1, -1, -2 ** 63, -12345]


@pytest.mark.parametrize("value", VARINT_CASES)
def test_varint_round_trip(value):
    enc = put_varint(value)
    assert len(enc) == varint_len(value)
    assert 1 <= len(enc) <= 9
    assert get_varint(enc + b"\xff\xff", 0) == (value, len(enc))


def test_varint_lengths_follow_the_spec():
    # 7 bits per byte for up to 8 bytes, then a full 9th byte.
    assert len(put_varint(127)) == 1 and len(put_varint(128)) == 2
    assert len(put_varint(2 ** 56 - 1)) == 8 and len(put_varint(2 ** 56)) == 9
    assert len(put_varint(-1)) == 9
    assert put_varint(-1) == b"\xff" * 9
    assert put_varint(0x81) == b"\x81\x01"


def test_truncated_varint_is_corruption():
    with pytest.raises(CorruptError):
        get_varint(b"\x81\x82", 0)


SERIAL_CASES = [
    (None, 0), (0, 8), (1, 9), (2, 1), (-128, 1), (127, 1), (128, 2), (-129, 2),
    (32767, 2), (32768, 3), (-8388608, 3), (8388608, 4), (2 ** 31 - 1, 4), (2 ** 31, 5),
    (-2 ** 47, 5), (2 ** 47, 6), (2 ** 63 - 1, 6), (-2 ** 63, 6),
    (0.0, 7), (2.0, 7), (-1.5, 7), (1e308, 7), (float("inf"), 7), (5e-324, 7),
    ("", 13), ("a", 15), ("héllo", 13 + 2 * 6), (b"", 12), (b"\x00\xff", 16),
]


@pytest.mark.parametrize("value,serial", SERIAL_CASES)
def test_serial_types_and_round_trip(value, serial):
    assert serial_type_of(value) == serial
    rec = encode_record((value,))
    assert rec[1] == serial or get_varint(rec, 1)[0] == serial
    out = decode_record(rec)
    assert out == (value,)
    assert type(out[0]) is type(value)


def test_round_trip_mixed_and_long_records():
    values = (None, 0, 1, -7, 2 ** 40, 3.25, "text", b"blob", "x" * 10000, b"\x00" * 70000)
    assert decode_record(encode_record(values)) == values
    many = tuple(range(300))          # header longer than 127 bytes: 2-byte size varint
    rec = encode_record(many)
    assert get_varint(rec, 0)[0] > 127
    assert decode_record(rec) == many
    assert decode_record(encode_record(())) == ()


def test_header_size_varint_boundary():
    # Find column counts around the point where the header size needs 2 bytes.
    for n in range(120, 135):
        rec = encode_record((None,) * n)
        size, p = get_varint(rec, 0)
        assert size == len(rec)               # all NULLs: body is empty
        assert decode_record(rec) == (None,) * n


def test_prefix_decoding():
    rec = encode_record((5, "a", b"b", None, 2.5))
    assert decode_record_prefix(rec, 2) == (5, "a")
    assert decode_record_prefix(rec, 0) == ()
    assert decode_record_prefix(rec, 99) == (5, "a", b"b", None, 2.5)


def test_invalid_utf8_round_trips_bytes_exactly():
    raw = b"ok\xff\xfe"
    rec = bytes([2, 13 + 2 * len(raw)]) + raw
    value = decode_record(rec)[0]
    assert isinstance(value, str)
    assert encode_record((value,)) == rec


def test_bool_is_stored_as_integer():
    assert decode_record(encode_record((True, False))) == (1, 0)


@pytest.mark.parametrize("payload", [
    b"",                              # no header at all
    b"\x05\x01",                      # header longer than the record
    b"\x02\x04\x00",                  # 4-byte int, 1 byte of body
    b"\x02\x0a",                      # reserved serial type 10
    b"\x03\x81",                      # varint runs past the header
    b"\x02\x13ab",                    # text of 3 bytes, 2 present
])
def test_damaged_records_raise_corrupt(payload):
    with pytest.raises(CorruptError):
        decode_record(payload)


def test_float_bits_are_big_endian_ieee():
    rec = encode_record((1.0,))
    assert rec == b"\x02\x07" + struct.pack(">d", 1.0)
    nan_free = decode_record(b"\x02\x07" + struct.pack(">d", -0.0))[0]
    assert math.copysign(1, nan_free) == -1


# --- against sqlite3 ----------------------------------------------------------

ORACLE_ROWS = [
    (None,), (0,), (1,), (-1,), (127,), (-128,), (200,), (40000,), (-9000000,), (2 ** 31,),
    (2 ** 40,), (-(2 ** 47) - 1,), (2 ** 63 - 1,), (-2 ** 63,), (2.5,), (2.0,), (-0.125,),
    (1e300,), ("",), ("hello",), ("ünïcödé ✓",), (b"",), (b"\x00\x01\x02",), ("x" * 500,),
]


@requires_sqlite3
def test_sqlite3_reads_records_we_write(dbpath):
    pager = Pager.open(OSVFS(), dbpath)
    pager.begin_write()
    root = create_table(pager)
    TableCursor(pager, 1).insert(1, encode_record(("table", "t", "t", root, "CREATE TABLE t(a)")))
    pager.schema_cookie = 1
    cur = TableCursor(pager, root)
    for i, row in enumerate(ORACLE_ROWS, 1):
        cur.insert(i, encode_record(row))
    pager.commit()
    pager.close()
    out = sqlite_out(dbpath, ".mode quote\nPRAGMA integrity_check;\n"
                             "SELECT typeof(a), quote(a) FROM t ORDER BY rowid;")
    lines = out.splitlines()
    assert lines[0] == "'ok'"
    expect_types = {type(None): "null", int: "integer", float: "real", str: "text",
                    bytes: "blob"}
    for line, (value,) in zip(lines[1:], ORACLE_ROWS):
        t, q = line.split(",", 1)
        assert t == f"'{expect_types[type(value)]}'", (line, value)
        if isinstance(value, int):
            assert q == f"'{value}'"
        elif isinstance(value, bytes):
            assert q == "'X''" + value.hex().upper() + "'''"


@requires_sqlite3
def test_we_read_records_sqlite3_writes(dbpath):
    sqlite(dbpath, """
        CREATE TABLE t(a, b, c);
        INSERT INTO t VALUES (NULL, 0, 1), (-1, 255, 65536), (2147483648, -140737488355329, 9223372036854775807),
                             (1.5, 'txt', x'00ff'), (100.0, '', x''), ('é', 2e-300, -9223372036854775808);
    """)
    pager = Pager.open(OSVFS(), dbpath)
    pager.begin_read()
    schema = [decode_record(p) for _, p in TableCursor(pager, 1).scan()]
    assert schema[0][:4] == ("table", "t", "t", 2)
    rows = [decode_record(p) for _, p in TableCursor(pager, 2).scan()]
    pager.end_read()
    assert rows == [
        (None, 0, 1), (-1, 255, 65536),
        (2147483648, -140737488355329, 9223372036854775807),
        (1.5, "txt", b"\x00\xff"), (100.0, "", b""), ("é", 2e-300, -9223372036854775808),
    ]


def test_compiled_decoders_agree_with_the_plain_decoder():
    # Decoders are compiled per header after its second sighting: decode each
    # record several times and make sure every pass agrees.
    records = [
        (1, 2, 3.5), (None, 0, 1), (2 ** 20, -(2 ** 40), "txt", b"bl"), ("é" * 3, None),
        tuple(range(-3, 60)), (b"",), ("",), (1.0, 2.0),
    ]
    for values in records:
        rec = encode_record(values)
        for _ in range(4):
            assert decode_record(rec) == values
    for _ in range(3):
        assert decode_record(bytes([3, 17, 1]) + b"\xffx" + b"\x05") == ("\udcffx", 5)
    short = encode_record((1, 2 ** 40))
    for _ in range(3):
        decode_record(short)
    with pytest.raises(CorruptError):
        decode_record(short[:-1])     # same header, body too short
