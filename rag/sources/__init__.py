"""Article files -> Articles.

    formats       reading files: the epoch-header and front matter news formats, plain text/markdown, HTML,
                  JSONL, PDF and .docx; load_paths, parse_bytes, SourceProblem (a bad file is reported, the rest load)
    pdf           PDF text layer (pypdf): lines with their positions, metadata, page starts; scans, encryption
    pdf_layout    a PDF's lines -> paragraphs: running headers/footers dropped, wrapped lines joined
    docx          Word .docx (python-docx): paragraphs and tables in order, core properties as metadata
    front_matter  the YAML front matter block at the top of a file (PyYAML)
    html_text     HTML extraction: a page's title and its article paragraphs without page furniture
    metadata      dates (normalised to ISO 8601) and outlet names
"""

from __future__ import annotations

from rag.sources.formats import SourceProblem, article_from_record, load_paths, parse_bytes, parse_jsonl
from rag.sources.html_text import html_to_paragraphs

__all__ = ["SourceProblem", "article_from_record", "html_to_paragraphs", "load_paths", "parse_bytes", "parse_jsonl"]
