"""The post's models, their data, the pairings, and the sweep, report and figure tools."""
