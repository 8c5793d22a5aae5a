"""The house's shape: no import circle among the suite's modules, none over 300 lines, and words the report
defines for every metric."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("experiments", "custom_objects")


def _module_names():
    names = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _imports(path, modules):
    """The suite's modules that `path` imports anywhere in its body (lazy imports count)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in modules else node.module)
    return {m for m in found if m in modules}


def test_no_module_imports_itself_through_others():
    modules = _module_names()
    graph = {m: _imports(p, modules) - {m} for m, p in modules.items()}
    # A package's __init__ that only hands names on is not a circle with its own children.
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    state, circles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                circles.append(stack[stack.index(dep) :] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


MOST_LINES = 300  # a module a reader can hold in mind; past it, a module does two things


def test_no_module_of_the_suite_is_over_300_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _module_names().values()
        if (n := len(p.read_text().splitlines())) > MOST_LINES
    }
    assert not long, f"over {MOST_LINES} lines: {long}"


def test_the_glossary_defines_every_metric_and_measure():
    from experiments.analysis.claims.verdicts import RUN_LEVEL
    from experiments.analysis.render.glossary import METRIC_WORDS
    from experiments.training.metrics import METRICS

    named = {m for metrics in METRICS.values() for m in metrics} | set(RUN_LEVEL) | {"macro_auc"}
    assert named <= set(METRIC_WORDS), sorted(named - set(METRIC_WORDS))


def test_each_task_names_its_post_pairing_and_that_pairing_is_its_documented_one():
    from experiments.pairings import documented_pairing, get_pairing
    from experiments.tasks import TASKS

    for name, task in TASKS.items():
        post = get_pairing(name, task.post_pairing)
        assert (post.units, post.activation) == task.documented_head
        assert (documented_pairing(name).loss, documented_pairing(name).activation) == (post.loss, post.activation)


def test_every_tested_claim_says_itself_in_plain_words_short_enough_for_a_heading():
    from experiments.analysis.claims.claim_list import CLAIMS

    for claim in CLAIMS:
        if claim.test != "descriptive":
            assert claim.in_words and len(claim.in_words) <= 90, claim.id
            assert "_" not in claim.in_words, claim.id  # words, not ids


def test_the_analysis_never_builds_or_trains_a_model():
    """The report reads records; a model is built only by a run (and by `rescore --untrained`, which writes records)."""
    import re

    root = Path(__file__).resolve().parents[1] / "experiments" / "analysis"
    for path in root.rglob("*.py"):
        text = path.read_text()
        found = re.findall(r"experiments\.training\.(runner|pack)\b|untrained_test_outputs", text)
        assert not found, (path, found)


def _prose_blocks(text):
    """Paragraphs and list items of Markdown `text`: tables, fenced and indented code left out."""
    import re

    text = re.sub(r"```.*?```", "", text, flags=re.S)
    for para in re.split(r"\n\s*\n", text):
        lines = [line for line in para.split("\n") if line.strip()]
        if all(line.startswith("|") for line in lines) or all(line.startswith("    ") for line in lines):
            continue
        item = []
        for line in lines:
            if re.match(r"^\s*([-*]|\d+\.) ", line) and item:
                yield " ".join(item)
                item = []
            item.append(line)
        if item:
            yield " ".join(item)


def test_no_paragraph_or_list_item_a_stranger_reads_is_over_600_characters():
    from experiments.analysis.wording import PARAGRAPH_LIMIT

    root = Path(__file__).resolve().parents[1]
    files = [root / "README.md", *(root / "docs").rglob("*.md"), *(root / "results").glob("*/REPORT.md")]
    files += list((root / "results").glob("*/ATLAS.md"))
    long = [
        f"{path.relative_to(root)}: {len(block)} characters: {block[:60]}"
        for path in files
        for block in _prose_blocks(path.read_text())
        if len(block) > PARAGRAPH_LIMIT
    ]
    assert long == [], long[:5]


def test_paragraphs_cut_at_sentences_and_between_clauses():
    from experiments.analysis.wording import paragraphs

    text = "A first sentence. " + "; ".join(f"arm {k}: a value and some words about it" for k in range(40)) + "."
    parts = paragraphs(text, limit=200).split("\n\n")
    assert all(len(p) <= 200 for p in parts) and len(parts) > 5
    assert " ".join(parts).replace(" ", "") == text.replace(" ", "")  # nothing lost, nothing added but breaks
