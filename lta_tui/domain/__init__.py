"""Pure business logic: money, exchange rates, rules. Imports no database and no Textual."""
