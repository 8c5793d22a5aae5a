"""The atlas: every output activation x loss cell of the four tasks, trained and explained, in one place.

`cells` (each cell's class from its records), `reasons` (why a cell failed, from what its records hold),
`heat_map` (the grids), `text` (ATLAS.md), `page` and `traces` (atlas.html).
"""
