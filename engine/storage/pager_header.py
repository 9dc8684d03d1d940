"""The database header's fields as pager properties (fileformat2.html 1.3).

A mixin of :class:`engine.storage.pager.Pager`: reads come from page 1 as
the transaction sees it, writes go through the pager like any page change
(inside a write transaction).
"""

from __future__ import annotations

import struct

from engine.errors import InternalEngineError

__all__ = ["HeaderFields"]

_U32 = struct.Struct(">I")

OFF_CHANGE_COUNTER = 24
OFF_FREELIST_TRUNK = 32
OFF_FREELIST_COUNT = 36
OFF_SCHEMA_COOKIE = 40
OFF_SCHEMA_FORMAT = 44
OFF_CACHE_SIZE = 48
OFF_TEXT_ENCODING = 56
OFF_USER_VERSION = 60
OFF_APPLICATION_ID = 68


class HeaderFields:
    """Header fields of page 1 (needs ``get``, ``write``, ``_page_count``
    and ``_in_write`` from the pager)."""

    def _header_u32(self, offset: int) -> int:
        if self._page_count == 0:
            return 0
        return _U32.unpack_from(self.get(1), offset)[0]

    def _set_header_u32(self, offset: int, value: int) -> None:
        if not self._in_write:
            raise InternalEngineError("header change outside a write transaction")
        page = bytearray(self.get(1))
        _U32.pack_into(page, offset, value & 0xFFFFFFFF)
        self.write(1, page)

    def _signed(self, offset: int) -> int:
        v = self._header_u32(offset)
        return v - (1 << 32) if v >= 1 << 31 else v

    @property
    def schema_cookie(self) -> int:
        return self._header_u32(OFF_SCHEMA_COOKIE)

    @schema_cookie.setter
    def schema_cookie(self, value: int) -> None:
        self._set_header_u32(OFF_SCHEMA_COOKIE, value)

    @property
    def user_version(self) -> int:
        return self._signed(OFF_USER_VERSION)

    @user_version.setter
    def user_version(self, value: int) -> None:
        self._set_header_u32(OFF_USER_VERSION, value)

    @property
    def application_id(self) -> int:
        return self._signed(OFF_APPLICATION_ID)

    @application_id.setter
    def application_id(self, value: int) -> None:
        self._set_header_u32(OFF_APPLICATION_ID, value)

    @property
    def text_encoding(self) -> int:
        """1 (UTF-8); 0 in a file whose schema was never written (read as UTF-8)."""
        return self._header_u32(OFF_TEXT_ENCODING)

    @property
    def schema_format(self) -> int:
        return self._header_u32(OFF_SCHEMA_FORMAT)

    @schema_format.setter
    def schema_format(self, value: int) -> None:
        self._set_header_u32(OFF_SCHEMA_FORMAT, value)

    @property
    def file_change_counter(self) -> int:
        return self._header_u32(OFF_CHANGE_COUNTER)

    @property
    def default_cache_size(self) -> int:
        return self._signed(OFF_CACHE_SIZE)

    @default_cache_size.setter
    def default_cache_size(self, value: int) -> None:
        self._set_header_u32(OFF_CACHE_SIZE, value)

    @property
    def freelist_count(self) -> int:
        return self._header_u32(OFF_FREELIST_COUNT)

    @property
    def freelist_trunk(self) -> int:
        return self._header_u32(OFF_FREELIST_TRUNK)
