"""TLS facts as data: the IANA registries the rest of the harness names things by.

Theory of operation: everything a counterparty sends on the wire is a number (a
cipher-suite code, a version, a named group, an alert description). Configurations
name the same things with strings that differ by implementation: IANA names in
standards and Java engines, OpenSSL names in stunnel.conf. The harness keys every
decision on the number seen on the wire and uses :mod:`harness.tls.registry` only to
render and translate names. The registry is generated once from the IANA registry
and the local OpenSSL (``harness/tls/_build_registry.py``), checked in as
``data/registry.json``, and verified against the local OpenSSL by the tests.

This package is the one home of TLS wire facts; no other package keeps its own
table or grammar:

* :mod:`.codes`: the one code grammar (``parse_code``/``format_code``);
* :mod:`.versions`: versions (name, wire code, OpenSSL constant, stunnel spelling);
* :mod:`.alerts`: alert names and codes, which side usually sends each;
* :mod:`.registry`: suites (``suite_label``), groups, schemes, extensions.

"Refused, by whom, with what" is read off a dissected handshake by
:attr:`harness.dissect.Handshake.refusal`. Everything here is stdlib-only: it is
on ``certify``'s start-up path.

Policy profiles (which suites a policy allows) live in :mod:`harness.profiles`.
"""
