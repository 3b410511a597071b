"""Use cases: one function = one user action, in one transaction. Imports no Textual."""
