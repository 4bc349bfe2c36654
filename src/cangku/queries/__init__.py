"""The read side: SQL that returns plain dataclasses (stock, history, valuation, master data)."""
