"""Scheduled care calls (关爱回访) to elderly terminals: rules, dialler and route."""
