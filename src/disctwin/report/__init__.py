"""Reports generated from the code and from results: the model reference
(:mod:`~disctwin.report.describe`), the therapy catalogue, and plots of calibration,
sensitivity, trials (power curve) and economics. Matplotlib is imported here only."""

from disctwin.report.describe import describe_html, describe_markdown, markdown_cell

__all__ = ["describe_html", "describe_markdown", "markdown_cell"]
