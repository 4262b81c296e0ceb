"""The Python TLS tunnel: a drop-in for stunnel, built on pyOpenSSL/cryptography.

- :mod:`.tlsctx`: one OpenSSL context per service, with stunnel's verification
  (verifyChain, verifyPeer pinning, check*, CRL, OCSP) and PSK callbacks;
- :mod:`.proxy`: listeners and one relay thread per connection;
- :mod:`.log`: stunnel's log line format;
- :mod:`.support`: refuses stunnel options the Python tunnel does not implement;
- :mod:`.runtime`: start-up as stunnel does it (config → bind → chroot → privileges).
"""
