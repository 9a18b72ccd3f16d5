"""The data subject and the personal data VELUX holds on them (policy §2.1–2.8), the purpose
and recipient registers, and the data map that every access, erasure and retention job walks."""
