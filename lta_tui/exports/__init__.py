"""Writers for exchange formats (CSV, XLSX, JSON, Markdown, OCDS). Import no Textual."""
