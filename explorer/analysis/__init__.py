"""The analysis part of Latent Lab: see docs/ARCHITECTURE.md."""
