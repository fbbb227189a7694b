"""Every use of the `cryptography` library, in one place, by job.

- `keyfile`: the passphrase KDF (Argon2id), the data-key wrap and the key file format;
- `session`: the session token and the seal of the data key for a working session;
- `columns`: application-level sealing of personal-data columns (PostgreSQL district);
- `identity`: a replica's long-term keys and their fingerprints;
- `envelope`: the bundles' cipher suite (HPKE encryption to a replica);
- `enrolment`: the enrolment secret's hash and the proof of possession;
- `tls`: the district's self-signed certificate and certificate pinning.

This is the bottom layer: it imports nothing of fieldkit but `fieldkit.errors`, and it
neither reads nor writes files. Byte formats: docs/protocol.md.
"""
