"""TLS facts as data: the IANA registries the rest of the harness names things by.

Theory of operation: everything a counterparty sends on the wire is a number (a
cipher-suite code, a version, a named group, an alert description). Configurations
name the same things with strings that differ by implementation: IANA names in
standards and Java engines, OpenSSL names in stunnel.conf. The harness keys every
decision on the number seen on the wire and uses :mod:`harness.tls.registry` only to
render and translate names. The registry is generated once from the IANA registry
and the local OpenSSL (``harness/tls/_build_registry.py``), checked in as
``data/registry.json``, and verified against the local OpenSSL by the tests.

Policy profiles (which suites a policy allows) live in :mod:`harness.profiles`.
"""
