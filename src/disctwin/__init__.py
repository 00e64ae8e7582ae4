"""DiscTwin: in-silico trials of regenerative therapies for degenerative disc disease.

The package reads as the science: ``params`` (cited parameter sets), ``model`` (disc and
pain biology), ``population`` (virtual patients), ``engine`` (compiled integration),
``io`` (files and provenance), ``cli`` (commands).
"""

from disctwin.io.provenance import package_version

__version__ = package_version()

__all__ = ["__version__"]
