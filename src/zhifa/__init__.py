"""zhifa: the township comprehensive administrative law-enforcement platform (乡镇综合行政执法)."""

__version__ = "0.1.0"
