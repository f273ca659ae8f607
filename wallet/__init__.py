"""Health Wallet: a patient-owned, encrypted FHIR health record."""

__version__ = "0.1.0"
