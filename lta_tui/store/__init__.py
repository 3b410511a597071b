"""Storage: engine, SQLModel tables, migrations and queries. Imports no Textual."""
