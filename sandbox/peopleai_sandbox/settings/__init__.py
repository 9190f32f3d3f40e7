"""Settings: the sandbox's configuration (``SandboxConfig``, ``Variants``, ``Faults``), the flag
parsing helpers, and the values settings hold (an ``Erasure``, a ``Mutation``). A leaf above
``errors`` and ``times``."""
