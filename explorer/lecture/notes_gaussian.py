"""Lecture notes of the pages on Gaussian latents: the latent space, the ELBO and its gap, β and σ, the
reparameterization trick, EM, the hierarchical VAE, drawing a digit and bringing a model.

Plain data, so that it imports without Streamlit: page stem -> the view's note key (its `TabSpec.note` in the
page's declaration, explorer/ui/declarations/; "main" for a page without tabs) -> the fields of a
`lecture_notes.ViewNote`. Hints name the widgets by their labels on screen, so a student can follow them word for
word.
"""

# In the Latent space page's introduction: the objectives its models were trained with, one line each (one line
# for both overflowed a laptop's column). The shipped autoencoders (mnist-ae-2d, digits-ae-2d) minimise the
# Bernoulli cross-entropy of `explorer.models.common.reconstruction_nll`, the VAE's reconstruction term with
# z = f(x), not a distance ‖x − g(f(x))‖ as the slide's shorthand writes.
LATENT_SPACE_OBJECTIVES = (
    r"\begin{gathered}\text{AE: } \min_{f,g}\ -\sum_i \big[x_i \log \hat x_i + (1 - x_i) \log(1 - \hat x_i)\big],"
    r"\ \hat x = g(f(x)) \\ "
    r"\text{VAE: } \max\ \mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z))\end{gathered}")

NOTES = {
    "latent_space": {
        "ae_vs_vae": dict(
            equation=r"\mathrm{KL}\big(\mathcal{N}(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal{N}(0, I)\big)"
                     r" = \tfrac12 \sum_j \big(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\big)",
            explanation="The VAE pays this KL for every input, which pulls each q(z|x) into the prior's cloud, so "
                        "samples z ~ N(0, I) (the black ×) land where the decoder has seen codes. Nothing shapes "
                        "the autoencoder's codes: they spread on a scale of their own, with empty space between "
                        "the clusters.",
            try_this="move the pointer through the empty space between two clusters of the **Autoencoder** map: "
                     "the image there is a blend that is no digit. Then compare the decoded × under the two maps.",
        ),
        "drag": dict(
            equation=r"p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz,"
                     r"\qquad \hat x(z) = \mathbb{E}_{p_\theta(x|z)}[x]",
            explanation="The decoder is a function of z: every point of the plane decodes to an image, and the "
                        "grid on the right is that function sampled on a 20×20 lattice. Moving z moves the image "
                        "continuously, because the decoder is continuous.",
            try_this="move the pointer slowly from one cluster into its neighbour and watch the digit morph; then "
                     "set **Model** to AE and do the same: far from its codes the images stop looking like digits.",
        ),
        "interpolation": dict(
            equation=r"z_t = (1-t)\,z_a + t\,z_b \qquad z_t = \frac{\sin((1-t)\Omega)}{\sin\Omega}\,z_a"
                     r" + \frac{\sin(t\Omega)}{\sin\Omega}\,z_b,\quad \cos\Omega = \frac{z_a^\top z_b}"
                     r"{\|z_a\|\,\|z_b\|}",
            explanation="Encode two images to their means z_a and z_b and decode the points between them. The "
                        "spherical path keeps (for equal norms) the distance from the origin, so it stays in the "
                        "shell where N(0, I) has its mass instead of cutting through the middle.",
            try_this="pick two digits of different classes with **First held-out image** and **Second held-out "
                     "image**, then switch **Path** between linear and spherical: the VAE's strip stays digit-like, "
                     "the AE's passes through blends.",
        ),
        "own": dict(
            equation=r"\mathcal{L}_\beta(x) = \mathbb{E}_{q(z|x)}\big[\log p(x|z)\big]"
                     r" - \beta\,\mathrm{KL}\big(q(z|x)\,\|\,p(z)\big)",
            explanation="A 2-D model trains here, now, and its latent map is redrawn as it learns. β weighs the "
                        "KL term that holds the codes near N(0, I); at β = 0 nothing does, and the VAE behaves "
                        "like an autoencoder with noise.",
            try_this="press **Train from scratch**, then set **β (weight of the KL term)** to 0 while it trains: "
                     "the latent map loses its round shape and spreads out. Set it back to 1 and it contracts.",
        ),
    },
    "elbo_gap": {
        "main": dict(
            equation=r"\log p(x) = \underbrace{\mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z))}"
                     r"_{\text{ELBO}} + \underbrace{\mathrm{KL}(q(z|x)\,\|\,p(z|x))}_{\text{gap}\ \ge\ 0}",
            explanation="*A very bad estimate: what is the gap?* log p(x), the ELBO and the gap are computed on "
                        "grids; naive and IWAE-K are Monte-Carlo estimates ± their standard error; ELBO ≤ IWAE-K ≤ "
                        "log p(x) and naive ≤ log p(x) hold, and naive can beat a poor encoder's ELBO. x is scored "
                        "binarised (pixels ≥ ½): a Bernoulli decoder gives probabilities to binary images.",
            try_this="raise **Importance samples K** from 1 to 5000: IWAE-K climbs from the ELBO towards log p(x). "
                     "Then set **Held-out sample** to 424: the naive bound lies above the ELBO. Or choose **Draw a "
                     "digit** and draw one halfway between two classes: p(z|x) often bends or splits, a Gaussian q "
                     "cannot follow: see how the gap splits into approximation and amortization.",
        ),
    },
    "beta_sigma": {
        "live": dict(
            # two lines: KaTeX's display maths cannot wrap, and one line was wider than a projector's column
            equation=r"\begin{gathered}-\log \mathcal{N}(x;\mu,\sigma^2 I) = \frac{\|x-\mu\|^2}{2\sigma^2}"
                     r" + d\log\sigma + \tfrac{d}{2}\log 2\pi \\ \Rightarrow\quad D + \beta R = \frac{\|x-\mu\|^2"
                     r" + 2\sigma^2\beta\,R}{2\sigma^2} + \text{const}\end{gathered}",
            explanation="**A Gaussian decoder is a scaled L2 loss** (d is the number of pixels), so β and σ² trade "
                        "against each other: only σ²β matters, and doubling σ² acts like doubling β.",
            try_this="pick the Gaussian decoder in **Decoder p(x|z)**, press **Train from scratch**, then raise **β** "
                     "to 8 while it trains: the rate falls, units go grey in the KL bars and the reconstructions "
                     "blur. β, σ and free bits act on the next training step.",
        ),
        "sweep": dict(
            equation=r"R = \mathbb{E}_x\,\mathrm{KL}\big(q(z|x)\,\|\,p(z)\big),\quad D = -\mathbb{E}_x"
                     r"\mathbb{E}_{q(z|x)}\log p(x|z),\qquad R + D = -\mathrm{ELBO}",
            explanation="Train one model per β and place each on the **rate–distortion plane** (Alemi et al. 2018). "
                        "Dashed lines have slope −1: along each, R + D = −ELBO is constant, so β = 1 models sit "
                        "near the lowest one, while a large β buys a low rate with distortion.",
            try_this="press **Run** with the default **β values**: each finished model appears as a point, "
                     "and the larger its β, the further left (low rate) and up (high distortion) it sits.",
        ),
        "collapse": dict(
            equation=r"\mathrm{KL}_u = \mathbb{E}_x\,\mathrm{KL}\big(q(z_u|x)\,\|\,\mathcal{N}(0,1)\big),"
                     r"\qquad \text{free bits: } \sum_u \max\big(\lambda,\ \mathrm{KL}_u\big)",
            explanation="A unit is **active** when its posterior mean moves with x (Burda et al. 2016), **collapsed** "
                        "when q(z_u|x) is the prior for almost every x (Lucas et al. 2019). **Free bits** make a "
                        "unit's first λ nats free (Kingma et al. 2016); **KL warm-up** ramps β up from 0 "
                        "(Bowman et al. 2016).",
            try_this="pick the trap **Case** and switch on **Train the three runs**: without a remedy every unit "
                     "collapses, while the KL warm-up run keeps its units active and ends with a better ELBO.",
        ),
        "traversals": dict(
            equation=r"\mathrm{MIG} = \frac{1}{K}\sum_{k=1}^{K}\frac{I(z_{j(k)}; v_k) - \max_{j \ne j(k)}"
                     r" I(z_j; v_k)}{H(v_k)},\qquad j(k) = \arg\max_j I(z_j; v_k)",
            explanation="Decode while one latent unit moves from −3 to 3 and the others stay put (Higgins et al. "
                        "2017). With a larger β more rows change one factor only, and the mutual information gap "
                        "(Chen et al. 2018) against the true factors v_k rises.",
            try_this="on Sprites, switch **Model** between pretrained β = 0.5 and β = 4: at β = 4 more rows move "
                     "one factor only (position, size or shape), and the MIG is higher.",
        ),
        "samples": dict(
            equation=r"\mathbb{E}_x\,\mathrm{KL}\big(q(z|x)\,\|\,p(z)\big) = I_q(x; z)"
                     r" + \mathrm{KL}\big(q(z)\,\|\,p(z)\big),\qquad q(z) = \mathbb{E}_x\,q(z|x)",
            explanation="The rate is the information z keeps about x plus the mismatch between the aggregate "
                        "posterior q(z) and the prior (Hoffman & Johnson 2016). A larger β squeezes both: "
                        "blurrier reconstructions, but q(z) fills p(z), so prior samples look more like the data.",
            try_this="compare the row of the smallest β with the largest: the reconstructions lose detail as β "
                     "grows, while the decoded prior samples lose their broken, half-formed shapes.",
        ),
    },
    "reparameterization": {
        "flow": dict(
            equation=r"z = \mu + \sigma\,\varepsilon,\quad \varepsilon \sim \mathcal{N}(0, 1)"
                     r"\qquad\Rightarrow\qquad \frac{\partial z}{\partial \mu} = 1,\quad"
                     r" \frac{\partial z}{\partial \sigma} = \varepsilon",
            explanation="The randomness moves into ε, which does not depend on φ = (μ, σ), so z is a "
                        "differentiable function of μ and σ and the gradient flows through the sample.",
            try_this="move **μ** and **σ**: the same ε's slide and stretch. **New ε** draws other noise.",
        ),
        "estimates": dict(
            equation=r"\begin{gathered}\underbrace{f'(\mu+\sigma\varepsilon)\,\tfrac{\partial z}{\partial\phi}}"
                     r"_{\text{pathwise}} \qquad \underbrace{f(z)\,\nabla_\phi \log q_\phi(z)}_{\text{score function}}"
                     r" \\ \underbrace{\big(f(z) - b\big)\,\nabla_\phi \log q_\phi(z)}_{\text{score + baseline}}"
                     r"\qquad \nabla_\mu \log q = \tfrac{\varepsilon}{\sigma},\ "
                     r"\nabla_\sigma \log q = \tfrac{\varepsilon^2-1}{\sigma}\end{gathered}",
            explanation="Each histogram holds 10,000 one-sample estimates of the same gradient. Their means agree "
                        "with the exact value, but the pathwise estimate uses the slope f′ and is far narrower "
                        "than the score function, which sees only values of f.",
            try_this="compare the widths. Pick the **step** f(z): its derivative is 0, so the pathwise estimate is "
                     "0, biased, while the score function still works. With **sin z**, a baseline near E f can "
                     "even add variance.",
        ),
        "variance": dict(
            equation=r"\operatorname{Var}\Big[\frac{1}{N}\sum_{n=1}^{N} \hat g_n\Big]"
                     r" = \frac{\operatorname{Var}[\hat g]}{N}",
            explanation="Averaging N independent one-sample estimates divides the variance by N: on log–log axes "
                        "each estimator is a line of slope −1, and the vertical gap between two lines is the "
                        "factor of samples one needs more than the other.",
            try_this="read the gap between the score-function and pathwise lines, then increase **σ** or move **μ** "
                     "away from 1 and watch it change.",
        ),
    },
    "vae_em": {
        "main": dict(
            equation=r"p(x|\theta) = \sum_{k=1}^{K} \pi_k\,\mathcal{N}(x\,|\,\mu_k, \Sigma_k) \qquad "
                     r"\log p(x|\theta) = \mathrm{ELBO}(q, \theta) + \mathrm{KL}\big(q(z)\,\|\,p(z|x, \theta)\big)",
            explanation="A Gaussian mixture is a latent variable model with a *discrete* latent: z says which "
                        "component drew x. EM (Dempster, Laird & Rubin 1977) climbs the same evidence lower bound "
                        "as a VAE, in two alternating half-steps.",
            try_this="press **Step E**, then **Step M**, a few times: the bound touches log p(x) after each E-step "
                     "and rises at each M-step. Then switch on **k-means (hard assignments)**: the gap never closes.",
        ),
    },
    "hierarchical_vae": {
        "pretrained": dict(
            equation=r"p(z) = p(z_L)\prod_{l=1}^{L-1} p(z_l \mid z_{>l}),\qquad "
                     r"q(z|x) = q(z_L|x)\prod_{l=1}^{L-1} q(z_l \mid z_{>l}, x)",
            explanation="The top group is drawn first and every lower group given the ones above, so the KL of a "
                        "group counts the nats it carries about x beyond what the groups above already say.",
            try_this="under *Fix one level, redraw the others*, press **New samples**: in the first grid a row keeps "
                     "the digit's identity while its strokes vary; in the second a row keeps little — the top "
                     "decides what the lower groups mean. Lower **Temperature t** for cleaner digits.",
        ),
        "own": dict(
            equation=r"\sum_{l=1}^{L} \max\big(\lambda,\ \mathrm{KL}_l\big),\qquad \mathrm{KL}_l"
                     r" = \mathbb{E}_{q}\,\mathrm{KL}\big(q(z_l \mid z_{>l}, x)\,\|\,p(z_l \mid z_{>l})\big)",
            explanation="Upper groups collapse easily: the lower groups can explain x, and the KL then pushes the "
                        "upper ones onto their prior. Free bits make each group's first λ nats free, and KL "
                        "warm-up starts at β = 0 (Sønderby et al. 2016).",
            try_this="train 3 **Groups** with **KL warm-up** off and **Free bits λ per group** at 0, then with "
                     "λ = 0.5: does the weakest group's KL rise towards λ? Then 1 group against 3: which has the "
                     "better held-out ELBO?",
        ),
    },
    "draw_compare": {
        "main": dict(
            equation=r"\|x - \hat x\|^2 = \sum_{i=1}^{784} (x_i - \hat x_i)^2,\qquad \log p(x)\ \ge\ \mathrm{ELBO}"
                     r" = \mathbb{E}_{q(z|x)}\log p(x|z) - \mathrm{KL}\big(q(z|x)\,\|\,p(z)\big)",
            explanation="‖x − x̂‖² is the squared error summed (not averaged) over the 784 pixels; log p(x) is exact "
                        "for the 2-D VAE (quadrature over its latent), a lower bound, the ELBO averaged over "
                        "posterior samples, elsewhere; both are of your digit binarised (pixels ≥ ½), as a Bernoulli "
                        "decoder scores binary images. The AE has no likelihood.",
            try_this="draw a 4 that is almost a 9, press **Keep as digit A**, then **Clear the canvas**, and draw "
                     "the 9: the map shows both, and the strip decodes the straight line between them.",
        ),
    },
    "my_models": {
        "main": dict(
            equation=r"z \sim p(z),\qquad x \sim p_\theta(x \mid z)",
            explanation="A checkpoint holds the weights θ and φ and the config that rebuilds the network, so "
                        "loading it gives back the whole model: the page shows what it learned by decoding "
                        "samples from its prior.",
            try_this="train a model on another page with **Train from scratch**, press **Download** below, then "
                     "drop the file on the uploader: its config, held-out metrics and prior samples come back.",
        ),
    },
}
