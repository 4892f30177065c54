"""Lecture notes of the pages on discrete latents (straight-through and Gumbel, the categorical VAE, the
VQ-VAE, tokens and priors) and of the practice pages (exercises, assignment).

Plain data, so that it imports without Streamlit: page stem -> the view's note key (its
`TabSpec.note` in the page's declaration, explorer/ui/declarations/) -> the fields of a
`lecture_notes.ViewNote`. Hints name the widgets by their labels.
"""

NOTES = {
    "straight_through": {
        "gumbel_max": dict(
            equation=r"k = \arg\max_i\,(\theta_i + g_i),\quad g_i = -\log(-\log u_i),\ u_i \sim U(0,1)"
                     r"\quad\Rightarrow\quad P(k = i) = \frac{e^{\theta_i}}{\sum_j e^{\theta_j}}",
            explanation="Adding independent Gumbel noise to the logits and taking the argmax draws k exactly from "
                        "softmax(θ). The randomness now sits outside θ, but the argmax is flat almost everywhere: "
                        "still no useful gradient.",
            try_this="raise **samples**: the bars settle on the diamonds at the 1/√N rate. Under the hypothesis "
                     "**New samples** gives a p-value below 0.05 at most once in twenty, also for extreme θ and few "
                     "samples, where an expected count is below 5 and the p-value is Monte Carlo (the χ² law "
                     "rejects a true p in 28% of runs at θ = (3, −3, −3, −3, −3) and 30 samples).",
        ),
        "relaxed": dict(
            equation=r"y = \operatorname{softmax}\!\big((\theta + g)/\tau\big)\ \xrightarrow{\ \tau \to 0\ }\ "
                     r"e_k,\quad k = \arg\max_i\,(\theta_i + g_i)",
            explanation="As τ → 0, y becomes the one-hot e_k of the Gumbel-max sample, a corner of the simplex; as "
                        "τ → ∞ it becomes (⅓, ⅓, ⅓), the centre. Straight-through sends the hard e_k forward and "
                        "y's gradient backward.",
            try_this="lower **temperature τ** to 0.01: the samples run into the corners and their mean reaches p. "
                     "Raise it to 10: they gather in the centre and the mean leaves p.",
        ),
    },
    "categorical_vae": {
        "pretrained": dict(
            equation=r"\begin{gathered}q(z_n = k \mid x) = \pi_{nk}(x),\qquad y_n = \operatorname{softmax}\!\big("
                     r"(\log \pi_n + g_n)/\tau\big), \\ h_n = e_{k_n},\ k_n = \arg\max_k y_{nk}\end{gathered}",
            explanation="Each row of the three grids is one of the N groups: its probabilities q(z|x), one relaxed "
                        "sample y at temperature τ, and the one-hot h of that sample's argmax. Both codes are "
                        "decoded below them.",
            try_this="set **Temperature τ** to 10 and watch the relaxed code (and its decoding) turn grey; at "
                     "τ = 0.1 it matches the hard code.",
        ),
        "own": dict(
            equation=r"y^{\mathrm{ST}} = \mathrm{sg}[h - y] + y,\qquad \tau_t = \max\big(\tau_{\min},\ "
                     r"\tau\,e^{-rt}\big)",
            explanation="With **Straight-through** on, the forward pass uses the one-hot h and the backward pass "
                        "y's gradient. **Anneal τ** lowers the temperature as training goes, with r = 0.001 and "
                        "τ_min = 0.5 (Jang et al. 2017).",
            try_this="set **Temperature τ** to 5, switch on **Anneal τ**, pick 3000 **Steps** and press **Train from "
                     "scratch**: the τ curve decays to 0.5 and the decoded hard code catches up with the relaxed one.",
        ),
    },
    "vq_vae": {
        "pretrained": dict(
            equation=r"\mathrm{perplexity} = \exp\Big(-\sum_{k=1}^{K} u_k \log u_k\Big),\qquad u_k = "
                     r"\text{share of positions coded } k",
            explanation="How often each code is picked on held-out images (the perplexity is the number of codes "
                        "in effective use; a dead code is never picked), and the codebook among the encoder "
                        "outputs z_e, projected on their two principal directions.",
            try_this="switch **Model** between MNIST and Sprites: compare each perplexity with its K and find the "
                     "dead codes (red) in the plane. Step **Held-out image** to see its token grid.",
        ),
        "own": dict(
            equation=r"k = \arg\min_j \|z_e(x) - e_j\|_2,\qquad \text{commitment: }"
                     r"\ \beta\,\big\|z_e(x) - \mathrm{sg}[e_k]\big\|_2^2",
            explanation="Only a picked code is pulled by the codebook loss, so a code that starts far from every "
                        "z_e is never picked and never moves: it is dead. **k-means init** starts the codes among "
                        "the z_e; **Dead-code reset** moves a code unused for 10 batches onto an encoder output.",
            try_this="**Codebook size K** = 512 without **k-means init** or **Dead-code reset**: most codes die and "
                     "the perplexity stays low; switch both on and nearly every code is used. **Commitment β** = 0 "
                     "lets the encoder drift away from its codes; a large β pins it to them.",
        ),
        "blurry": dict(
            equation=r"\text{VAE: } \sum_{i=1}^{49} \mathrm{KL}\big(q(z_i|x)\,\|\,\mathcal{N}(0, I)\big)"
                     r"\qquad \text{VQ-VAE: } \mathrm{KL}\big(q\,\|\,\mathrm{Unif}\big) = 49 \log K",
            explanation="Same encoder, decoder, data and training steps: **the latent is the only difference**. The "
                        "VAE pays KL for every nat its 7×7 latent carries and averages what it cannot afford; the "
                        "VQ-VAE's codes carry up to 49 · log K nats at a fixed cost.",
            try_this="move **Zoom on input** through the inputs: the VAE's strokes are soft at the edges, the "
                     "VQ-VAE's crisp. Then choose **Draw a digit** and draw an odd one.",
        ),
    },
    "tokens_priors": {
        "tokens": dict(
            equation=r"c_{ij} = \arg\min_k \big\|z_e(x)_{ij} - e_k\big\|_2,\qquad \hat x = "
                     r"\mathrm{dec}\big(e_{c}\big)",
            explanation="The encoder gives a vector at every grid position and each is replaced by the number of "
                        "its nearest code: the image becomes a small grid of tokens, and the decoder rebuilds it "
                        "from the tokens alone.",
            try_this="step **Held-out image** through images of one digit and watch which tokens repeat.",
        ),
        "prior": dict(
            equation=r"-\frac{1}{T}\sum_{t=1}^{T} \log p_\psi(c_t \mid c_{<t})\ \text{nats per token},"
                     r"\qquad \text{uniform prior: } \log K",
            explanation="A causal transformer reads the tokens in raster order and predicts each from those before "
                        "it. The dashed line is the uniform prior: log K nats per token, as if every token were a "
                        "surprise.",
            try_this="press **Train from scratch**: the held-out curve falls well below the dashed line, and once "
                     "it finishes the numbers above (and the other tabs) use your prior.",
        ),
        "sample": dict(
            equation=r"c_t \sim \operatorname{softmax}\!\big(\ell_\psi(c_{<t})/\tau\big),\quad t = 1, \dots, T",
            explanation="Three generators side by side: a Gaussian VAE decoding z ~ N(0, I), the VQ-VAE decoding "
                        "tokens drawn uniformly and independently, and the VQ-VAE decoding tokens written one at a "
                        "time by the learned prior.",
            try_this="**Temperature** 0.5 gives clean, repetitive digits; 1.5 gives variety and noise. **Top-k** 1 "
                     "always picks the likeliest token.",
        ),
        "complete": dict(
            equation=r"c_t \sim p_\psi(c_t \mid c_{<t})\ \text{ for } t > t_0,"
                     r"\qquad c_{\le t_0} = \text{the input's first tokens}",
            explanation="Keep the input's top rows of tokens and let the prior write the rest, eight times over. "
                        "The completions agree where the kept rows constrain them and differ where they do not.",
            try_this="set **Token rows kept** to 1, then 4, and see the completions agree more and more.",
        ),
    },
    "exercises": {
        "kl": dict(
            equation=r"\mathrm{KL}\big(\mathcal{N}(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal{N}(0, I)\big)"
                     r" = \tfrac12\sum_j \big(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\big)",
            explanation="**Exercise.** Show this: the KL term a Gaussian encoder pays, in closed form, with no "
                        "sampling. Each step below shows its value for your sliders, checked against a Monte-Carlo "
                        "estimate and torch.distributions.",
            try_this="make one σ small (0.05): −log σ² dominates and the Monte-Carlo error grows. Set every μ to 0 "
                     "and every σ to 1: the KL is 0, q is the prior. **New draws**: the estimate misses the closed "
                     "form by more than 2 standard errors about once in twenty.",
        ),
        "vq": dict(
            equation=r"q(k|x) = \mathbb{1}\big[k = k^*(x)\big],\quad p(k) = \tfrac1K\quad\Rightarrow\quad"
                     r" \mathrm{KL}\big(q(k|x)\,\|\,p(k)\big) = \log K",
            explanation="**Exercise.** With a deterministic one-hot q(k|x) and a uniform prior p(k) = 1/K over the "
                        "K codes, show that the KL term of the ELBO is log K at every code position, whatever x "
                        "is: a constant, so the VQ-VAE's loss leaves it out.",
            try_this="raise **temperature T of a soft q**: q spreads over more codes, H(q) grows and the KL falls "
                     "below log K, by a different amount for every input. Lower T: every input approaches the "
                     "one-hot value.",
        ),
        "gumbel": dict(
            equation=r"k = \arg\max_i\,(\theta_i + g_i),\ g_i \overset{\text{iid}}{\sim} \mathrm{Gumbel}(0, 1)"
                     r"\quad\Rightarrow\quad P(k = i) = \frac{e^{\theta_i}}{\sum_j e^{\theta_j}}",
            explanation="**Exercise.** Show that the argmax of the logits plus i.i.d. standard Gumbel noise is "
                        "distributed as p = softmax(θ). Then: the Gumbel-softmax relaxation approaches it as τ → 0.",
            try_this="press **New samples** a few times: under the hypothesis a p-value against p below 0.05 comes "
                     "at most once in twenty (Monte Carlo where an expected count is below 5, as the caption says); "
                     "against the wrong p, softmax(2θ), it collapses as the **samples** grow (unless all θ are "
                     "equal).",
        ),
    },
    "assignment": {
        "train": dict(
            equation=r"\hat{\mathcal{L}}(x) = \log p_\theta\big(x \mid z = \mu_\phi(x) + \sigma_\phi(x) \odot"
                     r" \varepsilon\big) - \mathrm{KL}\big(q_\phi(z|x)\,\|\,\mathcal{N}(0, I)\big),\quad"
                     r" \varepsilon \sim \mathcal{N}(0, I)",
            explanation="One reparameterized sample per point and the analytic KL give an unbiased estimate of the "
                        "ELBO, which Adam climbs. The loss curve shows its two terms, reconstruction and KL, on "
                        "training batches and on held-out points.",
            try_this="train on **8 Gaussians** or **checkerboard**: the prior samples land on the modes but also "
                     "between them, since N(0, I) is one connected blob and the decoder is continuous; the decoded "
                     "grid shows where the decoder stretches the plane and where it packs it onto a mode. Change "
                     "the seed in the sidebar and train again: the folding changes, the held-out ELBO hardly does.",
        ),
        "code": dict(
            equation=r"\mathrm{KL}\big(\mathcal{N}(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal{N}(0, I)\big)"
                     r" = \tfrac12\sum_j \big(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\big)",
            explanation="The real code behind the run in the other tab, read from the package: compare it with "
                        "yours. `VAE.loss` is the ELBO; `kl_normal_standard` is the analytic KL of the exercise.",
            try_this="open `kl_normal_standard` and find each term of the formula above in it; then check in "
                     "`VAE.loss` which sign the KL gets before the loss is minimized.",
        ),
    },
}
