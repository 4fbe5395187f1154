"""Excel export and import."""
