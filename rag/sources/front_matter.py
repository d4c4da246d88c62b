"""YAML front matter: "key: value" lines between two "---" lines at the top of a file, read with PyYAML."""

from __future__ import annotations

import re

import yaml

from rag.errors import SourceError

_BLOCK = re.compile(r"\A\s*---\s*\n(?P<yaml>.*?)\n---\s*\n", re.S)

Fields = dict[str, str | list[str]]


def split_front_matter(raw: str, origin: str) -> tuple[Fields, str] | None:
    """(front matter fields, the rest of the file), or None if the file does not start with front matter.

    Every value stays the text it was written as (YAML's BaseLoader): a date, an id of digits or "yes" does not
    become a date, a number or a boolean, so the Article's fields are what the file says. Lists keep their
    text items; nested mappings are left out. A block that is not valid YAML, or not a mapping, raises a
    SourceError naming the file, the line and the reason.
    """
    m = _BLOCK.match(raw)
    if not m:
        return None
    first_line = raw.count("\n", 0, m.start("yaml")) + 1
    try:
        data = yaml.load(m.group("yaml"), Loader=yaml.BaseLoader)  # BaseLoader builds only str, list and dict
    except yaml.MarkedYAMLError as exc:
        where = f" (line {first_line + exc.problem_mark.line})" if exc.problem_mark else ""
        hint = "; quote a value that contains ': '" if exc.problem == "mapping values are not allowed here" else ""
        raise SourceError(f"{origin}: front matter is not valid YAML: {exc.problem}{where}{hint}") from None
    except yaml.YAMLError as exc:  # e.g. a control character
        raise SourceError(f"{origin}: front matter is not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise SourceError(f"{origin}: front matter is nested too deeply") from None
    if data is None:  # only blank lines or comments
        data = {}
    if not isinstance(data, dict):
        raise SourceError(f"{origin}: front matter (line {first_line}) must be 'key: value' lines")
    fields: Fields = {}
    for key, value in data.items():
        if isinstance(value, str):
            fields[key] = value
        elif isinstance(value, list):
            fields[key] = [v for v in value if isinstance(v, str)]
    return fields, raw[m.end():]
