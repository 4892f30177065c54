"""The runtime part of Latent Lab: see docs/ARCHITECTURE.md."""
