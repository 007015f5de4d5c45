"""Operations: the upload scanner, evidence verification, backup and restore.

Plain modules (no models); the commands that use them are ``zhenggai evidence-verify``,
``zhenggai backup DIR`` and ``zhenggai restore DIR``.
"""
