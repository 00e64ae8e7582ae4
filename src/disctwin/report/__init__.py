"""Reports generated from the code and from results: model reference, tables."""

from disctwin.report.describe import describe_html, describe_markdown

__all__ = ["describe_html", "describe_markdown"]
