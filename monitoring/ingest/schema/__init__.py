"""Rows checked against a model version's signature, column by column: the stored layout
(``columns``), bad rows (``problems``), one column's conversion (``convert``), whole inputs
(``prepare``), uploaded files (``files``) and labels (``labels``)."""
