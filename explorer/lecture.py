"""The lecture's outline: every idea in the order of the slides, the page that shows it, and what
a student will see there. The home page draws this map; a test holds it equal to the navigation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

THUMBNAILS = Path(__file__).resolve().parent.parent / "docs" / "thumbnails"


@dataclass(frozen=True)
class Stop:
    idea: str  # the lecture's name for it
    page: str  # the page file, relative to the app's root
    title: str  # the page's title in the navigation
    what_you_see: str  # one line

    @property
    def thumbnail(self) -> Path:
        return THUMBNAILS / f"{Path(self.page).stem}.png"


OUTLINE = (
    Stop("Autoencoder", "pages/latent_space.py", "Latent space",
         "AE vs VAE latent maps; prior samples fall into the AE's holes."),
    Stop("Latent variable model", "pages/latent_space.py", "Latent space",
         "Click or hover anywhere in z and see the decoded image; interpolate between two inputs."),
    Stop("ELBO and its gap", "pages/elbo_gap.py", "ELBO and the gap",
         "Exact log p(x), the naive bound, the ELBO, IWAE-K and the gap KL(q ‖ p(z|x))."),
    Stop("β and decoder σ", "pages/beta_sigma.py", "β, σ and posterior collapse",
         "Rate against distortion, units that collapse, and what prevents it."),
    Stop("Reparameterization", "pages/reparameterization.py", "Reparameterization",
         "z = μ + σ·ε live; pathwise against score-function gradients and their variance."),
    Stop("Generation", "pages/tokens_priors.py", "Tokens and priors",
         "Samples from a Gaussian prior, from uniform VQ codes and from a learned prior, side by side."),
    Stop("VAE as EM", "pages/vae_em.py", "VAE as EM",
         "Mixture EM step by step: the bound touches log p(x) after every E-step."),
    Stop("VQ-VAE", "pages/vq_vae.py", "VQ-VAE",
         "A codebook trained live, its usage and dead codes; blurry VAE against sharp VQ-VAE."),
    Stop("Straight-through and Gumbel", "pages/straight_through.py", "Straight-through and Gumbel",
         "Gumbel-max against p, relaxed samples on the simplex, bias and variance against τ."),
    Stop("Categorical latents", "pages/categorical_vae.py", "Categorical VAE",
         "A VAE with one-hot codes trained by Gumbel-softmax, τ on a slider."),
    Stop("Tokens and autoregressive priors", "pages/tokens_priors.py", "Tokens and priors",
         "An image as a grid of tokens; a transformer prior writes new grids and completes images."),
    Stop("Hierarchical VAE", "pages/hierarchical_vae.py", "Hierarchical VAE",
         "Latent groups on groups: which level holds what, KL per group."),
    Stop("Your own digit", "pages/draw_compare.py", "Draw and compare",
         "Draw a digit; every model reconstructs it, with its error and likelihood."),
    Stop("Your own models", "pages/my_models.py", "Your models",
         "Download a model you trained here, load it back, or open a checkpoint someone shared."),
    Stop("Exercises", "pages/exercises.py", "Exercises",
         "The analytic KL, VQ-VAE's constant KL and the Gumbel-max proof, checked as you go."),
    Stop("Assignment", "pages/assignment.py", "Assignment: a VAE on toy data",
         "The reference VAE on every toy set: its loss curve, samples, and its real source code."),
)


def pages_on_the_map() -> list[str]:
    """Each page once, in the order the lecture first reaches it."""
    return list(dict.fromkeys(stop.page for stop in OUTLINE))


THUMBNAIL_WIDTH = 480
CONTENT_BOX = (330, 90, 1400, 900)  # the page's main column in a 1400-wide screenshot, sidebar cut off


def make_thumbnails(screenshot_dir: Path, out_dir: Path = THUMBNAILS) -> list[Path]:
    """Thumbnails for the map from the screenshots `../shared/tools/screenshot_pages.py` writes
    (NN-<page stem>.png): the main column, cropped and scaled to THUMBNAIL_WIDTH."""
    from PIL import Image

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for page in pages_on_the_map():
        stem = Path(page).stem
        found = sorted(Path(screenshot_dir).glob(f"*-{stem}.png"))
        if not found:
            continue
        with Image.open(found[0]) as shot:
            crop = shot.convert("RGB").crop(CONTENT_BOX)
            height = round(crop.height * THUMBNAIL_WIDTH / crop.width)
            crop.resize((THUMBNAIL_WIDTH, height), Image.LANCZOS).save(out_dir / f"{stem}.png", optimize=True)
        written.append(out_dir / f"{stem}.png")
    return written
