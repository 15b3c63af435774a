"""Read a knowledge-base folder: Markdown files with YAML front matter, and payers.yaml."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from caredesk.domain.errors import InputRejected
from caredesk.domain.knowledge import KbDocument, KbFrontMatter, LoadProblem, Payer

PAYERS_FILE = "payers.yaml"
_FENCE = "---"


class FileRejected(InputRejected):
    """A knowledge-base file that cannot be loaded, with the line to look at."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason, line=line)
        self.line = line


@dataclass(frozen=True)
class SourceFile:
    """One Markdown file of the knowledge base and the sha256 of its bytes."""

    path: Path
    relative: str
    content_hash: str


@dataclass
class LoadedFolder:
    """Everything a folder holds that validated, and a problem for each file that did not."""

    documents: list[KbDocument] = field(default_factory=list)
    payers: list[Payer] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scan(root: Path) -> list[SourceFile]:
    """Every `.md` file under `root`, in a stable order, with its content hash."""
    files = sorted(p for p in root.rglob("*.md") if p.is_file())
    return [SourceFile(p, p.relative_to(root).as_posix(), file_hash(p)) for p in files]


def load_folder(root: Path) -> LoadedFolder:
    """Parse and validate every file; a bad file becomes a problem and the rest still load."""
    folder = LoadedFolder()
    folder.payers, folder.problems = read_payers(root / PAYERS_FILE)
    texts: dict[str, str] = {}
    for source in scan(root):
        try:
            texts[source.relative] = source.path.read_text(encoding="utf-8")
            folder.documents.append(parse_document(texts[source.relative], source, folder.payers))
        except FileRejected as rejected:
            folder.problems.append(
                LoadProblem(file=source.relative, line=rejected.line, reason=rejected.reason)
            )
        except UnicodeDecodeError:
            folder.problems.append(
                LoadProblem(file=source.relative, line=1, reason="not UTF-8 text")
            )
    folder.problems += drop_conflicting_versions(folder.documents, texts)
    return folder


def read_payers(path: Path) -> tuple[list[Payer], list[LoadProblem]]:
    """The payers of payers.yaml; a bad entry is a problem, a missing file means no payers."""
    if not path.is_file():
        return [], []
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        return [], [LoadProblem(file=path.name, line=_yaml_error_line(error, 0), reason=str(error))]
    if not isinstance(entries, dict) or not isinstance(entries.get("payers"), list):
        return [], [LoadProblem(file=path.name, line=1, reason="expected a `payers:` list")]
    payers: list[Payer] = []
    problems: list[LoadProblem] = []
    for position, entry in enumerate(entries["payers"]):
        line = _node_line(root, ("payers", position), 0)
        try:
            payers.append(Payer.model_validate(entry))
        except ValidationError as error:
            loc = ("payers", position, *error.errors()[0]["loc"])
            problems.append(
                LoadProblem(
                    file=path.name, line=_node_line(root, loc, 0) or line, reason=_reason(error)
                )
            )
    return payers, problems


def parse_document(text: str, source: SourceFile, payers: Sequence[Payer]) -> KbDocument:
    """One validated document version, or FileRejected pointing at the offending line."""
    header, body, body_line = _split_front_matter(text)
    try:
        node = yaml.compose(header, Loader=yaml.SafeLoader)
        values = yaml.safe_load(header)
    except yaml.YAMLError as error:
        raise FileRejected(
            _yaml_error_line(error, 1), f"front matter is not valid YAML: {_yaml_problem(error)}"
        ) from error
    if not isinstance(values, dict):
        raise FileRejected(2, "front matter must be a mapping of keys to values")
    _reject_duplicate_keys(node)
    try:
        meta = KbFrontMatter.model_validate(values)
    except ValidationError as error:
        line = _node_line(node, error.errors()[0]["loc"], 1) or 1
        raise FileRejected(line, _reason(error)) from error
    _check_payer(meta, payers, node)
    return KbDocument(
        front_matter=meta,
        body=body,
        source_path=source.relative,
        content_hash=source.content_hash,
        body_line=body_line,
    )


def drop_conflicting_versions(
    documents: list[KbDocument], texts: dict[str, str] | None = None
) -> list[LoadProblem]:
    """Remove (in place) a second file claiming an existing `id@version` or effective date."""
    problems: list[LoadProblem] = []
    seen: dict[str, KbDocument] = {}
    starts: dict[tuple[str, object], KbDocument] = {}
    for doc in list(documents):
        start_key = (doc.doc_id, doc.front_matter.effective_date)
        if doc.key in seen or start_key in starts:
            other = seen.get(doc.key) or starts[start_key]
            key = "version" if doc.key in seen else "effective_date"
            reason = f"{doc.doc_id}: this {key} is already used by {other.source_path}"
            line = _key_line((texts or {}).get(doc.source_path, ""), key)
            problems.append(LoadProblem(file=doc.source_path, line=line, reason=reason))
            documents.remove(doc)
            continue
        seen[doc.key] = doc
        starts[start_key] = doc
    return problems


def _key_line(text: str, key: str) -> int:
    """Line of a top-level front-matter key found by its text; the opening line if absent."""
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if line.strip() in (_FENCE, "..."):
            break
        if line.startswith(f"{key}:"):
            return number
    return 1


def _split_front_matter(text: str) -> tuple[str, str, int]:
    """(YAML text, body, line the body starts on) of a file that opens with a `---` line."""
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        raise FileRejected(1, "missing YAML front matter: the file must start with a `---` line")
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() in (_FENCE, "..."):
            header = "".join(lines[1 : number - 1])
            return header, "".join(lines[number:]), number + 1
    raise FileRejected(1, "front matter is not closed by a `---` line")


def _check_payer(meta: KbFrontMatter, payers: Sequence[Payer], node: yaml.Node | None) -> None:
    if not payers:
        return  # without payers.yaml there is nothing to check payer ids against
    known = {payer.id: payer for payer in payers}
    if meta.payer is not None and meta.payer not in known:
        raise FileRejected(
            _node_line(node, ("payer",), 1),
            f"unknown payer {meta.payer!r}; payers.yaml lists {sorted(known)}",
        )
    allowed = (
        known[meta.payer].plans if meta.payer else [p for payer in payers for p in payer.plans]
    )
    for position, plan in enumerate(meta.plans):
        if plan not in allowed:
            raise FileRejected(
                _node_line(node, ("plans", position), 1),
                f"plan {plan!r} is not a plan of {meta.payer or 'any payer'}",
            )


def _reject_duplicate_keys(node: yaml.Node | None) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    for key, _value in node.value:
        if key.value in seen:
            raise FileRejected(key.start_mark.line + 2, f"key {key.value!r} appears twice")
        seen.add(key.value)


def _node_line(node: yaml.Node | None, loc: Sequence[Any], offset: int) -> int:
    """File line of the deepest node on the path `loc` (`offset`: lines before the YAML text)."""
    line = max(offset, 1)
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            pairs = [(k, v) for k, v in node.value if k.value == step]
            if not pairs:
                break
            key, node = pairs[0]
            line = key.start_mark.line + 1 + offset
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value)
        ):
            node = node.value[step]
            line = node.start_mark.line + 1 + offset
        else:
            break
    return line


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _yaml_error_line(error: yaml.YAMLError, offset: int) -> int:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 + offset if mark is not None else 1 + offset


def _yaml_problem(error: yaml.YAMLError) -> str:
    return str(getattr(error, "problem", None) or error).strip()
