"""Monitoring writes, one module per subject; every write validates, commits and audits."""
