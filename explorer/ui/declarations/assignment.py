"""The Assignment page: a VAE on toy data. The reference solution, trained live, with its source code."""

from __future__ import annotations

from explorer import data
from explorer.analysis import exercises
from explorer.ui.declare import PageSpec, TabSpec, latex, markdown
from explorer.ui.state import Choice
from explorer.ui.views import assignment as views

INTRO = (markdown("*Write a trainable VAE and train it on the toy 2-D data sets.* Here is the reference solution: "
                  "the project's own VAE, trained in a few seconds on the set you pick. Compare your loss curve, "
                  "your samples and your decoded grid with these, and your code with the code below."),
         latex(r"\mathcal{L}(x) = \mathbb{E}_{q(z|x)}\big[\log \mathcal{N}(x;\ \mu_\theta(z),\ \sigma^2 I)\big]"
               r" - \mathrm{KL}\big(\mathcal{N}(\mu_\phi(x), \operatorname{diag}\sigma_\phi^2(x))"
               r"\,\|\,\mathcal{N}(0, I)\big)"))


def train_view() -> None:
    """The knobs and buttons in one row, the data or the run under them, the reference's setup in words below
    (issue 22: the picture on a projector's first screen)."""
    name, steps, job = views.controls()
    if job is None:
        views.data_view(name)
    else:
        views.results_view(name, job)
    views.setup_view()


PAGE = PageSpec(
    intro=INTRO,
    stem="assignment", title="Assignment: a VAE on toy data", icon=":material/assignment:", section="Exercises",
    idea="Assignment",
    summary="The reference VAE on every toy set: its loss curve, samples, and its real source code.",
    tabs=(TabSpec("Train the reference", train_view, "train",
                  code=(exercises.assignment_model, exercises.assignment_config, exercises.prior_samples,
                        exercises.decoded_grid)),
          # the tab's own listing comes from this: inspect.getsource of the objects the reference runs
          TabSpec("Reference code", views.source_view, "code", code=(exercises.reference_sources,))),
    tab_key="asg_tab",
    keep=("asg_code",),  # the listing picked survives a visit to the other tab
    knobs={"asg_dataset": Choice(data.TOY2D, data.TOY2D[0]),
           "asg_steps": Choice(views.STEPS, views.STEPS[-1])},
    presets={
        "8 Gaussians: mass between the modes": {"asg_dataset": "8gaussians"},
        "Checkerboard": {"asg_dataset": "checkerboard"},
        "Swiss roll": {"asg_dataset": "swissroll"},
        "A short run (300 steps)": {"asg_dataset": "pinwheel", "asg_steps": 300},
    },
)
