"""The collapse cases of the "β, σ and posterior collapse" page: each constructed case of
`explorer.analysis.collapse` trained without a remedy, with KL warm-up and with free bits, side by side."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.analysis import collapse
from explorer.figures import rate_distortion as rd
from explorer.training import sweep
from explorer.ui.figure_export import chart


@st.cache_resource(show_spinner="Training three small VAEs (a few seconds)…")
def trained(case: str) -> tuple[dict[str, dict], np.ndarray]:
    """Shared by every session: the results are read, never changed."""
    return collapse.demo(case), collapse.variances(case)


def collapse_demo_view() -> None:
    """Pick a case; train the three runs on demand; KL per unit, active/collapsed counts, ELBO, squared error."""
    case_name = st.segmented_control("Case", list(collapse.CASES), default="trap", key="beta_collapse_case",
                                     format_func=lambda name: collapse.CASES[name].title) or "trap"
    case = collapse.CASES[case_name]
    st.markdown(case.story)
    st.caption(f"Gaussian decoder with σ = {case.config.decoder_sigma:g}, {case.config.z_dim} latent units, β = 1, "
               f"{case.config.steps} steps, the same seed for all three runs.")
    if not st.toggle("Train the three runs", key="beta_collapse_demo"):
        return
    results, variances = trained(case_name)
    kept = sweep.directions_kept(variances, 1.0, case.config.decoder_sigma)
    st.markdown(f"Largest data variance **{variances[0]:.2f}** vs βσ² = "
                f"**{sweep.effective_sigma(1.0, case.config.decoder_sigma) ** 2:.2f}**: {kept} direction(s) kept "
                "by a linear VAE.")
    y_max = 1.3 * max(max(r["kl_per_unit"].max() for r in results.values()), 0.5)
    for column, (label, result) in zip(st.columns(len(results)), results.items(), strict=True):
        chart(rd.kl_per_unit_bars(result["kl_per_unit"], result["active"], result["collapsed"],
                                                collapse.REMEDIES[label].get("free_bits", 0.0), label,
                                                height=340, y_max=y_max, values=False).update_layout(
                                                    showlegend=False), width="stretch", container=column)
        column.markdown(f"active **{result['active_units']}/{case.config.z_dim}**, collapsed "
                        f"**{int(result['collapsed'].sum())}/{case.config.z_dim}**  \n"
                        f"ELBO **{result['elbo']:.1f}** nats, ‖x − x̂‖² **{result['squared_error']:.2f}** "
                        "(sum over pixels)")
