"""Assignment: a VAE on toy data. The reference solution, trained live, with its source code."""

import streamlit as st

from explorer import exercises
from explorer.ui import assignment_views as views
from explorer.ui import notes, pages, presets
from explorer.ui.code import show_code

pages.ensure_app_navigation()

st.title("Assignment: a VAE on toy data")
st.markdown("*Write a trainable VAE and train it on the toy 2-D data sets.* Here is the reference solution: the "
            "project's own VAE, trained in a few seconds on the set you pick. Compare your loss curve, your "
            "samples and your decoded grid with these, and your code with the code below.")
st.latex(r"\mathcal{L}(x) = \mathbb{E}_{q(z|x)}\big[\log \mathcal{N}(x;\ \mu_\theta(z),\ \sigma^2 I)\big]"
         r" - \mathrm{KL}\big(\mathcal{N}(\mu_\phi(x), \operatorname{diag}\sigma_\phi^2(x))"
         r"\,\|\,\mathcal{N}(0, I)\big)")

presets.use("assignment")
train_tab, code_tab = st.tabs(["Train the reference", "Reference code"], key="asg_tab", on_change="rerun")

if train_tab.open:
    with train_tab:
        notes.show("assignment", "Train the reference")
        views.setup_view()
        name, steps = views.settings()
        job = views.controls(name, steps)
        if job is None:
            views.data_view(name)
        else:
            views.results_view(name, job)
        show_code(exercises.assignment_model, exercises.assignment_config, exercises.prior_samples,
                  exercises.decoded_grid)

if code_tab.open:
    with code_tab:
        notes.show("assignment", "Reference code")
        views.source_view()
        # the tab's own listing comes from this: inspect.getsource of the objects the reference runs
        show_code(exercises.reference_sources)
