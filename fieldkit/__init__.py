"""fieldkit: encrypted, offline-first case follow-up for Territorial Unit field workers."""

__version__ = "0.1.0"
