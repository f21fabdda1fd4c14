"""``fmt`` (canonical layout of spec files, comments kept) and ``graph`` (dependencies as DOT/Mermaid).

Both work offline. ``fmt`` rewrites only files whose text changes; ``fmt --check`` changes nothing
and exits 1 when a file is not formatted (for CI), naming each one.
"""

from __future__ import annotations

import io
from pathlib import Path

import click

from modelinfra.cli.options import log_level_option, parse_vars, var_option
from modelinfra.errors import ModelinfraError
from modelinfra.fileio import atomic_write_text
from modelinfra.views.graph import FORMATS, render_graph

SPEC = click.Path(exists=True, dir_okay=False, path_type=Path)


def formatted(text: str, name: str = "<spec>") -> str:
    """``text`` in canonical layout: two-space mappings, ``- `` items indented under their key,
    comments and quoting kept. Idempotent. ``ModelinfraError`` when it is not YAML."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        from modelinfra.spec.yaml_errors import explain

        line, col, why = explain(exc, text)
        raise ModelinfraError(f"{name}:{line}:{col}: {why}; nothing formatted") from None
    if not isinstance(data, dict):
        raise ModelinfraError(f"{name}: not a spec (a spec is a YAML mapping with version, name, resources...); "
                              "nothing formatted")
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


@click.command("fmt", epilog="""\b
Examples:
  modelinfra fmt spec.yaml
  modelinfra fmt --check specs/*.yaml   # CI: exit 1 when a file is not formatted""")
@click.argument("specs", type=SPEC, nargs=-1, required=True)
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if any file is not formatted.")
def fmt_command(specs: tuple[Path, ...], check: bool) -> int:
    """Rewrite specs in canonical layout, keeping comments. Prints the files it changed (would change)."""
    changed = []
    for path in specs:
        text = path.read_text(encoding="utf-8")
        new = formatted(text, str(path))
        if new != text:
            changed.append(path)
            if not check:
                atomic_write_text(path, new, mode=path.stat().st_mode & 0o777)
            click.echo(str(path))
    if check and changed:
        click.echo(f"{len(changed)} file(s) not formatted; run `modelinfra fmt` on them.", err=True)
        return 1
    return 0


@click.command("graph", epilog="""\b
Examples:
  modelinfra graph spec.yaml | dot -Tsvg > graph.svg
  modelinfra graph spec.yaml --format mermaid""")
@log_level_option
@click.argument("spec", type=SPEC)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="dot", show_default=True,
              help="Graphviz DOT, or Mermaid (renders in GitHub Markdown).")
@var_option
def graph_command(spec: Path, fmt: str, variables: tuple[str, ...]) -> int:
    """Print the resources' dependency graph (references and depends_on). Offline."""
    from modelinfra.spec.compile import compile_spec

    compiled = compile_spec(spec, parse_vars(variables))
    nodes = {a: (r.type, compiled.graph.deps[a]) for a, r in compiled.resources.items()}
    click.echo(render_graph(compiled.name, nodes, fmt), nl=False)
    return 0


COMMANDS = [fmt_command, graph_command]
