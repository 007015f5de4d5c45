"""zhenggai: the whole life of an inspection rectification (巡察整改)."""

__version__ = "0.1.0"
