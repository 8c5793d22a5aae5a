"""The house's shape: no import circle among the suite's modules, and words the report defines for every metric."""

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
