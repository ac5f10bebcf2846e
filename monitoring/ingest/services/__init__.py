"""Ingest writes: every one validates, writes its file durably, then commits and audits."""
