"""Engines beyond the embedded DuckDB: the same scoring plan on Spark (:mod:`.spark`), and the
scores it writes loaded back into a project store (:mod:`.imported`)."""
