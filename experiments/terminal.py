"""Text for a terminal: a list of paths or reasons, bounded however many there are."""


def listed(lines, first=5, width=300):
    """`lines` as an indented list bounded for a terminal: the first `first`, each cut to `width` characters,
    then how many more (a folder of ten thousand junk files gives a few lines, not a megabyte)."""
    lines = list(lines)
    cut = [line if len(line) <= width else line[: width - 1] + "…" for line in lines[:first]]
    more = [f"... and {len(lines) - first:,} more"] if len(lines) > first else []
    return "\n".join(f"  {line}" for line in cut + more)
