"""Imprenta: a publishing pipeline that turns Markdown sources into an official PDF and an editable DOCX."""

__version__ = "0.1.0"
