"""fixs-harness: conformance and interoperability tests for FIX sessions over TLS.

Layers (a module imports only from its own layer or below; enforced by
import-linter: ``lint-imports``, run by ``./bootstrap test``, contracts in
pyproject.toml ``[tool.importlinter]``, no exception list):

1. pure core: ``errors``, ``lazy``, ``located_yaml``, ``stunnelconf``, ``fix``, ``tls``
   (registry data), ``profiles`` (policies as data), ``dissect``
2. ``pki``: test certificate authorities, leaves, CRLs, PSK files
3. I/O edges: ``tunnel``, ``backends``, ``capture``, ``fixnet``, ``testing``,
   ``signals``
4. orchestration: ``scenario``, ``runner``, ``checks``, ``certify``
5. output: ``report`` (imports only the result model: ``checks.model``,
   ``checks.fleetmodel``, ``checks.watch``, ``errors`` and ``lazy``), ``evidence``
6. entry points: ``cli``, ``pytest_plugin``, ``tools`` (developer tools); nothing
   imports ``cli`` or ``pytest_plugin`` but ``__main__`` (``python -m harness``)
"""

__version__ = "0.1.0"
