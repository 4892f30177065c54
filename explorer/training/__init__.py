"""The training part of Latent Lab: see docs/ARCHITECTURE.md."""
