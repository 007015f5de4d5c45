"""Operations (an app without models): backup and restore, evidence verification, the
deployment and durability checks, and the demo.

Commands: ``zhenggai backup DIR``, ``zhenggai restore DIR``, ``zhenggai evidence-verify``,
``zhenggai demo``. The checks are registered when the app is ready.
"""
