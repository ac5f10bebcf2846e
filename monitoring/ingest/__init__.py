"""Data ingest: production rows, labels and single predictions checked against the model
version's signature, stored as immutable Parquet files, and read back by window.

Ingest knows nothing of references, monitors, runs or performance (an import-linter contract
holds it to that): what a batch's quality is measured against is passed in
(``quality.QualityBaseline``), and new labels ask for a performance refresh by task name.
"""
