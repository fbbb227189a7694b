"""What every replica shares, worker's device and district alike (DESIGN §4).

The hybrid logical clock (clock), the change log (changelog), the replicated tables
(meta, cases, followups, conflicts) and which of their values are sealed (columns),
merging a change into them (merge) and the state digest two replicas compare (digest).
Stores (fieldkit/store/, fieldkit/district/) and sync build on this package; it imports
none of them, only fieldkit/crypto/ below it, and never starts a process.
"""
