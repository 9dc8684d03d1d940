"""The record format and varints (fileformat2.html section 2.1, and the
varint definition in section 1.6).

A record is a header (its own size as a varint, then one serial-type varint
per column) followed by the column values.  This module turns tuples of
Python values (``None``, ``int``, ``float``, ``str``, ``bytes``) into records
and back.  It stores what it is given: an ``int`` always gets an integer
serial type (the smallest that holds it, 8 and 9 for 0 and 1, as schema
format 4 allows), a ``float`` always serial type 7; choosing integer storage
for REAL-affinity columns belongs to the layer above.

Text is UTF-8.  Bytes that are not valid UTF-8 decode with
``surrogateescape`` so that they re-encode to exactly the same bytes.

Decoding is on the hot path of every scan, hence the hand-inlined varint
reads and the precompiled ``struct.Struct`` objects.
"""

from __future__ import annotations

import struct

from engine.errors import InternalEngineError, corrupt

__all__ = [
    "put_varint", "get_varint", "varint_len",
    "encode_record", "decode_record", "decode_record_prefix",
    "record_column_count", "serial_type_of",
]

_MASK64 = (1 << 64) - 1

_S1 = struct.Struct(">b")
_S2 = struct.Struct(">h")
_S4 = struct.Struct(">i")
_S8 = struct.Struct(">q")
_SF = struct.Struct(">d")


def put_varint(value: int) -> bytes:
    """Encode a 64-bit integer (negative values as two's complement) as a varint."""
    v = value & _MASK64
    if v < 0x80:
        return bytes((v,))
    if v < 0x4000:
        return bytes(((v >> 7) | 0x80, v & 0x7F))
    if v >> 56:
        # Nine bytes: eight 7-bit groups then a full 8-bit byte.
        out = bytearray(9)
        out[8] = v & 0xFF
        v >>= 8
        for i in range(7, -1, -1):
            out[i] = (v & 0x7F) | 0x80
            v >>= 7
        return bytes(out)
    groups = []
    while v:
        groups.append(v & 0x7F)
        v >>= 7
    groups.reverse()
    last = len(groups) - 1
    return bytes(g | 0x80 if i < last else g for i, g in enumerate(groups))


def varint_len(value: int) -> int:
    v = value & _MASK64
    if v >> 56:
        return 9
    n = 1
    while v >= 0x80:
        v >>= 7
        n += 1
    return n


def get_varint(buf, offset: int = 0) -> tuple[int, int]:
    """Decode the varint at ``offset``; returns ``(signed value, offset after it)``.

    Raises a corruption error if the buffer ends inside the varint.
    """
    try:
        b = buf[offset]
        if b < 0x80:
            return b, offset + 1
        v = b & 0x7F
        for i in range(1, 8):
            b = buf[offset + i]
            v = (v << 7) | (b & 0x7F)
            if b < 0x80:
                return v, offset + i + 1
        v = (v << 8) | buf[offset + 8]
    except IndexError:
        raise corrupt("varint runs past end of buffer") from None
    if v >= 1 << 63:
        v -= 1 << 64
    return v, offset + 9


def serial_type_of(value) -> int:
    """The serial type ``encode_record`` uses for ``value`` (length included)."""
    if value is None:
        return 0
    t = type(value)
    if t is int or t is bool:
        return _int_serial(int(value))
    if t is float:
        return 7
    if t is str:
        return len(value.encode("utf-8", "surrogateescape")) * 2 + 13
    return len(value) * 2 + 12


def _int_serial(v: int) -> int:
    if v == 0:
        return 8
    if v == 1:
        return 9
    if -0x80 <= v <= 0x7F:
        return 1
    if -0x8000 <= v <= 0x7FFF:
        return 2
    if -0x800000 <= v <= 0x7FFFFF:
        return 3
    if -0x80000000 <= v <= 0x7FFFFFFF:
        return 4
    if -0x800000000000 <= v <= 0x7FFFFFFFFFFF:
        return 5
    if -0x8000000000000000 <= v <= 0x7FFFFFFFFFFFFFFF:
        return 6
    raise InternalEngineError("integer out of 64-bit range in record")


_INT_WIDTH = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}


def _encode_text(s: str) -> bytes:
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return s.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return s.encode("utf-8", "surrogatepass")


def encode_record(values) -> bytes:
    """Serialize a sequence of Python values in the record format."""
    types = bytearray()
    body = []
    for v in values:
        if v is None:
            types.append(0)
            continue
        t = type(v)
        if t is int or t is bool:
            v = int(v)
            st = _int_serial(v)
            types.append(st)
            if st < 8:
                body.append(v.to_bytes(_INT_WIDTH[st], "big", signed=True))
        elif t is float:
            types.append(7)
            body.append(_SF.pack(v))
        elif t is str:
            data = _encode_text(v)
            st = len(data) * 2 + 13
            if st < 0x80:
                types.append(st)
            else:
                types += put_varint(st)
            body.append(data)
        elif t is bytes or t is bytearray or t is memoryview:
            data = bytes(v)
            st = len(data) * 2 + 12
            if st < 0x80:
                types.append(st)
            else:
                types += put_varint(st)
            body.append(data)
        elif isinstance(v, int):
            st = _int_serial(int(v))
            types.append(st)
            if st < 8:
                body.append(int(v).to_bytes(_INT_WIDTH[st], "big", signed=True))
        elif isinstance(v, float):
            types.append(7)
            body.append(_SF.pack(float(v)))
        elif isinstance(v, str):
            data = _encode_text(str(v))
            types += put_varint(len(data) * 2 + 13)
            body.append(data)
        else:
            raise InternalEngineError(f"cannot store a {t.__name__} in a record")
    n = len(types) + 1
    if n < 0x80:
        types.insert(0, n)
        body.insert(0, types)
        return b"".join(body)
    k = 2
    while varint_len(len(types) + k) != k:
        k += 1
    return put_varint(len(types) + k) + bytes(types) + b"".join(body)


def _read_header(payload, limit: int | None):
    """Serial types of the first ``limit`` (or all) columns and the body offset."""
    try:
        hdr_len = payload[0]
    except IndexError:
        raise corrupt("empty record") from None
    pos = 1
    if hdr_len >= 0x80:
        hdr_len, pos = get_varint(payload, 0)
    if hdr_len < pos or hdr_len > len(payload):
        raise corrupt("record header size out of range")
    types = []
    append = types.append
    while pos < hdr_len:
        b = payload[pos]
        if b < 0x80:
            append(b)
            pos += 1
        else:
            st, pos = get_varint(payload, pos)
            if st < 0:
                raise corrupt("negative serial type")
            append(st)
        if limit is not None and len(types) >= limit:
            break
    if pos > hdr_len:
        raise corrupt("record header overruns its size")
    return types, hdr_len


def _decode_body(payload, types, pos: int) -> tuple:
    out = []
    append = out.append
    end = len(payload)
    for st in types:
        if st == 0:
            append(None)
        elif st == 1:
            if pos + 1 > end:
                raise corrupt("record body too short")
            append(_S1.unpack_from(payload, pos)[0])
            pos += 1
        elif st == 8:
            append(0)
        elif st == 9:
            append(1)
        elif st == 7:
            if pos + 8 > end:
                raise corrupt("record body too short")
            append(_SF.unpack_from(payload, pos)[0])
            pos += 8
        elif st >= 12:
            n = (st - 12) >> 1
            if pos + n > end:
                raise corrupt("record body too short")
            if st & 1:
                raw = payload[pos:pos + n]
                try:
                    append(str(raw, "utf-8"))
                except UnicodeDecodeError:
                    append(str(raw, "utf-8", "surrogateescape"))
            else:
                append(bytes(payload[pos:pos + n]))
            pos += n
        elif st == 2:
            if pos + 2 > end:
                raise corrupt("record body too short")
            append(_S2.unpack_from(payload, pos)[0])
            pos += 2
        elif st == 4:
            if pos + 4 > end:
                raise corrupt("record body too short")
            append(_S4.unpack_from(payload, pos)[0])
            pos += 4
        elif st == 6:
            if pos + 8 > end:
                raise corrupt("record body too short")
            append(_S8.unpack_from(payload, pos)[0])
            pos += 8
        elif st == 3:
            if pos + 3 > end:
                raise corrupt("record body too short")
            append(int.from_bytes(payload[pos:pos + 3], "big", signed=True))
            pos += 3
        elif st == 5:
            if pos + 6 > end:
                raise corrupt("record body too short")
            append(int.from_bytes(payload[pos:pos + 6], "big", signed=True))
            pos += 6
        else:  # 10, 11: reserved, never in a well-formed file
            raise corrupt(f"reserved serial type {st}")
    return tuple(out)


# Compiled decoders, keyed by the record header: rows of one table tend to
# repeat a handful of headers, and one struct.unpack_from then slices the
# whole body in C.  A header earns a decoder the second time it is seen.
_compiled: dict = {}
_seen: dict = {}
_CACHE_LIMIT = 4096
_FIXED = {1: "b", 2: "h", 4: "i", 6: "q", 7: "d"}


def _compile(types, hdr_len: int):
    fmt = [">"]
    plan = []               # (kind, constant): 0 value, 1 constant, 2 text, 3 odd-width int
    simple = True
    for st in types:
        if st in _FIXED:
            fmt.append(_FIXED[st])
            plan.append((0, None))
        elif st == 0 or st == 8 or st == 9:
            plan.append((1, None if st == 0 else st - 8))
            simple = False
        elif st >= 12:
            fmt.append(f"{(st - 12) >> 1}s")
            if st & 1:
                plan.append((2, None))
                simple = False
            else:
                plan.append((0, None))
        elif st == 3 or st == 5:
            fmt.append("3s" if st == 3 else "6s")
            plan.append((3, None))
            simple = False
        else:
            return None
    unpack = struct.Struct("".join(fmt)).unpack_from
    need = hdr_len + struct.calcsize("".join(fmt))

    if simple:
        def decode(payload):
            if len(payload) < need:
                raise corrupt("record body too short")
            return unpack(payload, hdr_len)
        return decode

    plan = tuple(plan)

    def decode(payload):
        if len(payload) < need:
            raise corrupt("record body too short")
        raw = unpack(payload, hdr_len)
        out = []
        append = out.append
        i = 0
        for kind, const in plan:
            if kind == 0:
                append(raw[i])
                i += 1
            elif kind == 1:
                append(const)
            elif kind == 2:
                try:
                    append(str(raw[i], "utf-8"))
                except UnicodeDecodeError:
                    append(str(raw[i], "utf-8", "surrogateescape"))
                i += 1
            else:
                append(int.from_bytes(raw[i], "big", signed=True))
                i += 1
        return tuple(out)
    return decode


def decode_record(payload) -> tuple:
    """All columns of a record as a tuple of Python values."""
    if type(payload) is bytes and payload and payload[0] < 0x80:
        header = payload[:payload[0]]
        decoder = _compiled.get(header)
        if decoder is not None:
            return decoder(payload)
        if header in _seen:
            types, pos = _read_header(payload, None)
            decoder = _compile(types, pos)
            if decoder is not None:
                if len(_compiled) >= _CACHE_LIMIT:
                    _compiled.clear()
                _compiled[header] = decoder
                return decoder(payload)
        else:
            if len(_seen) >= _CACHE_LIMIT:
                _seen.clear()
            _seen[header] = True
    types, pos = _read_header(payload, None)
    return _decode_body(payload, types, pos)


def decode_record_prefix(payload, n: int) -> tuple:
    """Only the first ``n`` columns (fewer if the record has fewer)."""
    if n <= 0:
        return ()
    types, pos = _read_header(payload, n)
    return _decode_body(payload, types, pos)


def record_column_count(payload) -> int:
    types, _ = _read_header(payload, None)
    return len(types)
