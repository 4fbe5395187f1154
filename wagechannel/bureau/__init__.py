"""The HR-bureau liaison's dashboard: statistics by region, contractor and project, the lists
behind them, and the Excel downloads (reports/ledger.py, reports/summary.py)."""
