"""Home: what Latent Lab is and where each idea of the lecture lives."""

import streamlit as st

from explorer.ui import pages

pages.ensure_app_navigation()

st.title("Latent Lab")
st.markdown(
    "The live companion to the lecture on **variational autoencoders**. Every idea gets a page where a "
    "small model is loaded instantly from a pretrained checkpoint, or trained in front of you in seconds, "
    "and can be pushed around by hand."
)
pages.link("pages/latent_space.py", "Latent space — AE vs VAE, decode anywhere, interpolate, train your own",
           icon=":material/scatter_plot:")
pages.link("pages/elbo_gap.py", "ELBO and the gap — exact log p(x), every bound, KL(q ‖ p(z|x))",
           icon=":material/stacked_line_chart:")
pages.link("pages/beta_sigma.py", "β, σ and posterior collapse — rate–distortion, active units, disentanglement",
           icon=":material/tune:")
st.caption("More pages follow the lecture: reparameterization, VQ-VAE, "
           "Gumbel-softmax, tokens and priors, hierarchical VAEs.")
