"""The one table writer: a table as CSV (every column, full precision), Markdown and LaTeX, side by side.

The CSV is for a reader's own analysis; the Markdown and LaTeX show the readable columns, under the
same caption, for the reports and for a paper. pandas writes all three (`DataFrame.to_markdown`
needs `tabulate`, `DataFrame.to_latex` needs `jinja2`: the `report` extra).
"""

from pathlib import Path

from experiments.atomic_files import write_text_atomic

# Characters that LaTeX's default text encoding lacks, as the math they stand for.
LATEX_SYMBOLS = {"±": r"$\pm$", "Δ": r"$\Delta$"}


def latex_text(text):
    """`text` for a LaTeX caption: its % and _ escaped."""
    return text.replace("%", r"\%").replace("_", r"\_")


def write_table(folder, name, frame, caption, shown=None, markdown=None, label=None):
    """Write `folder/name.csv`, `.md` and `.tex`; return the three paths.

    Args:
        folder: The folder (made if missing).
        name: The file name without its extension.
        frame: The table as measured, written whole to the CSV.
        caption: One paragraph above the Markdown table, and the LaTeX table's caption.
        shown: The readable table for Markdown and LaTeX (default: `frame`).
        markdown: The Markdown table's text, where it is rendered by hand (links, say); default: `shown`'s.
        label: The LaTeX label (`tab:<name>`), or None for none.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shown = frame if shown is None else shown
    paths = [folder / f"{name}.{ext}" for ext in ("csv", "md", "tex")]
    write_text_atomic(paths[0], frame.to_csv(index=False))
    write_text_atomic(paths[1], f"{caption}\n\n{markdown or shown.to_markdown(index=False)}\n")
    latex = shown.to_latex(index=False, caption=latex_text(caption), label=label, escape=True)
    for symbol, command in LATEX_SYMBOLS.items():
        latex = latex.replace(symbol, command)
    write_text_atomic(paths[2], latex)
    return paths
