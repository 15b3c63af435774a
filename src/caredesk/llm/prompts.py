"""Prompt registry: Markdown prompt files with front matter, rendered in a Jinja2 sandbox.

A prompt file is `prompts/<id>.md`: YAML front matter (`id`, `version`, `description`,
`inputs`), then a body split into chat messages by marker lines `## system`, `## user` and
`## assistant`. Each part is its own template, so text arriving through an input can never
open a new message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jinja2
import jinja2.meta
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from caredesk.domain.errors import InputRejected
from caredesk.llm.port import ChatMessage, Role

_MARKER = re.compile(r"^##[ \t]+(system|user|assistant)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# Tags the shipped prompts use to fence untrusted text; data must not be able to close them.
_FENCE_TAG = re.compile(r"<(/?)(source|snippet|case|question|item|sentence|passage)\b", re.I)


class PromptError(InputRejected):
    """A prompt file is invalid, or a prompt was rendered with the wrong inputs."""

    code = "prompt_error"


class PromptFrontMatter(BaseModel):
    """The header of a prompt file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
    version: int = Field(ge=1)
    description: str = Field(min_length=1)
    inputs: list[str]

    @field_validator("inputs")
    @classmethod
    def _inputs_are_names(cls, inputs: list[str]) -> list[str]:
        bad = [name for name in inputs if not _IDENTIFIER.match(name)]
        if bad:
            raise ValueError(f"input names must be lower-case identifiers: {bad}")
        if len(set(inputs)) != len(inputs):
            raise ValueError("input names must be unique")
        return inputs


class RenderedPrompt(BaseModel):
    """Messages ready for a `ChatModel`, and the `id@version` to record with the generation."""

    model_config = ConfigDict(frozen=True)

    messages: tuple[ChatMessage, ...]
    ref: str


@dataclass(frozen=True)
class PromptTemplate:
    """One loaded prompt: its header and one compiled template per chat message."""

    header: PromptFrontMatter
    parts: tuple[tuple[Role, jinja2.Template], ...]
    source: Path

    @property
    def ref(self) -> str:
        return f"{self.header.id}@{self.header.version}"

    def render(self, **inputs: Any) -> RenderedPrompt:
        """The chat messages for these inputs; every declared input is required, no others."""
        self._check_inputs(inputs)
        messages = []
        for role, template in self.parts:
            try:
                text = template.render(**inputs)
            except jinja2.TemplateError as error:
                # SecurityError and UndefinedError land here: sandbox refusals are errors.
                raise PromptError(f"prompt {self.ref} could not be rendered: {error}") from None
            messages.append(ChatMessage(role=role, content=text.strip()))
        return RenderedPrompt(messages=tuple(messages), ref=self.ref)

    def _check_inputs(self, inputs: Mapping[str, Any]) -> None:
        declared = set(self.header.inputs)
        missing = sorted(declared - inputs.keys())
        extra = sorted(inputs.keys() - declared)
        problems = []
        if missing:
            problems.append(f"missing inputs: {', '.join(missing)}")
        if extra:
            problems.append(f"unexpected inputs: {', '.join(extra)}")
        if problems:
            raise PromptError(f"prompt {self.ref}: {'; '.join(problems)}", prompt=self.ref)


class PromptRegistry:
    """All prompts of one folder, by id."""

    def __init__(self, templates: Mapping[str, PromptTemplate]) -> None:
        self._templates = dict(templates)

    @classmethod
    def load(cls, folder: Path | None = None) -> PromptRegistry:
        """Load every `*.md` prompt in `folder` (default: the repository's `prompts/`)."""
        root = folder or default_prompts_dir()
        if not root.is_dir():
            raise PromptError(f"prompt folder not found: {root}")
        environment = sandbox()
        templates: dict[str, PromptTemplate] = {}
        for path in sorted(root.glob("*.md")):
            if path.name.lower() == "readme.md":
                continue  # the folder's guide for prompt authors, not a prompt
            template = load_prompt(path, environment)
            if template.header.id in templates:
                raise PromptError(f"{path}: prompt id {template.header.id!r} is defined twice")
            templates[template.header.id] = template
        return cls(templates)

    def ids(self) -> list[str]:
        return sorted(self._templates)

    def get(self, prompt_id: str) -> PromptTemplate:
        try:
            return self._templates[prompt_id]
        except KeyError:
            raise PromptError(f"no prompt with id {prompt_id!r}", prompt=prompt_id) from None

    def render(self, prompt_id: str, /, **inputs: Any) -> RenderedPrompt:
        """Render prompt `prompt_id` with exactly its declared inputs."""
        return self.get(prompt_id).render(**inputs)


def default_prompts_dir() -> Path:
    """The repository's `prompts/` folder (src/caredesk/llm/prompts.py → repo root)."""
    return Path(__file__).resolve().parents[3] / "prompts"


def sandbox() -> jinja2.Environment:
    """The Jinja2 environment prompts render in: sandboxed, immutable inputs, strict undefined."""
    environment = ImmutableSandboxedEnvironment(
        autoescape=False,  # prompts are plain text, not HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["as_data"] = as_data
    return environment


def as_data(value: Any) -> str:
    """Untrusted text for a fenced block: tags that would close or open a fence are defused."""
    return _FENCE_TAG.sub(r"‹\1\2", str(value))


def load_prompt(path: Path, environment: jinja2.Environment) -> PromptTemplate:
    """Parse and check one prompt file; `PromptError` names the file and the problem."""
    text = path.read_text(encoding="utf-8")
    matched = _FRONT_MATTER.match(text)
    if matched is None:
        raise PromptError(f"{path}: no front matter (a `---` block at the top)")
    header = _header(path, matched.group(1))
    if header.id != path.stem:
        raise PromptError(f"{path}: file name must be the prompt id ({header.id}.md)")
    sections = _split(path, text[matched.end() :])
    parts = tuple((role, _compile(path, source, environment)) for role, source in sections)
    _check_declared(path, header, [source for _, source in sections], environment)
    return PromptTemplate(header=header, parts=parts, source=path)


def _header(path: Path, raw: str) -> PromptFrontMatter:
    try:
        loaded = yaml.safe_load(raw)
        return PromptFrontMatter.model_validate(loaded)
    except yaml.YAMLError as error:
        raise PromptError(f"{path}: front matter is not valid YAML: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'front matter'}: {e['msg']}"
            for e in error.errors(include_url=False, include_input=False)
        )
        raise PromptError(f"{path}: invalid front matter: {problems}") from None


def _split(path: Path, body: str) -> list[tuple[Role, str]]:
    markers = list(_MARKER.finditer(body))
    if not markers:
        raise PromptError(f"{path}: the body needs `## system` / `## user` marker lines")
    if body[: markers[0].start()].strip():
        raise PromptError(f"{path}: text before the first `## <role>` marker")
    parts: list[tuple[Role, str]] = []
    for marker, following in zip(markers, [*markers[1:], None], strict=True):
        end = following.start() if following else len(body)
        source = body[marker.end() : end].strip()
        if not source:
            raise PromptError(f"{path}: empty `## {marker.group(1)}` part")
        parts.append((cast(Role, marker.group(1).lower()), source))
    return parts


def _compile(path: Path, source: str, environment: jinja2.Environment) -> jinja2.Template:
    try:
        return environment.from_string(source)
    except jinja2.TemplateSyntaxError as error:
        raise PromptError(f"{path}: template error: {error.message}") from None


def _check_declared(
    path: Path, header: PromptFrontMatter, sources: list[str], environment: jinja2.Environment
) -> None:
    used: set[str] = set()
    for source in sources:
        used |= jinja2.meta.find_undeclared_variables(environment.parse(source))
    used -= set(environment.globals)
    declared = set(header.inputs)
    if used - declared:
        raise PromptError(f"{path}: template uses undeclared inputs: {sorted(used - declared)}")
    if declared - used:
        raise PromptError(f"{path}: declared inputs never used: {sorted(declared - used)}")
