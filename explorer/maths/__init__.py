"""The maths part of Latent Lab: see docs/ARCHITECTURE.md."""
