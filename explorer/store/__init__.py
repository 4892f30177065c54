"""The store part of Latent Lab: see docs/ARCHITECTURE.md."""
