"""The differential fuzzer: query generation, oracles, campaigns, reducer and
crash injection (DESIGN.md).  Not built yet; it will reach engines only
through ``targets``."""
