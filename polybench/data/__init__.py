"""The data layer: CSV files in data/ are the one source every framework reads."""
