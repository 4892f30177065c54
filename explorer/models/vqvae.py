"""The VQ-VAE (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation Learning",
NeurIPS 2017): a discrete latent code from a learned codebook, and a decoder that is sharp.

x -> encoder -> z_e (one D-vector per position) -> nearest code z_q = e_k -> decoder -> p(x | z_q).
Two architectures, chosen by `arch`:
- "conv": images (B, H·W), flattened like every model's input; stride-2 convolutions with the
  `hidden` channels (one halving per entry: 28×28 -> 14×14 -> 7×7 for two), a 1×1 convolution to
  code_dim, and the mirror image with transposed convolutions. The codes form an (H', W') grid.
- "mlp": small data (toy2d points, 8×8 digits); an MLP to `n_codes` codes per sample and back.
The loss (all per-sample sums, in nats for recon): recon = −log p(x | z_q), commitment =
‖z_e − sg[z_q]‖², codebook = ‖sg[z_e] − z_q‖², loss = recon + codebook + commitment_beta ·
commitment (the codebook term drops out when the codebook follows the EMA). commitment_beta is a
loss argument, so a slider acts on a running model. See `explorer.models.quantizer`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.distributions import Categorical, Distribution, Independent

from explorer.models.base import Capabilities, Terms
from explorer.models.common import LIKELIHOODS, DecoderHead, PointMass, mlp, reconstruction_nll
from explorer.models.noise import integers
from explorer.models.quantizer import VectorQuantizer, perplexity

ARCHS = ("conv", "mlp")


@dataclass(frozen=True)
class VQVAEConfig:
    x_dim: int = 784
    image_shape: tuple[int, int] | None = (28, 28)
    arch: str = "conv"  # "conv" for images (a grid of codes), "mlp" for small data (n_codes codes)
    codebook_size: int = 64  # K
    code_dim: int = 16  # D
    hidden: tuple[int, ...] = (32, 64)  # conv: channels of the stride-2 layers; mlp: layer widths
    n_codes: int = 1  # codes per sample of the "mlp" arch
    likelihood: str = "bernoulli"  # "bernoulli" for images in [0, 1], "gaussian" for points
    decoder_sigma: float = 0.1  # default std of the Gaussian decoder; the loss can override it
    ema: bool = False  # codebook by exponential moving averages instead of the codebook loss
    ema_decay: float = 0.99
    ema_epsilon: float = 1e-5  # Laplace smoothing of the EMA counts
    kmeans_init: bool = False  # codebook from k-means of the first training batch's z_e
    kmeans_iters: int = 10
    dead_code_reset_steps: int = 0  # reset codes unused for this many training steps (0: never)


def conv_encoder(hidden: tuple[int, ...], code_dim: int) -> nn.Sequential:
    """(B, 1, H, W) -> (B, code_dim, H / 2^L, W / 2^L) for L = len(hidden) stride-2 layers."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip((1, *hidden[:-1]), hidden, strict=True):
        layers += [nn.Conv2d(n_in, n_out, kernel_size=4, stride=2, padding=1), nn.ReLU()]
    layers.append(nn.Conv2d(hidden[-1], code_dim, kernel_size=1))
    return nn.Sequential(*layers)


def conv_decoder(hidden: tuple[int, ...], code_dim: int) -> nn.Sequential:
    """The mirror of `conv_encoder`: (B, code_dim, H', W') -> logits or means (B, 1, H' 2^L, W' 2^L)."""
    widths = tuple(reversed(hidden))
    layers: list[nn.Module] = [nn.Conv2d(code_dim, widths[0], kernel_size=3, padding=1), nn.ReLU()]
    for i, (n_in, n_out) in enumerate(zip(widths, (*widths[1:], 1), strict=True)):
        layers.append(nn.ConvTranspose2d(n_in, n_out, kernel_size=4, stride=2, padding=1))
        if i < len(widths) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def check_config(config: VQVAEConfig) -> tuple[int, ...]:
    """Refuse an inconsistent config with a clear message; return the shape of the code grid."""
    if config.likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, not {config.likelihood!r}")
    if config.arch not in ARCHS:
        raise ValueError(f"arch must be one of {ARCHS}, not {config.arch!r}")
    if config.arch == "mlp":
        if config.n_codes < 1:
            raise ValueError(f"n_codes must be positive, not {config.n_codes}")
        return (config.n_codes,)
    if config.image_shape is None or math.prod(config.image_shape) != config.x_dim or not config.hidden:
        raise ValueError(f"the conv VQ-VAE needs image_shape with H·W = x_dim ({config.x_dim}) and hidden "
                         f"channels, not image_shape={config.image_shape}, hidden={config.hidden}")
    factor = 2 ** len(config.hidden)
    if any(side % factor for side in config.image_shape):
        raise ValueError(f"image sides {config.image_shape} must be divisible by 2^{len(config.hidden)} = "
                         f"{factor} for {len(config.hidden)} stride-2 layers")
    return tuple(side // factor for side in config.image_shape)


class VQVAE(DecoderHead, nn.Module):
    """encode(x) gives the point mass at z_q, codes(x) its codes, decode(codes or z_q) gives p(x | z_q), `prior`
    is uniform over codes."""

    kind = "vqvae"
    # the loss reports kl = n_positions · log K (a constant) and elbo = −(recon + kl)
    capabilities = Capabilities(has_elbo=True, continuous_latent=False, categorical_latent=True, has_codebook=True,
                                point_mass_posterior=True)

    def __init__(self, config: VQVAEConfig):
        super().__init__()
        self.latent_shape = check_config(config)  # the code grid: (H', W') or (n_codes,)
        self.config = config
        width = config.n_codes * config.code_dim
        if config.arch == "conv":
            self.encoder = conv_encoder(config.hidden, config.code_dim)
            self.decoder = conv_decoder(config.hidden, config.code_dim)
        else:
            self.encoder = mlp((config.x_dim, *config.hidden, width))
            self.decoder = mlp((width, *reversed(config.hidden), config.x_dim))
        self.quantizer = VectorQuantizer(
            config.codebook_size, config.code_dim, ema=config.ema, ema_decay=config.ema_decay,
            ema_epsilon=config.ema_epsilon, kmeans_init=config.kmeans_init, kmeans_iters=config.kmeans_iters,
            dead_code_reset_steps=config.dead_code_reset_steps,
        )

    @property
    def n_positions(self) -> int:
        """Codes per sample: H'·W' or n_codes."""
        return math.prod(self.latent_shape)

    @property
    def codebook(self) -> torch.Tensor:
        """The K code vectors, (K, D)."""
        return self.quantizer.codebook

    def encode_continuous(self, x: torch.Tensor) -> torch.Tensor:
        """z_e, the encoder's output before quantization: (B, x_dim) -> (B, *latent_shape, D), channels last."""
        if self.config.arch == "mlp":
            z_e = self.encoder(x)
            return z_e.reshape(x.shape[0], *self.latent_shape, self.config.code_dim)  # (B, P·D) -> (B, P, D)
        images = x.reshape(x.shape[0], 1, *self.config.image_shape)  # (B, 784) -> (B, 1, 28, 28)
        return self.encoder(images).permute(0, 2, 3, 1)  # (B, D, 7, 7) -> (B, 7, 7, D)

    @torch.no_grad()
    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """The codes of x: (B, x_dim) -> LongTensor (B, H', W') (conv) or (B, n_codes) (mlp), in [0, K)."""
        z_e = self.encode_continuous(x)
        flat = z_e.reshape(-1, self.config.code_dim)  # (B, *grid, D) -> (B·P, D)
        return self.quantizer.nearest(flat).reshape(z_e.shape[:-1])  # (B·P,) -> (B, *grid)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x): the point mass (one-hot over codes) at z_q = e_k of the nearest codes k = `codes(x)`; batch
        shape (B,), event shape (*latent_shape, D). Its mean is z_q, which `decode` takes."""
        return PointMass(self.lookup(self.codes(x)), event_dims=len(self.latent_shape) + 1)

    def lookup(self, codes: torch.Tensor) -> torch.Tensor:
        """z_q of codes: LongTensor (B, *latent_shape) -> (B, *latent_shape, D)."""
        return self.quantizer.codebook[codes]

    def _decoder_param(self, z: torch.Tensor) -> torch.Tensor:
        """Logits or means (B, x_dim) of p(x | z_q) for codes (B, *grid) or z_q (B, *grid, D)."""
        z_q = self.lookup(z) if not z.is_floating_point() else z
        if tuple(z_q.shape[1:]) != (*self.latent_shape, self.config.code_dim):
            raise ValueError(f"decode takes codes of shape (B, {', '.join(map(str, self.latent_shape))}) or z_q "
                             f"of shape (B, {', '.join(map(str, (*self.latent_shape, self.config.code_dim)))}), "
                             f"not {tuple(z.shape)}")
        if self.config.arch == "mlp":
            return self.decoder(z_q.reshape(z_q.shape[0], -1))  # (B, P, D) -> (B, P·D)
        x_param = self.decoder(z_q.permute(0, 3, 1, 2))  # (B, 7, 7, D) -> (B, D, 7, 7) -> (B, 1, 28, 28)
        return x_param.reshape(z_q.shape[0], self.config.x_dim)  # (B, 1, 28, 28) -> (B, 784)

    @property
    def prior(self) -> Distribution:
        """p(k): uniform over the K codes at every position; batch shape (), event shape latent_shape."""
        logits = torch.zeros(*self.latent_shape, self.config.codebook_size, device=self.codebook.device)
        return Independent(Categorical(logits=logits), len(self.latent_shape))

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoded means of n uniformly random code grids, (n, x_dim) (blotchy: the lecture's point
        that a VQ-VAE needs a learned prior over its codes)."""
        codes = integers(self.config.codebook_size, (n, *self.latent_shape), self.codebook.device, generator)
        return self.decode_mean(codes)

    def usage(self, window: int | None = None) -> dict[str, torch.Tensor]:
        """Codebook usage of training so far (see `VectorQuantizer.usage`)."""
        return self.quantizer.usage(window)

    def loss(self, x: torch.Tensor, *, commitment_beta: float = 0.25, decoder_sigma: float | None = None,
             reduce: bool = True, generator: torch.Generator | None = None) -> Terms:
        """Named terms, per-sample sums over the code positions, means over the batch (or (B,) with
        reduce=False). recon = −log p(x | z_q); commitment = ‖z_e − sg[z_q]‖²; codebook =
        ‖sg[z_e] − z_q‖²; loss = recon + codebook + commitment_beta · commitment (without the codebook
        term under EMA, where it is reported but trains nothing). kl = KL(one-hot q(k|x) ‖ uniform p(k))
        = n_positions · log K, a constant (the lecture's exercise), so elbo = −(recon + kl) and the
        loss leaves it out. perplexity = exp(entropy of the batch's code usage) and unused_codes (codes
        no input of the batch picked) describe the whole batch, repeated per sample; so does codes_reset, the
        codes this training step moved onto encoder outputs (only in training with dead-code reset on). In
        training, k-means initialization and dead-code resets draw from `generator`."""
        b = x.shape[0]
        z_e = self.encode_continuous(x)  # (B, *grid, D)
        q = self.quantizer(z_e.reshape(-1, self.config.code_dim), generator)  # (B, *grid, D) -> (B·P, D)
        z_q = q.z_q.reshape(z_e.shape)  # (B·P, D) -> (B, *grid, D)
        recon = reconstruction_nll(self._decoder_param(z_q), x, self.config.likelihood, self._sigma(decoder_sigma))
        commitment = q.commitment.reshape(b, -1).sum(dim=1)  # (B·P,) -> (B, P) -> (B,)
        codebook = q.codebook.reshape(b, -1).sum(dim=1)  # (B·P,) -> (B, P) -> (B,)
        loss = recon + commitment_beta * commitment + (0.0 if self.config.ema else codebook)
        kl = recon.new_full((b,), self.n_positions * math.log(self.config.codebook_size))
        terms = {
            "loss": loss, "recon": recon, "commitment": commitment, "codebook": codebook, "kl": kl,
            "elbo": -(recon + kl),
            "perplexity": perplexity(q.counts).to(recon.dtype).expand(b),
            "unused_codes": (q.counts == 0).sum().to(recon.dtype).expand(b),
        }
        if self.training and self.config.dead_code_reset_steps > 0:  # with resets on, no code stays dead to count
            terms["codes_reset"] = self.quantizer.codes_reset.to(recon.dtype).expand(b)
        return Terms.of(terms, reduce)
