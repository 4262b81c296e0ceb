"""fixs-harness: conformance and interoperability tests for FIX sessions over TLS.

Layers (a module imports only from layers below it):

1. pure core: ``fix``, ``stunnelconf``, ``tls`` (registry data), ``dissect``
2. ``pki``: test certificate authorities, leaves, CRLs, PSK files
3. I/O edges: ``tunnel``, ``backends``, ``capture``, ``fixnet``
4. orchestration: ``scenario``, ``runner``, ``checks``, ``certify``
5. output: ``report``
6. entry points: ``cli``, ``pytest_plugin``
"""

__version__ = "0.1.0"
